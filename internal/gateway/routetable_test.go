package gateway_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every route of the table, as an attacker sends it to the gateway (both
// modes of make dev serve it; the Lambda adapter runs the same CheckEdge):
//
//   - every method the table does not give its path, HEAD included, is
//     API Gateway's missing route, a 404 route_not_found problem without
//     Allow, before the authorizer (a 405 with Allow until edge14: the
//     deployed API cannot tell it from an unknown path);
//   - an encoded slash or a dot segment in any path parameter (a traversal
//     to another route or object) is a 400 malformed_path before the
//     authorizer;
//   - a query string over the edge's limit, headers over its limit, and a
//     body over its limit are 400 malformed_query, 400
//     request_header_too_large and 413 body_too_large problems, the first
//     two before the authorizer, none reaching a function;
//   - CORS is answered only to the configured origin, on the preflight
//     and on the answer (the gateway's own, here 401): another origin
//     gets the configured one named, as API Gateway's static header
//     names it (nothing until edge14), never its own.
func TestEveryRouteAtTheEdge(t *testing.T) {
	srv, calls, clk := setup(t)
	const token = "Authorization: Bearer tiny-user"
	// The table's methods of each concrete path: those of the most
	// specific route path that matches it segment by segment ({x}
	// matches any segment; a literal beats a parameter, as in API
	// Gateway's resource tree), so a literal path (/v1/issues/bulk) takes
	// its own methods only, not those of /v1/issues/{issueId}.
	matches := func(tmpl, path string) bool {
		ts, ps := strings.Split(tmpl, "/"), strings.Split(path, "/")
		if len(ts) != len(ps) {
			return false
		}
		for i := range ts {
			if ts[i] != ps[i] && !strings.HasPrefix(ts[i], "{") {
				return false
			}
		}
		return true
	}
	methods := map[string][]string{}
	concrete := func(path, param string) string {
		segs := strings.Split(path, "/")
		for i, s := range segs {
			if strings.HasPrefix(s, "{") {
				segs[i] = param
			}
		}
		return strings.Join(segs, "/")
	}
	problem := func(t *testing.T, res *http.Response, body map[string]any, status int, code string) {
		t.Helper()
		assert.Equal(t, status, res.StatusCode, "%v", body)
		assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
		assert.Equal(t, code, body["code"], "%v", body)
		assert.NotEmpty(t, body["request_id"])
	}

	// literalFirst: at the first segment where one has a literal and the
	// other a parameter, the literal wins.
	literalFirst := func(a, b string) bool {
		as, bs := strings.Split(a, "/"), strings.Split(b, "/")
		for i := range as {
			if pa, pb := strings.HasPrefix(as[i], "{"), strings.HasPrefix(bs[i], "{"); pa != pb {
				return !pa
			}
		}
		return false
	}
	for _, rt := range routes.All() {
		target := concrete(rt.Path, "01JAAAAAAAAAAAAAAAAAAAAAAA")
		best := ""
		for _, other := range routes.All() {
			if matches(other.Path, target) && (best == "" || literalFirst(other.Path, best)) {
				best = other.Path
			}
		}
		for _, other := range routes.All() {
			if other.Path == best && !slices.Contains(methods[target], other.Method) {
				methods[target] = append(methods[target], other.Method)
			}
		}
	}
	require.Equal(t, []string{"POST"}, methods["/v1/issues/bulk"], "a literal path has its own methods only")

	counts := map[string]int{}
	for target, ms := range methods {
		path := target
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"} {
			if slices.Contains(ms, m) {
				continue
			}
			counts["404"]++
			t.Run("404 "+m+" "+path, func(t *testing.T) {
				before := calls.Load()
				res, body := do(t, srv, m, target, "Authorization", "Bearer tiny-user")
				if m == "HEAD" { // no body to read
					assert.Equal(t, http.StatusNotFound, res.StatusCode)
					assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
				} else {
					problem(t, res, body, http.StatusNotFound, "route_not_found")
				}
				assert.Empty(t, res.Header.Get("Allow"))
				assert.Equal(t, before, calls.Load(), "the authorizer must not run")
			})
		}
	}

	for _, rt := range routes.All() {
		name := rt.Method + " " + rt.Path
		if strings.Contains(rt.Path, "{") {
			for _, id := range []string{"a%2Fb", "a%2fb", "..", "%2E%2E", "%2e", "a%2F..%2Fb", "."} {
				counts["traversal"]++
				t.Run("traversal "+name+" "+id, func(t *testing.T) {
					before := calls.Load()
					res, body := rawMethod(t, srv, rt.Method, concrete(rt.Path, id), token)
					problem(t, res, body, http.StatusBadRequest, "malformed_path")
					assert.Equal(t, before, calls.Load(), "the authorizer must not run")
				})
			}
		}
		target := concrete(rt.Path, "01JAAAAAAAAAAAAAAAAAAAAAAA")
		t.Run("limits "+name, func(t *testing.T) {
			counts["limits"] += 3
			before := calls.Load()
			res, body := rawMethod(t, srv, rt.Method, target+"?cursor="+strings.Repeat("a", 4100), token)
			problem(t, res, body, http.StatusBadRequest, "malformed_query")
			res, body = rawMethod(t, srv, rt.Method, target, token, "X-Pad: "+strings.Repeat("a", 10300))
			problem(t, res, body, http.StatusBadRequest, "request_header_too_large")
			assert.Equal(t, before, calls.Load(), "the authorizer must not run")
			clk.Advance(time.Minute) // a fresh burst of the usage plan
			res, body = doBody(t, srv, rt.Method, target, strings.Repeat("x", edge.MaxBodyBytes+1),
				"Authorization", "Bearer tiny-user", "Content-Type", "application/json")
			problem(t, res, body, http.StatusRequestEntityTooLarge, "body_too_large")
		})
		t.Run("cors "+name, func(t *testing.T) {
			counts["cors"] += 4
			clk.Advance(time.Minute)
			res, _ := do(t, srv, "OPTIONS", target, "Origin", webOrigin, "Access-Control-Request-Method", rt.Method)
			assert.Equal(t, http.StatusNoContent, res.StatusCode)
			assert.Equal(t, webOrigin, res.Header.Get("Access-Control-Allow-Origin"))
			for _, evil := range []string{"http://evil.test", "null", webOrigin + ".evil.test"} {
				res, _ = do(t, srv, "OPTIONS", target, "Origin", evil, "Access-Control-Request-Method", rt.Method)
				assert.Equal(t, http.StatusNoContent, res.StatusCode)
				assert.Equal(t, webOrigin, res.Header.Get("Access-Control-Allow-Origin"), evil)
				res, _ = do(t, srv, rt.Method, target, "Origin", evil, "Authorization", "Bearer forged")
				if rt.Access.Kind == routes.Public { // the function's answer: CORS only for an allowed origin
					assert.Empty(t, res.Header.Get("Access-Control-Allow-Origin"), "%s: %d", evil, res.StatusCode)
				} else { // the gateway's 401
					assert.Equal(t, webOrigin, res.Header.Get("Access-Control-Allow-Origin"), "%s: %d", evil, res.StatusCode)
				}
				assert.Empty(t, res.Header.Get("Access-Control-Allow-Credentials"), evil)
			}
			if rt.Access.Kind != routes.Public {
				res, _ = do(t, srv, rt.Method, target, "Origin", webOrigin)
				require.Equal(t, http.StatusUnauthorized, res.StatusCode)
				assert.Equal(t, webOrigin, res.Header.Get("Access-Control-Allow-Origin"), "a browser could not read the 401")
			}
		})
	}
	t.Logf("%d routes, %d paths: %v", len(routes.All()), len(methods), counts)
}
