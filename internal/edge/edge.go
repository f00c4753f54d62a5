// Package edge is what the API's edge does around every request, as data
// shared like routes and tiers: the deployed API (constructs/api, the WAF in
// constructs/waf), the functions' common HTTP layer (internal/app) and the
// local gateway (internal/gateway) all read it, so they cannot drift.
// Plain Go, no AWS imports.
package edge

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AuthorizerResultTTL is how long the API caches an authorizer's answer per
// Authorization header (API Gateway's result cache; the local gateway's
// cache). With the authorizer's own registry cache on top, it bounds how
// long a revoked user or a suspended tenant is still served.
const AuthorizerResultTTL = 20 * time.Second

// MFASessionTTL is how long the authorizer keeps, per session (its sign-in
// time), the answer to "was this sign-in challenged for a second factor"
// (one AdminGetUser): the ID token's lifetime, after which a refreshed
// token of the same session is asked again. The capacity model reads it.
const MFASessionTTL = time.Hour

// MaxBodyBytes is the largest request body the edge lets through (AWS WAF in
// front of the deployed API, the gateway locally). It is above every
// handler's own limit (an issue: 40 KB) and within what WAF can inspect of a
// body sent to API Gateway (64 KB).
const MaxBodyBytes = 64 << 10

// CORS: what a browser on an allowed origin may send and read. Every
// header of the API's answers that a client reads and the Fetch standard
// does not safelist is exposed (TestEveryHeaderTheWebAppReadsIsExposed):
// a replay's Idempotent-Replayed, a 405's Allow, the exports' Link and
// Next-Cursor (the web app pages through them) and Content-Disposition.
var (
	CORSAllowHeaders  = []string{"Authorization", "Content-Type", "Idempotency-Key", "If-Match", "X-Request-Id"}
	CORSAllowMethods  = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
	CORSExposeHeaders = []string{"Allow", "Content-Disposition", "ETag", "Idempotent-Replayed", "Link", "Location", "Next-Cursor",
		"RateLimit", "RateLimit-Policy", "Retry-After", "X-Request-Id"}
)

// CORSMaxAge is how long a browser may reuse a preflight answer.
const CORSMaxAge = 10 * time.Minute

// List renders a header list as every home of the edge sends it.
func List(v []string) string { return strings.Join(v, ",") }

// securityHeaders go on every answer of the API (JSON, never rendered): no
// sniffing, no framing, no caching of tenant data, no referrer, HTTPS only.
// The same values on every answer, the functions' and the ones API Gateway
// (or the local gateway) makes itself: API Gateway writes a gateway
// response's static header values in single quotes and cannot hold one, so
// no value here has one (TestSecurityHeaders). The CSP's directives
// therefore have empty source lists, which CSP 3 defines as 'none' ("an
// empty source list ... is equivalent to a source list containing 'none'",
// §6.7.2.5): nothing may load, nothing may frame the answer.
var securityHeaders = map[string]string{
	"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
	"X-Content-Type-Options":    "nosniff",
	"X-Frame-Options":           "DENY",
	"Content-Security-Policy":   "default-src; frame-ancestors; sandbox",
	"Referrer-Policy":           "no-referrer",
	"Cache-Control":             "no-store",
}

// SecurityHeaders returns the security headers of API answers (a copy).
func SecurityHeaders() map[string]string {
	out := make(map[string]string, len(securityHeaders))
	for k, v := range securityHeaders {
		out[k] = v
	}
	return out
}

// SetSecurityHeaders puts the security headers on an answer. Every answer
// shares the same value slices (cap 1: an Add to one copies it), so setting
// them allocates nothing (it was six allocations per request).
func SetSecurityHeaders(h http.Header) {
	for _, kv := range securityHeaderValues {
		h[kv.key] = kv.values
	}
}

// securityHeaderValues is securityHeaders in net/http's form: canonical
// keys, one-value slices.
var securityHeaderValues = func() []struct {
	key    string
	values []string
} {
	out := make([]struct {
		key    string
		values []string
	}, 0, len(securityHeaders))
	for k, v := range securityHeaders {
		out = append(out, struct {
			key    string
			values []string
		}{http.CanonicalHeaderKey(k), []string{v}[:1:1]})
	}
	return out
}()

// OriginAllowed reports whether a browser on origin may call the API:
// allowed lists origins ("https://app.example.com"), "*" allows any.
func OriginAllowed(origin string, allowed []string) bool {
	if origin == "" {
		return false
	}
	return slices.ContainsFunc(allowed, func(o string) bool { return o == "*" || strings.EqualFold(o, origin) })
}

// SetCORS puts the CORS headers of an actual (not preflight) answer for a
// request from origin, when it is allowed. Browsers need them on every
// answer, errors included, to let the page read it.
func SetCORS(h http.Header, origin string, allowed []string) {
	if !slices.Contains(h.Values("Vary"), "Origin") {
		h.Add("Vary", "Origin") // the answer depends on the origin: caches must not mix them
	}
	if !OriginAllowed(origin, allowed) {
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", List(CORSExposeHeaders))
}

// GatewayOrigin is the Access-Control-Allow-Origin of an answer the API's
// gateway makes itself (a preflight, a 401, a missing route...), as API
// Gateway sends it (constructs/api): a static value, the first allowed
// origin, which CDK's preflight replaces with the request's origin when it
// is another allowed one. A browser on any other origin sees a value that
// is not its own and refuses the answer; the request's origin is never
// echoed unless allowed. Empty when nothing is allowed.
func GatewayOrigin(origin string, allowed []string) string {
	if OriginAllowed(origin, allowed) {
		return origin
	}
	if len(allowed) == 0 {
		return ""
	}
	return allowed[0]
}

// SetGatewayCORS puts the CORS headers of an answer the gateway makes
// itself (GatewayOrigin), as API Gateway's gateway responses carry them.
func SetGatewayCORS(h http.Header, origin string, allowed []string) {
	SetCORS(h, origin, allowed)
	if o := GatewayOrigin(origin, allowed); o != "" {
		h.Set("Access-Control-Allow-Origin", o)
		h.Set("Access-Control-Expose-Headers", List(CORSExposeHeaders))
	}
}

// SetPreflight puts the headers of a preflight (OPTIONS) answer, as API
// Gateway's MOCK method answers every OPTIONS on a resource: the same
// headers whatever the origin, but for GatewayOrigin.
func SetPreflight(h http.Header, origin string, allowed []string) {
	if !slices.Contains(h.Values("Vary"), "Origin") {
		h.Add("Vary", "Origin")
	}
	o := GatewayOrigin(origin, allowed)
	if o == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", o)
	h.Set("Access-Control-Allow-Headers", List(CORSAllowHeaders))
	h.Set("Access-Control-Allow-Methods", List(CORSAllowMethods))
	h.Set("Access-Control-Max-Age", strconv.Itoa(int(CORSMaxAge.Seconds())))
}
