package meta_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/openapi"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The published document and the route table agree: every route with its
// method, operationId and security, and nothing else.
func TestOpenAPIDocumentMatchesTheRouteTable(t *testing.T) {
	api := apitest.New(t, app.Deps{Names: schema.Names{Prefix: "unit"}})
	res := api.Anonymous().Do("GET", "/v1/openapi.json", nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var doc struct {
		OpenAPI string `json:"openapi"`
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	res.JSON(t, &doc)
	assert.Equal(t, "3.1.0", doc.OpenAPI)
	t.Run("servers name the deployed stage and the local gateway", func(t *testing.T) {
		require.Len(t, doc.Servers, 2)
		assert.True(t, strings.HasSuffix(doc.Servers[0].URL, ".amazonaws.com/prod"), doc.Servers[0].URL)
		assert.Equal(t, "http://localhost:8080", doc.Servers[1].URL)
	})

	want := map[string]routes.Route{}
	for _, rt := range routes.All() {
		want[strings.ToLower(rt.Method)+" "+rt.Path] = rt
	}
	var got []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			k := method + " " + path
			got = append(got, k)
			rt, ok := want[k]
			if !assert.True(t, ok, "%s is documented but not in the route table", k) {
				continue
			}
			assert.Equal(t, rt.OperationID, op["operationId"], k)
			assert.Equal(t, len(openapi.Security(rt)), len(op["security"].([]any)), "%s security", k)
			assert.Contains(t, op["responses"], "default", k)
		}
	}
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	sort.Strings(got)
	assert.Equal(t, keys, got, "every route is documented, once")
	t.Run("request and response schemas are components", func(t *testing.T) {
		for _, name := range []string{"Issue", "CreateIssue", "Patch", "Comment", "Label", "Page_Issue", "Hit", "Problem"} {
			assert.Contains(t, doc.Components.Schemas, name)
		}
		issue := doc.Components.Schemas["Issue"].(map[string]any)["properties"].(map[string]any)
		// Statuses are each project's workflow data (issue 12): an id, no enum.
		assert.Equal(t, "string", issue["status"].(map[string]any)["type"])
		assert.Nil(t, issue["status"].(map[string]any)["enum"])
	})
	t.Run("component names are valid and every $ref resolves", func(t *testing.T) {
		for name := range doc.Components.Schemas {
			assert.Regexp(t, `^[A-Za-z0-9._-]+$`, name)
		}
		var raw any
		res.JSON(t, &raw)
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				if ref, ok := x["$ref"].(string); ok {
					assert.Contains(t, doc.Components.Schemas, strings.TrimPrefix(ref, "#/components/schemas/"), ref)
				}
				for _, e := range x {
					walk(e)
				}
			case []any:
				for _, e := range x {
					walk(e)
				}
			}
		}
		walk(raw)
	})
	t.Run("tenant routes need the bearer token, public ones nothing", func(t *testing.T) {
		assert.Empty(t, doc.Paths["/v1/openapi.json"]["get"]["security"])
		assert.NotEmpty(t, doc.Paths["/v1/issues"]["post"]["security"])
	})
}
