package devstack_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/webapp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func webFixture(t *testing.T) devstack.Web {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "assets"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte("<!doctype html><div id=root></div>"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "assets", "app-3f9a.js"), []byte("console.log(1)"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "favicon.svg"), []byte("<svg/>"), 0o644))
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	return devstack.Web{API: api, Dir: dir, Config: webapp.Config{APIURL: "http://localhost:18480",
		CognitoEndpoint: "http://127.0.0.1:18429", TenantPoolID: "pool", Environment: "local"}}
}

func get(h http.Handler, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec
}

func TestWebServesTheAppBesideTheAPI(t *testing.T) {
	t.Parallel()
	h := webFixture(t)
	t.Run("the API keeps /v1 and /health", func(t *testing.T) {
		assert.Equal(t, http.StatusTeapot, get(h, "/v1/me").Code)
		assert.Equal(t, http.StatusTeapot, get(h, "/health").Code)
	})
	t.Run("app routes get index.html, never cached", func(t *testing.T) {
		for _, p := range []string{"/", "/w/acme/issues", "/w/acme/issues/ACME-1", "/signup"} {
			rec := get(h, p)
			assert.Equal(t, http.StatusOK, rec.Code, p)
			assert.Contains(t, rec.Body.String(), `<div id=root>`, p)
			assert.Equal(t, "no-cache", rec.Header().Get("Cache-Control"), p)
			assert.Contains(t, rec.Header().Get("Content-Security-Policy"), "script-src 'self';", p)
		}
	})
	t.Run("hashed assets are immutable; a missing one is a 404, not the app", func(t *testing.T) {
		rec := get(h, "/assets/app-3f9a.js")
		assert.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, "public, max-age=31536000, immutable", rec.Header().Get("Cache-Control"))
		assert.Equal(t, http.StatusNotFound, get(h, "/assets/gone-1234.js").Code)
		assert.Equal(t, "no-cache", get(h, "/favicon.svg").Header().Get("Cache-Control"))
	})
	t.Run("config.json is this platform's, never cached", func(t *testing.T) {
		rec := get(h, "/config.json")
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		var c map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &c))
		assert.Equal(t, "http://localhost:18480", c["api_url"])
		assert.Equal(t, "pool", c["tenant_pool_id"])
	})
	t.Run("the CSP lets the app reach only itself, the API and Cognito", func(t *testing.T) {
		csp := get(h, "/").Header().Get("Content-Security-Policy")
		assert.Contains(t, csp, "connect-src 'self' http://localhost:18480 http://127.0.0.1:18429;")
		assert.NotContains(t, csp, "unsafe-eval")
		script := strings.Split(strings.Split(csp, "script-src")[1], ";")[0]
		assert.NotContains(t, script, "unsafe-inline", "no inline scripts")
	})
	t.Run("with cells, the app may also reach the other cells' APIs (a registration placed there)", func(t *testing.T) {
		h := h
		h.Peers = func() []string { return []string{"http://localhost:18481"} }
		csp := get(h, "/signup").Header().Get("Content-Security-Policy")
		assert.Contains(t, csp, "connect-src 'self' http://localhost:18480 http://127.0.0.1:18429 http://localhost:18481;")
	})
	t.Run("paths cannot climb out of the build folder", func(t *testing.T) {
		rec := get(h, "/../../etc/passwd")
		assert.NotContains(t, rec.Body.String(), "root:")
	})
	t.Run("an unbuilt app says how to build it", func(t *testing.T) {
		h := h
		h.Dir = t.TempDir()
		rec := get(h, "/w/acme/issues")
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
		assert.Contains(t, rec.Body.String(), "make web-build")
	})
}
