package devstack_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The whole chain as `make dev` runs it: cognito-local tokens → local
// gateway → authorizer → usage plan → function handler → DynamoDB Local.
func TestPlatformEndToEnd(t *testing.T) {
	t.Parallel()
	w := startPlatform(t)
	ctx, root, pl := w.ctx, w.root, w.pl
	login := func(email, client string) string { return w.login(client, email) }
	get := func(path, token string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest("GET", pl.GatewayURL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		return res, m
	}

	t.Run("a request line Go cannot parse is a 400 problem", w.refusesBadEscapesAsProblems)
	t.Run("bootstrap is idempotent", func(t *testing.T) {
		again, err := devstack.Bootstrap(ctx, testenv.DynamoDB(t), testenv.Cognito(t), schemaNames(pl.Prefix), filepath.Join(root, devstack.PlatformTemplate))
		require.NoError(t, err)
		assert.Equal(t, pl.TenantPoolID, again.TenantPoolID)
		assert.Equal(t, pl.TenantClientID, again.TenantClientID)
	})
	t.Run("the seeded User reads /v1/me with their tenant and role", func(t *testing.T) {
		res, me := get("/v1/me", login("user@acme.test", pl.TenantClientID))
		require.Equal(t, 200, res.StatusCode, me)
		assert.Equal(t, "acme", me["tenant"].(map[string]any)["id"])
		assert.Equal(t, "user", me["user"].(map[string]any)["role"])
		assert.Equal(t, "standard", me["limits"].(map[string]any)["name"])
	})
	userTok := login("admin@acme.test", pl.TenantClientID)
	parts := strings.Split(userTok, ".")
	tampered := parts[0] + "." + strings.Replace(parts[1], parts[1][5:6], flip(parts[1][5:6]), 1) + "." + parts[2]
	for name, tok := range map[string]string{"no token": "", "a tampered token": tampered} {
		t.Run(name+" gets a 401 problem", func(t *testing.T) {
			res, body := get("/v1/me", tok)
			assert.Equal(t, 401, res.StatusCode)
			assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
			assert.NotEmpty(t, body["code"])
		})
	}
	t.Run("a token from a user pool the platform does not trust gets a 401", func(t *testing.T) {
		p := cognito.Pools{C: testenv.Cognito(t)}
		pool, err := cognitotest.EnsurePool(ctx, p.C, pl.Prefix+"-rogue")
		require.NoError(t, err)
		client, err := cognitotest.EnsureClient(ctx, p.C, pool, "web")
		require.NoError(t, err)
		_, err = p.EnsureUser(ctx, pool, cognito.UserSpec{Email: "eve@acme.test", Password: devstack.DemoPassword,
			TenantID: "acme", Role: "super_admin"})
		require.NoError(t, err)
		res, body := get("/v1/me", login("eve@acme.test", client))
		assert.Equal(t, 401, res.StatusCode)
		assert.Equal(t, httpapi.Unauthenticated.Code, body["code"], "the authorizer's reason stays in the log, as in AWS")
	})
	t.Run("root reaches provider routes but not tenant routes", func(t *testing.T) {
		rootTok := login(devstack.Demo.Root.Email, pl.ProviderClientID)
		res, _ := get("/v1/admin/me", rootTok)
		assert.Equal(t, 200, res.StatusCode)
		res, _ = get("/v1/me", rootTok)
		assert.Equal(t, 403, res.StatusCode)
	})
	t.Run("a Basic tenant past its burst gets 429 with Retry-After", func(t *testing.T) {
		tok := login("owner@globex.test", pl.TenantClientID)
		var mu sync.Mutex
		codes := map[int]int{}
		retryAfter := ""
		// Rounds of 40 parallel requests: one round normally drains the burst
		// of 20; a loaded machine may need another before the 10/s refill loses.
		for round := 0; round < 5 && codes[429] == 0; round++ {
			var wg sync.WaitGroup
			for range 40 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, _ := get("/v1/me", tok)
					mu.Lock()
					codes[res.StatusCode]++
					if res.StatusCode == 429 {
						retryAfter = res.Header.Get("Retry-After")
					}
					mu.Unlock()
				}()
			}
			wg.Wait()
		}
		assert.Positive(t, codes[429], "parallel requests exceed a burst of 20: %v", codes)
		assert.GreaterOrEqual(t, codes[200], 20, "the burst itself is served: %v", codes)
		assert.NotEmpty(t, retryAfter)
	})
}

func flip(s string) string {
	if s == "A" {
		return "B"
	}
	return "A"
}
