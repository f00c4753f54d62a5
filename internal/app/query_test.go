package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every GET route of the table, called as its example with one query
// parameter it does not declare (a typo: ?stauts=open), answers a 400
// unknown_parameter naming it, never the unfiltered answer; the route
// table's QueryParams are the only ones taken (the OpenAPI document
// describes the same, internal/openapi).
func TestEveryGETRouteRefusesAnUndeclaredQueryParameter(t *testing.T) {
	w := apitest.NewWorld(t)
	c := w.SeedContent()
	examples := w.Examples(c)
	tried := 0
	for _, rt := range routes.All() {
		if rt.Method != http.MethodGet {
			continue
		}
		ex, ok := examples[rt.OperationID]
		require.True(t, ok, "%s has no example", rt.OperationID)
		path := ex.Path
		if path == "" {
			path = c.Path(rt.Path)
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		tried++
		t.Run(rt.OperationID, func(t *testing.T) {
			for _, typo := range []string{"stauts", "limit_", "Limit", "token2"} {
				res := w.Call(ex, rt.Method, path+sep+typo+"=open", nil)
				require.Equal(t, http.StatusBadRequest, res.Status, "%s%s%s: %s", path, sep, typo, res.Body)
				assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
				p := res.Map(t)
				assert.Equal(t, "unknown_parameter", p["code"], "%s", res.Body)
				errs, _ := p["errors"].([]any)
				require.Len(t, errs, 1, "%s", res.Body)
				assert.Equal(t, typo, errs[0].(map[string]any)["field"])
			}
		})
	}
	assert.Greater(t, tried, 60, "GET routes")
}
