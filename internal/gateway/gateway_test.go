package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The gateway's contract with the authorizer is AuthorizeFunc; the real
// authorizer is exercised end to end in package devstack. Here a table of
// header → principal stands in for it.
func setup(t *testing.T) (*httptest.Server, *atomic.Int32, *clock) {
	db, names := testenv.Tables(t)
	now := time.Now().UTC()
	require.NoError(t, tenantdb.New(db, names).Create(context.Background(), tenant.Tenant{ID: "tiny", Name: "Tiny",
		Tier: tiers.Basic, Status: tenant.StatusActive, Table: names.App(), APIKey: "key-tiny", CreatedAt: now, UpdatedAt: now}))
	deps := app.Deps{DB: db, Names: names, Now: time.Now, CORSOrigins: []string{webOrigin}}
	fns := map[routes.Function]http.Handler{}
	for _, fn := range routes.Functions() {
		fns[fn] = app.MustFunction(fn, deps)
	}
	calls := &atomic.Int32{}
	clk := &clock{}
	clk.t.Store(now.UnixNano())
	gw := gateway.New(gateway.Config{
		Functions:      fns,
		AllowedOrigins: []string{webOrigin},
		Now:            clk.Now,
		Authorize: func(ctx context.Context, h string) (tenancy.Principal, string, error) {
			calls.Add(1)
			if h != "Bearer tiny-user" {
				return tenancy.Principal{}, "", errs.Unauthorized("token_malformed", "bad token")
			}
			return tenancy.Principal{TenantID: "tiny", UserID: "u1", Username: "u1", Role: roles.User,
				Tier: tiers.Basic, Table: names.App()}, "key-tiny", nil
		},
	})
	srv := httptest.NewUnstartedServer(gw)
	srv.Listener = gateway.ProblemListener(srv.Listener) // as make dev serves it (devstack)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, calls, clk
}

const webOrigin = "http://localhost:5173"

// asInAWS is the body API Gateway answers for a with the request id of res:
// the gateway response's template (constructs/api) with $context.requestId
// substituted, as API Gateway does.
// The local body's instance (the path, which API Gateway's template cannot
// echo) is taken out of local bodies before comparing: withoutInstance.
func asInAWS(t *testing.T, a httpapi.GatewayAnswer, res *http.Response) map[string]any {
	t.Helper()
	var m map[string]any
	body := strings.ReplaceAll(a.Template(), "$context.requestId", res.Header.Get(httpapi.RequestIDHeader))
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	return m
}

func withoutInstance(body map[string]any) map[string]any {
	delete(body, "instance")
	return body
}

// clock is the gateway's time (cache expiry, usage plans), moved by tests.
type clock struct{ t atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *clock) Advance(d time.Duration) { c.t.Add(int64(d)) }

func do(t *testing.T, srv *httptest.Server, method, path string, hdr ...string) (*http.Response, map[string]any) {
	return doBody(t, srv, method, path, "", hdr...)
}

func doBody(t *testing.T, srv *httptest.Server, method, path, body string, hdr ...string) (*http.Response, map[string]any) {
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res, m
}

func TestGateway(t *testing.T) {
	srv, calls, clk := setup(t)

	t.Run("health is public and carries security headers and a request id", func(t *testing.T) {
		res, body := do(t, srv, "GET", "/health")
		assert.Equal(t, 200, res.StatusCode)
		assert.Equal(t, "ok", body["status"])
		assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
		assert.NotEmpty(t, res.Header.Get("X-Request-Id"))
	})
	t.Run("no token is a 401 problem with the request id", func(t *testing.T) {
		res, body := do(t, srv, "GET", "/v1/me")
		assert.Equal(t, 401, res.StatusCode)
		assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
		assert.Equal(t, res.Header.Get("X-Request-Id"), body["request_id"])
		assert.Equal(t, asInAWS(t, httpapi.Unauthenticated, res), withoutInstance(body))
	})
	t.Run("a refused token is the same 401 as API Gateway's, without the authorizer's reason", func(t *testing.T) {
		res, body := do(t, srv, "GET", "/v1/me", "Authorization", "Bearer forged")
		assert.Equal(t, 401, res.StatusCode)
		assert.Equal(t, asInAWS(t, httpapi.Unauthenticated, res), withoutInstance(body), "not token_malformed: AWS never delivers it")
	})
	t.Run("an unknown route is a 404 problem, and so is a method the path lacks, as API Gateway answers both", func(t *testing.T) {
		res, body := do(t, srv, "GET", "/v1/nothing")
		assert.Equal(t, 404, res.StatusCode)
		assert.Equal(t, "route_not_found", body["code"])
		assert.Equal(t, asInAWS(t, httpapi.NoRoute, res), withoutInstance(body), "API Gateway's MISSING_AUTHENTICATION_TOKEN response")
		res, body = do(t, srv, "DELETE", "/health")
		assert.Equal(t, 404, res.StatusCode, "a 405 until edge14")
		assert.Equal(t, asInAWS(t, httpapi.NoRoute, res), withoutInstance(body))
	})
	t.Run("a CORS preflight from an allowed origin is answered by the gateway with the edge's CORS", func(t *testing.T) {
		res, _ := do(t, srv, "OPTIONS", "/v1/me", "Origin", webOrigin, "Access-Control-Request-Method", "GET")
		assert.Equal(t, 204, res.StatusCode)
		assert.Equal(t, webOrigin, res.Header.Get("Access-Control-Allow-Origin"))
		assert.Equal(t, edge.List(edge.CORSAllowHeaders), res.Header.Get("Access-Control-Allow-Headers"))
		assert.Equal(t, edge.List(edge.CORSAllowMethods), res.Header.Get("Access-Control-Allow-Methods"))
		assert.Equal(t, strconv.Itoa(int(edge.CORSMaxAge.Seconds())), res.Header.Get("Access-Control-Max-Age"))
		securityHeaders(t, res) // none before edge14
		res, _ = do(t, srv, "OPTIONS", "/v1/me", "Origin", "http://evil.test", "Access-Control-Request-Method", "GET")
		securityHeaders(t, res)
		assert.Equal(t, webOrigin, res.Header.Get("Access-Control-Allow-Origin"), "API Gateway's static value: never the other origin")
	})
	t.Run("a function's answer carries the edge's security headers, sent by the function, and CORS for an allowed origin", func(t *testing.T) {
		res, _ := do(t, srv, "GET", "/health", "Origin", webOrigin)
		require.Equal(t, 200, res.StatusCode)
		for k, v := range edge.SecurityHeaders() {
			assert.Equal(t, v, res.Header.Get(k), k)
		}
		assert.Equal(t, webOrigin, res.Header.Get("Access-Control-Allow-Origin"))
		assert.Equal(t, edge.List(edge.CORSExposeHeaders), res.Header.Get("Access-Control-Expose-Headers"))
		res, _ = do(t, srv, "GET", "/health", "Origin", "http://evil.test")
		assert.Empty(t, res.Header.Get("Access-Control-Allow-Origin"))
	})
	t.Run("every answer the gateway makes itself carries the functions' security headers, and CORS", func(t *testing.T) {
		// 400 (a malformed request, refused before routing), 401, 404,
		// 404 for a method the path lacks, 413; the 429 below. Until audit12 the CSP was left off all
		// of them, and the 400 carried no security header nor CORS.
		for _, c := range []struct {
			method, path, body string
			hdr                []string
			status             int
		}{
			{"GET", "/v1/issues?limit=%zz", "", []string{"Authorization", "Bearer tiny-user"}, 400},
			{"GET", "/v1/me", "", nil, 401},
			{"GET", "/v1/nothing", "", nil, 404},
			{"DELETE", "/health", "", nil, 404},
			{"POST", "/v1/issues", strings.Repeat("x", edge.MaxBodyBytes+1), []string{"Authorization", "Bearer tiny-user"}, 413},
		} {
			res, body := doBody(t, srv, c.method, c.path, c.body, append([]string{"Origin", webOrigin}, c.hdr...)...)
			require.Equal(t, c.status, res.StatusCode, "%s %s", c.method, c.path)
			assert.Equal(t, httpapi.ProblemContentType, res.Header.Get("Content-Type"))
			assert.NotEmpty(t, body["code"])
			securityHeaders(t, res)
			assert.Equal(t, webOrigin, res.Header.Get("Access-Control-Allow-Origin"), "a browser could not read the %d", c.status)
		}
		clk.Advance(edge.AuthorizerResultTTL) // the cache's test below starts without tiny-user's result
	})
	t.Run("bodies up to the edge's limit pass, larger ones are refused before any function runs", func(t *testing.T) {
		// At the limit the body reaches the function, which takes none on
		// a GET (routes.Route.TakesBody): its 400, not the edge's 413.
		res, body := doBody(t, srv, "GET", "/health", strings.Repeat("x", edge.MaxBodyBytes))
		assert.Equal(t, 400, res.StatusCode)
		assert.Equal(t, "body_not_allowed", body["code"])
		res, body = doBody(t, srv, "GET", "/health", strings.Repeat("x", edge.MaxBodyBytes+1))
		assert.Equal(t, 413, res.StatusCode, "API Gateway's REQUEST_TOO_LARGE, as the template mode answers")
		assert.Equal(t, "body_too_large", body["code"])
	})
	t.Run("the authorizer result is cached per token for the edge's TTL, not longer", func(t *testing.T) {
		before := calls.Load()
		for range 3 {
			res, _ := do(t, srv, "GET", "/v1/me", "Authorization", "Bearer tiny-user")
			require.Equal(t, 200, res.StatusCode)
		}
		assert.Equal(t, before+1, calls.Load())
		clk.Advance(edge.AuthorizerResultTTL - time.Second)
		do(t, srv, "GET", "/v1/me", "Authorization", "Bearer tiny-user")
		assert.Equal(t, before+1, calls.Load(), "cached within the TTL")
		clk.Advance(time.Second)
		do(t, srv, "GET", "/v1/me", "Authorization", "Bearer tiny-user")
		assert.Equal(t, before+2, calls.Load(), "the result outlived edge.AuthorizerResultTTL")
	})
	t.Run("a Basic tenant past its burst gets 429 with Retry-After and RateLimit headers", func(t *testing.T) {
		burst := tiers.MustGet(tiers.Basic).Burst
		var last *http.Response
		var body map[string]any
		for range 10 * burst { // sequential requests outpace the refill of 10/s; a loaded machine needs more of them
			last, body = do(t, srv, "GET", "/v1/me", "Authorization", "Bearer tiny-user")
			if last.StatusCode == 429 {
				break
			}
		}
		require.Equal(t, 429, last.StatusCode)
		assert.Equal(t, "rate_limited_burst", body["code"])
		aws := asInAWS(t, httpapi.Throttled, last)
		delete(aws, "detail")
		delete(body, "detail") // the local detail names the tier's figures
		assert.Equal(t, aws, withoutInstance(body), "API Gateway's THROTTLED response")
		assert.NotEmpty(t, last.Header.Get("Retry-After"))
		assert.Contains(t, last.Header.Get("RateLimit-Policy"), `"burst";q=20`)
		assert.Contains(t, last.Header.Get("RateLimit"), `"burst";r=0`)
		securityHeaders(t, last)
	})
}

// securityHeaders asserts the answer carries every security header of the
// edge, with the value every answer of the platform carries.
func securityHeaders(t *testing.T, res *http.Response) {
	t.Helper()
	for k, v := range edge.SecurityHeaders() {
		assert.Equal(t, v, res.Header.Get(k), "%s on the %d", k, res.StatusCode)
	}
}
