package edge_test

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/edge"
)

func TestCORS(t *testing.T) {
	allowed := []string{"https://app.example.com"}
	t.Run("an allowed origin is granted and may read the exposed headers", func(t *testing.T) {
		h := http.Header{}
		edge.SetCORS(h, "https://APP.example.com", allowed)
		assert.Equal(t, "https://APP.example.com", h.Get("Access-Control-Allow-Origin"))
		assert.Equal(t, edge.List(edge.CORSExposeHeaders), h.Get("Access-Control-Expose-Headers"))
		assert.Equal(t, []string{"Origin"}, h.Values("Vary"))
	})
	t.Run("another origin, or none, is not granted, and caches still vary on it", func(t *testing.T) {
		for _, o := range []string{"https://evil.example", ""} {
			h := http.Header{}
			edge.SetCORS(h, o, allowed)
			assert.Empty(t, h.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, []string{"Origin"}, h.Values("Vary"))
		}
	})
	t.Run("the gateway's own answers name the web origin to another origin, as API Gateway's static header does", func(t *testing.T) {
		two := append(allowed, "http://localhost:5173")
		for _, c := range []struct{ origin, want string }{
			{"https://evil.example", "https://app.example.com"}, {"", "https://app.example.com"},
			{"http://localhost:5173", "http://localhost:5173"}, {"https://app.example.com", "https://app.example.com"},
		} {
			h := http.Header{}
			edge.SetPreflight(h, c.origin, two) // before edge14: no Allow-Origin, no Allow-Methods for another origin
			assert.Equal(t, c.want, h.Get("Access-Control-Allow-Origin"), c.origin)
			assert.Equal(t, edge.List(edge.CORSAllowMethods), h.Get("Access-Control-Allow-Methods"), c.origin)
			assert.Equal(t, []string{"Origin"}, h.Values("Vary"))
			h = http.Header{}
			edge.SetGatewayCORS(h, c.origin, two)
			assert.Equal(t, c.want, h.Get("Access-Control-Allow-Origin"), c.origin)
			assert.Equal(t, edge.List(edge.CORSExposeHeaders), h.Get("Access-Control-Expose-Headers"), c.origin)
		}
		h := http.Header{}
		edge.SetPreflight(h, "https://evil.example", nil)
		assert.Empty(t, h.Get("Access-Control-Allow-Origin"), "nothing allowed, nothing named")
	})
	t.Run("* allows any origin", func(t *testing.T) {
		assert.True(t, edge.OriginAllowed("http://localhost:1234", []string{"*"}))
	})
	t.Run("Vary is added once, next to what the answer varies on already", func(t *testing.T) {
		h := http.Header{"Vary": {"Accept-Encoding"}}
		edge.SetCORS(h, "https://app.example.com", allowed)
		edge.SetPreflight(h, "https://app.example.com", allowed)
		assert.Equal(t, []string{"Accept-Encoding", "Origin"}, h.Values("Vary"))
	})
}

func TestSecurityHeaders(t *testing.T) {
	all := edge.SecurityHeaders()
	for _, k := range []string{"Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy", "Cache-Control"} {
		assert.NotEmpty(t, all[k], k)
	}
	all["X-Frame-Options"] = "changed"
	assert.Equal(t, "DENY", edge.SecurityHeaders()["X-Frame-Options"], "callers get a copy")

	// One set of headers for every answer: API Gateway's gateway responses
	// write static values in single quotes, so none may hold one (the CSP
	// said 'none' and was left off every answer API Gateway and the local
	// gateway made themselves until audit12).
	for k, v := range edge.SecurityHeaders() {
		assert.NotContains(t, v, "'", "API Gateway cannot express %s", k)
	}
	// Empty source lists are 'none' (CSP 3, §6.7.2.5): every fetch and
	// every framing refused.
	csp := map[string]string{}
	for _, d := range strings.Split(all["Content-Security-Policy"], ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		csp[name] = value
	}
	for _, d := range []string{"default-src", "frame-ancestors"} {
		v, ok := csp[d]
		assert.True(t, ok && (v == "" || v == "'none'"), "%s must allow nothing, is %q", d, v)
	}
}

// Every answer gets the security headers without an allocation, and the
// values they share are not changed through one answer's headers.
func TestSecurityHeadersAreSharedSafely(t *testing.T) {
	h := http.Header{}
	edge.SetSecurityHeaders(h)
	for k, v := range edge.SecurityHeaders() {
		assert.Equal(t, []string{v}, h.Values(k), k)
	}
	assert.Len(t, h, len(edge.SecurityHeaders()))
	h.Add("Cache-Control", "private")
	other := http.Header{}
	edge.SetSecurityHeaders(other)
	assert.Equal(t, []string{"no-store"}, other.Values("Cache-Control"), "an Add to one answer's header reached another's")
	allocs := testing.AllocsPerRun(100, func() { edge.SetSecurityHeaders(other) })
	assert.Zero(t, allocs)
}

// A browser on the web's origin (another origin than the API's in AWS)
// reads only the answer headers CORS exposes, besides the Fetch standard's
// safelist: every header the web app reads must be in CORSExposeHeaders
// (the exports' Link and Next-Cursor were not until audit12: paging an
// export read nothing cross-origin), and so must the API's own headers a
// client acts on.
func TestEveryHeaderTheWebAppReadsIsExposed(t *testing.T) {
	safelisted := []string{"Cache-Control", "Content-Language", "Content-Length", "Content-Type", "Expires", "Last-Modified", "Pragma"}
	read := regexp.MustCompile(`headers\.get\('([A-Za-z-]+)'\)`)
	seen := 0
	err := filepath.WalkDir(filepath.Join("..", "..", "web", "src"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(path, ".test.") || !(strings.HasSuffix(path, ".ts") || strings.HasSuffix(path, ".tsx")) {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range read.FindAllStringSubmatch(string(b), -1) {
			h := http.CanonicalHeaderKey(m[1])
			if h == "If-Match" || h == "Idempotency-Key" { // request headers the client reads back
				continue
			}
			seen++
			if !slices.Contains(safelisted, h) {
				assert.Contains(t, edge.CORSExposeHeaders, h, "%s reads %s", path, h)
			}
		}
		return nil
	})
	require.NoError(t, err)
	assert.NotZero(t, seen, "the web app reads no answer header: the pattern is stale")
	for _, h := range []string{"ETag", "Location", "Retry-After", "RateLimit", "RateLimit-Policy", "X-Request-Id", "Idempotent-Replayed", "Allow", "Link", "Next-Cursor", "Content-Disposition"} {
		assert.Contains(t, edge.CORSExposeHeaders, h)
	}
}
