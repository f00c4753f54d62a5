package webhook_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/testing/testdns"
	"github.com/issuetracker/issuetracker/internal/webhook"
)

// dnsServer answers A queries from names on a loopback UDP port; the
// resolver asks only it (testdns).
func dnsServer(t *testing.T, names map[string]string) *net.Resolver {
	t.Helper()
	lists := map[string][]string{}
	for n, ip := range names {
		lists[n] = []string{ip}
	}
	return testdns.Resolver(t, lists)
}

func fieldOf(t *testing.T, err error) string {
	t.Helper()
	e := errs.As(err)
	require.NotNil(t, e, "%v", err)
	require.Equal(t, errs.KindUnprocessable, e.Kind, "%v", err)
	require.NotEmpty(t, e.Fields)
	return e.Fields[0].Field
}

func TestGuardRefusesInwardAddressesAtRegistration(t *testing.T) {
	r := dnsServer(t, map[string]string{"inside.example.test": "10.1.2.3", "meta.example.test": "169.254.169.254",
		"public.example.test": "93.184.216.34"})
	g := webhook.Guard{Resolver: r}
	ctx := context.Background()
	for _, u := range []string{
		"https://127.0.0.1/hook", "https://localhost./hook", "https://169.254.169.254/latest/meta-data/",
		"https://inside.example.test/hook", "https://meta.example.test/hook", "https://[::1]/hook",
		"https://[fd00:ec2::254]/", "https://0.0.0.0/", "https://[::ffff:10.0.0.1]/", "https://100.64.0.1/",
		"http://public.example.test/hook", "ftp://public.example.test/", "https://user:pw@public.example.test/",
		"https://nowhere.example.test/", "not a url", "https:///path",
	} {
		t.Run(u, func(t *testing.T) {
			assert.Equal(t, "url", fieldOf(t, g.CheckURL(ctx, u)))
		})
	}
	require.NoError(t, g.CheckURL(ctx, "https://public.example.test/hook"))
	require.NoError(t, webhook.Guard{AllowLoopback: true}.CheckURL(ctx, "https://127.0.0.1:8443/hook"),
		"the local-only setting admits loopback")
}

func TestGuardRefusesInwardAddressesWhenDialling(t *testing.T) {
	hits := 0
	target := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits++ }))
	defer target.Close()
	pool := target.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	_, port, _ := net.SplitHostPort(target.Listener.Addr().String())
	r := dnsServer(t, map[string]string{"inside.example.test": "10.1.2.3", "loop.example.test": "127.0.0.1"})

	strict := webhook.Guard{Resolver: r, RootCAs: pool}.Client()
	for _, u := range []string{target.URL, "https://loop.example.test:" + port + "/", "https://169.254.169.254/"} {
		_, err := strict.Post(u, "application/json", nil)
		require.Error(t, err, u)
		assert.True(t, errors.Is(err, webhook.ErrBlockedAddress), "%s: %v", u, err)
	}
	// A name resolving to 10.x is refused before any packet leaves.
	_, err := strict.Post("https://inside.example.test/hook", "application/json", nil)
	assert.True(t, errors.Is(err, webhook.ErrBlockedAddress), "%v", err)
	assert.Zero(t, hits)

	// Redirects: a receiver allowed by the local-only setting redirects
	// to the metadata service, to a name resolving to 10.x, to plain http:
	// each hop is refused.
	redirect := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, req.URL.Query().Get("to"), http.StatusFound)
	}))
	defer redirect.Close()
	local := webhook.Guard{Resolver: r, RootCAs: redirect.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs, AllowLoopback: true}.Client()
	for _, to := range []string{"https://169.254.169.254/latest/meta-data/", "https://inside.example.test/x", "https://10.0.0.1/"} {
		_, err := local.Post(redirect.URL+"/?to="+to, "application/json", nil)
		assert.True(t, errors.Is(err, webhook.ErrBlockedAddress), "%s: %v", to, err)
	}
	_, err = local.Post(redirect.URL+"/?to=http://"+target.Listener.Addr().String()+"/", "application/json", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "must use https")
	assert.Zero(t, hits)
}

func TestAllowed(t *testing.T) {
	g := webhook.Guard{}
	for ip, want := range map[string]bool{
		"93.184.216.34": true, "2606:2800:220:1::1": true, "8.8.8.8": true,
		"127.0.0.1": false, "10.0.0.1": false, "172.16.5.4": false, "192.168.1.1": false, "169.254.169.254": false,
		"::1": false, "fe80::1": false, "fd00:ec2::254": false, "::ffff:127.0.0.1": false, "224.0.0.1": false,
		"0.0.0.0": false, "255.255.255.255": false, "100.100.100.200": false, "64:ff9b::a00:1": false,
	} {
		assert.Equal(t, want, g.Allowed(netip.MustParseAddr(ip)), ip)
	}
}
