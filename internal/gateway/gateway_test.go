package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/gateway"
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
func setup(t *testing.T) (*httptest.Server, *atomic.Int32) {
	db, names := testenv.Tables(t)
	now := time.Now().UTC()
	require.NoError(t, tenantdb.New(db, names).Create(context.Background(), tenant.Tenant{ID: "tiny", Name: "Tiny",
		Tier: tiers.Basic, Status: tenant.StatusActive, Table: names.App(), APIKey: "key-tiny", CreatedAt: now, UpdatedAt: now}))
	deps := app.Deps{DB: db, Names: names, Now: time.Now}
	fns := map[routes.Function]http.Handler{}
	for _, fn := range routes.Functions() {
		fns[fn] = app.MustFunction(fn, deps)
	}
	calls := &atomic.Int32{}
	gw := gateway.New(gateway.Config{
		Functions:          fns,
		AuthorizerCacheTTL: time.Minute,
		AllowedOrigins:     []string{"http://localhost:5173"},
		Authorize: func(ctx context.Context, h string) (tenancy.Principal, string, error) {
			calls.Add(1)
			if h != "Bearer tiny-user" {
				return tenancy.Principal{}, "", errs.Unauthorized("token_malformed", "bad token")
			}
			return tenancy.Principal{TenantID: "tiny", UserID: "u1", Username: "u1", Role: roles.User,
				Tier: tiers.Basic, Table: names.App()}, "key-tiny", nil
		},
	})
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return srv, calls
}

func do(t *testing.T, srv *httptest.Server, method, path string, hdr ...string) (*http.Response, map[string]any) {
	req, err := http.NewRequest(method, srv.URL+path, nil)
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
	srv, calls := setup(t)

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
		assert.Equal(t, "token_malformed", body["code"])
		assert.Equal(t, res.Header.Get("X-Request-Id"), body["request_id"])
	})
	t.Run("an unknown route is a 404 problem and a wrong method a 405", func(t *testing.T) {
		res, body := do(t, srv, "GET", "/v1/nothing")
		assert.Equal(t, 404, res.StatusCode)
		assert.Equal(t, "route_not_found", body["code"])
		res, _ = do(t, srv, "DELETE", "/health")
		assert.Equal(t, 405, res.StatusCode)
	})
	t.Run("a CORS preflight from an allowed origin is answered by the gateway", func(t *testing.T) {
		res, _ := do(t, srv, "OPTIONS", "/v1/me", "Origin", "http://localhost:5173", "Access-Control-Request-Method", "GET")
		assert.Equal(t, 204, res.StatusCode)
		assert.Equal(t, "http://localhost:5173", res.Header.Get("Access-Control-Allow-Origin"))
		assert.Contains(t, res.Header.Get("Access-Control-Allow-Headers"), "Idempotency-Key")
		res, _ = do(t, srv, "OPTIONS", "/v1/me", "Origin", "http://evil.test", "Access-Control-Request-Method", "GET")
		assert.Empty(t, res.Header.Get("Access-Control-Allow-Origin"))
	})
	t.Run("the authorizer result is cached per token", func(t *testing.T) {
		before := calls.Load()
		for range 3 {
			res, _ := do(t, srv, "GET", "/v1/me", "Authorization", "Bearer tiny-user")
			require.Equal(t, 200, res.StatusCode)
		}
		assert.Equal(t, before+1, calls.Load())
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
		assert.NotEmpty(t, last.Header.Get("Retry-After"))
		assert.Contains(t, last.Header.Get("RateLimit-Policy"), `"burst";q=20`)
		assert.Contains(t, last.Header.Get("RateLimit"), `"burst";r=0`)
	})
}
