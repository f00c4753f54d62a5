package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// faulty serves the issues function with h, for a Basic tenant's user.
func faulty(t *testing.T, h http.Handler, mod func(*gateway.Config)) *httptest.Server {
	cfg := gateway.Config{
		Functions: map[routes.Function]http.Handler{routes.FnIssues: h},
		Authorize: func(context.Context, string) (tenancy.Principal, string, error) {
			return tenancy.Principal{TenantID: "tiny", UserID: "u1", Username: "u1", Role: roles.User, Tier: tiers.Basic, Table: "t"}, "key-tiny", nil
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	srv := httptest.NewServer(gateway.New(cfg))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, path string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer x")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res, m
}

func TestAHandlerPanicIsA500ProblemAndTheGatewayKeepsServing(t *testing.T) {
	n := 0
	srv := faulty(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n++; n == 1 {
			panic("boom")
		}
		w.WriteHeader(http.StatusNoContent)
	}), nil)
	res, body := get(t, srv, "/v1/issues/01J0000000000000000000000A")
	assert.Equal(t, 500, res.StatusCode)
	assert.Equal(t, httpapi.ProblemContentType, res.Header.Get("Content-Type"))
	assert.Equal(t, "internal", body["code"])
	assert.NotEmpty(t, body["request_id"])
	assert.Equal(t, res.Header.Get(httpapi.RequestIDHeader), body["request_id"], "the problem names the request")
	res, _ = get(t, srv, "/v1/issues/01J0000000000000000000000A")
	assert.Equal(t, 204, res.StatusCode, "the next request is served")
}

func TestADependencyThatIsDownIsA503WithRetryAfter(t *testing.T) {
	down := &net.OpError{Op: "dial", Net: "tcp", Err: &net.AddrError{Err: "refused"}}
	for name, cause := range map[string]error{
		"connection refused": fmt.Errorf("get issue: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}),
		"a network error":    fmt.Errorf("get issue: %w", down),
		"a deadline":         fmt.Errorf("get issue: %w", context.DeadlineExceeded),
	} {
		t.Run(name, func(t *testing.T) {
			srv := faulty(t, httpapi.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return cause }), nil)
			res, body := get(t, srv, "/v1/issues/01J0000000000000000000000A")
			assert.Equal(t, 503, res.StatusCode)
			assert.Equal(t, httpapi.ProblemContentType, res.Header.Get("Content-Type"))
			assert.Equal(t, httpapi.RetryAfterUnavailable, res.Header.Get("Retry-After"))
			assert.Equal(t, "service_unavailable", body["code"])
		})
	}
	t.Run("a defect stays a 500", func(t *testing.T) {
		srv := faulty(t, httpapi.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return fmt.Errorf("nil map") }), nil)
		res, body := get(t, srv, "/v1/issues/01J0000000000000000000000A")
		assert.Equal(t, 500, res.StatusCode)
		assert.Empty(t, res.Header.Get("Retry-After"))
		assert.Equal(t, "internal", body["code"])
	})
}

func TestASlowFunctionIsCutOffAtTheTimeoutWithA504(t *testing.T) {
	srv := faulty(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done(): // the SDK's calls end with the request's context
		case <-time.After(10 * time.Second):
		}
	}), func(c *gateway.Config) { c.Timeout = 200 * time.Millisecond })
	start := time.Now()
	res, body := get(t, srv, "/v1/issues/01J0000000000000000000000A")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, 504, res.StatusCode)
	assert.Equal(t, "integration_timeout", body["code"])
}

func TestTierLimitsFromConfigurationReplaceTheCatalogsThrottle(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	count429 := func(srv *httptest.Server) int {
		n := 0
		for range 40 {
			if res, _ := get(t, srv, "/v1/issues/01J0000000000000000000000A"); res.StatusCode == 429 {
				n++
			}
		}
		return n
	}
	assert.Positive(t, count429(faulty(t, ok, nil)), "Basic's burst of 20 bites")
	limits, err := gateway.ParseTierLimits("basic=1000:1000,premium=5:5")
	require.NoError(t, err)
	assert.Zero(t, count429(faulty(t, ok, func(c *gateway.Config) { c.TierLimits = limits })))
}

func TestParseTierLimits(t *testing.T) {
	l, err := gateway.ParseTierLimits("*=100:200:300, basic=1.5:3")
	require.NoError(t, err)
	b := l.Apply(tiers.MustGet(tiers.Basic))
	assert.Equal(t, 1.5, b.RateLimit)
	assert.Equal(t, 3, b.Burst)
	assert.Equal(t, tiers.MustGet(tiers.Basic).MonthlyQuota, b.MonthlyQuota, "no quota given: the catalog's")
	p := l.Apply(tiers.MustGet(tiers.Premium))
	assert.Equal(t, 100.0, p.RateLimit)
	assert.Equal(t, int64(300), p.MonthlyQuota)
	none, err := gateway.ParseTierLimits("")
	require.NoError(t, err)
	assert.Equal(t, tiers.MustGet(tiers.Basic), none.Apply(tiers.MustGet(tiers.Basic)))
	for _, bad := range []string{"gold=1:2", "basic", "basic=1", "basic=0:5", "basic=1:x", "basic=1:2:3:4", "basic=1:2:-1"} {
		_, err := gateway.ParseTierLimits(bad)
		assert.Error(t, err, bad)
	}
}
