package edge_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

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
			edge.SetPreflight(h, o, allowed)
			assert.Empty(t, h.Get("Access-Control-Allow-Origin"))
			assert.Empty(t, h.Get("Access-Control-Allow-Methods"))
			assert.Equal(t, []string{"Origin"}, h.Values("Vary"))
		}
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

	static := edge.StaticSecurityHeaders()
	for k, v := range edge.SecurityHeaders() {
		if strings.Contains(v, "'") {
			assert.NotContains(t, static, k, "API Gateway cannot express %s", k)
		} else {
			assert.Equal(t, v, static[k], k)
		}
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
