package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// Guard keeps webhook requests away from the platform's own network
// (SSRF): https only, and no private, loopback, link-local (the instance
// metadata service among them), shared, multicast or reserved address.
// Addresses are checked after DNS resolution, at dial time (net.Dialer
// Control sees the address actually dialled, so a name that resolves
// inward, DNS rebinding and redirects to inward hosts are all refused),
// and every redirect is checked again.
type Guard struct {
	// AllowLoopback admits 127.0.0.0/8 and ::1 (tests and `make dev`
	// only: envvars.WebhookAllowLoopback is never set in AWS).
	AllowLoopback bool
	// Resolver resolves names (net.DefaultResolver if nil).
	Resolver *net.Resolver
	// RootCAs are the trusted roots (the system's if nil; tests add their
	// receiver's).
	RootCAs *x509.CertPool
	// Timeout bounds one attempt, redirects included (10 s if zero).
	Timeout time.Duration
}

// MaxRedirects a delivery follows.
const MaxRedirects = 3

// ErrBlockedAddress is a dial to an address the guard refuses.
var ErrBlockedAddress = errors.New("address not allowed for webhooks")

var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Allowed reports whether a request may go to ip.
func (g Guard) Allowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() {
		return false
	}
	if ip.IsLoopback() {
		return g.AllowLoopback
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return false
		}
	}
	return ip.IsGlobalUnicast()
}

// control runs after resolution, before each connection.
func (g Guard) control(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return fmt.Errorf("%w: network %s", ErrBlockedAddress, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, address)
	}
	if !g.Allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, ap.Addr())
	}
	return nil
}

// Client is the HTTP client of deliveries: no proxy from the environment,
// the guarded dialer, TLS 1.2+, and redirects checked again.
func (g Guard) Client() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, Resolver: g.Resolver, Control: g.control}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: g.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	timeout := g.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > MaxRedirects {
			return fmt.Errorf("more than %d redirects", MaxRedirects)
		}
		if reason := checkURLShape(req.URL.String()); reason != "" {
			return fmt.Errorf("redirect to %s: the URL %s", req.URL.Redacted(), reason)
		}
		return nil // the address is checked when it is dialled
	}}
}

// CheckURL is the registration check of an endpoint URL: its shape, then
// every address its host resolves to (a 422 naming the field "url"). The
// dial-time check still applies to every delivery: DNS may change.
func (g Guard) CheckURL(ctx context.Context, raw string) error {
	if reason := checkURLShape(raw); reason != "" {
		return urlError(reason)
	}
	u, _ := url.Parse(raw)
	host := u.Hostname()
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		r := g.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ips, err := r.LookupNetIP(ctx, "ip", host)
		if err != nil || len(ips) == 0 {
			return urlError("its host name does not resolve")
		}
		addrs = ips
	}
	for _, ip := range addrs {
		if !g.Allowed(ip) {
			return urlError("resolves to a private, loopback, link-local or reserved address")
		}
	}
	return nil
}

func urlError(reason string) error {
	return errs.E(errs.KindUnprocessable, "invalid_webhook", "the webhook endpoint is not acceptable").
		WithFields(errs.FieldError{Field: "url", Reason: reason})
}
