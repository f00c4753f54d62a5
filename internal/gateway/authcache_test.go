package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/gateway"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/eventually"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// When a token's cached authorizer result is missing or expired, the
// requests that arrive together with that token wait for one authorizer
// call (which reads the tenant and the user), instead of one call each; a
// request whose client goes away does not fail the others; our own
// failures are still not cached.
func TestConcurrentRequestsOfATokenShareOneAuthorizerCall(t *testing.T) {
	const concurrent = 16
	rt, _, ok := routes.Match(http.MethodGet, "/v1/me")
	require.True(t, ok)
	var calls atomic.Int32
	var mu sync.Mutex
	release := make(chan struct{}) // closed to answer the waiting calls
	gate := func() chan struct{} { mu.Lock(); defer mu.Unlock(); return release }
	var fail atomic.Bool
	clk := &clock{}
	clk.t.Store(time.Now().UnixNano())
	gw := gateway.New(gateway.Config{
		Functions: map[routes.Function]http.Handler{rt.Function: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
		})},
		Now: clk.Now,
		Authorize: func(ctx context.Context, h string) (tenancy.Principal, string, error) {
			calls.Add(1)
			<-gate()
			if fail.Load() {
				return tenancy.Principal{}, "", errs.Internal(errors.New("the registry broke"))
			}
			return tenancy.Principal{TenantID: "tiny", UserID: "u1", Role: roles.User, Tier: tiers.Premium}, "key-tiny", nil
		},
		TierLimits: gateway.TierLimits{"*": {Rate: 1e6, Burst: 1e6, Quota: 1e9}},
	})
	wave := func(cancelFirst bool) []int {
		mu.Lock()
		release = make(chan struct{})
		mu.Unlock()
		before := calls.Load()
		codes := make([]int, concurrent)
		var wg sync.WaitGroup
		for i := range concurrent {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := context.Background()
				if cancelFirst && i == 0 {
					c, cancel := context.WithCancel(ctx)
					cancel() // this client went away
					ctx = c
				}
				req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/v1/me", nil)
				req.Header.Set("Authorization", "Bearer tiny-user")
				rec := httptest.NewRecorder()
				gw.ServeHTTP(rec, req)
				codes[i] = rec.Code
			}()
		}
		// Every request is waiting before the authorizer answers.
		require.Eventually(t, func() bool { return calls.Load() > before }, eventually.Deadline, time.Millisecond)
		time.Sleep(50 * time.Millisecond)
		close(gate())
		wg.Wait()
		return codes
	}

	for i, code := range wave(true) {
		if i > 0 {
			assert.Equal(t, http.StatusOK, code, "request %d", i)
		}
	}
	assert.EqualValues(t, 1, calls.Load(), "one authorizer call for the whole wave")

	clk.Advance(edge.AuthorizerResultTTL) // expired: the next wave calls once more
	wave(false)
	assert.EqualValues(t, 2, calls.Load())

	clk.Advance(edge.AuthorizerResultTTL)
	fail.Store(true)
	for _, code := range wave(false) {
		assert.Equal(t, http.StatusInternalServerError, code, "our own failure answers every waiting request")
	}
	assert.EqualValues(t, 3, calls.Load())
	fail.Store(false)
	req := httptest.NewRequest(http.MethodGet, "/v1/me", nil)
	req.Header.Set("Authorization", "Bearer tiny-user")
	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.EqualValues(t, 4, calls.Load(), "the failure was not cached")
}

// The authorizer context a cached result hands the function is that
// token's principal's, made once per result and made again when the
// result expires: a role changed meanwhile reaches the function with the
// next authorizer call, never another token's context.
func TestACachedResultHandsTheFunctionItsTokensContext(t *testing.T) {
	rt, _, ok := routes.Match(http.MethodGet, "/v1/me")
	require.True(t, ok)
	clk := &clock{}
	clk.t.Store(time.Now().UnixNano())
	var role atomic.Value
	role.Store(roles.User)
	var seen []map[string]any
	gw := gateway.New(gateway.Config{
		Functions: map[routes.Function]http.Handler{rt.Function: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc, ok := httpapi.GatewayContext(r.Context())
			require.True(t, ok)
			seen = append(seen, rc.Authorizer)
			w.WriteHeader(http.StatusOK)
		})},
		Now: clk.Now,
		Authorize: func(ctx context.Context, h string) (tenancy.Principal, string, error) {
			user := strings.TrimPrefix(h, "Bearer ")
			return tenancy.Principal{TenantID: "tiny", UserID: user, Role: role.Load().(roles.Role), Tier: tiers.Premium, Table: "app"}, "key-tiny", nil
		},
		TierLimits: gateway.TierLimits{"*": {Rate: 1e6, Burst: 1e6, Quota: 1e9}},
	})
	get := func(user string) tenancy.Principal {
		req := httptest.NewRequest(http.MethodGet, "/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+user)
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code)
		p, err := tenancy.FromAuthorizerContext(seen[len(seen)-1])
		require.NoError(t, err)
		return p
	}
	assert.Equal(t, "u1", get("u1").UserID)
	assert.Equal(t, "u2", get("u2").UserID)
	role.Store(roles.Admin)
	p := get("u1")
	assert.Equal(t, "u1", p.UserID)
	assert.Equal(t, roles.User, p.Role, "the cached result stands within its TTL")
	clk.Advance(edge.AuthorizerResultTTL)
	p = get("u1")
	assert.Equal(t, roles.Admin, p.Role, "an expired result's context is made again")
	assert.Equal(t, "u2", get("u2").UserID)
}
