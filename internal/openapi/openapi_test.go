package openapi_test

import (
	"testing"

	"github.com/issuetracker/issuetracker/internal/openapi"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func schemas(t *testing.T) map[string]any {
	t.Helper()
	doc := openapi.Build(routes.All(), openapi.Bodies(), "1")
	return doc["components"].(map[string]any)["schemas"].(map[string]any)
}

func props(t *testing.T, s map[string]any, name string) map[string]any {
	t.Helper()
	c, ok := s[name].(map[string]any)
	require.True(t, ok, "no component %s", name)
	return c["properties"].(map[string]any)
}

// The web app's client is generated from the document, so its types must be
// the wire types: embedded structs are flattened as encoding/json does, and
// two Go types of one name do not share a schema.
func TestSchemasAreTheWireTypes(t *testing.T) {
	s := schemas(t)
	t.Run("an embedded struct's fields are the outer object's", func(t *testing.T) {
		p := props(t, s, "LifecycleBranding")
		assert.Contains(t, p, "customizable")
		assert.Contains(t, p, "primary_color", "tenant.Branding's fields are promoted")
		assert.NotContains(t, p, "Branding")
	})
	t.Run("same-named types of two packages get two components", func(t *testing.T) {
		assert.NotContains(t, props(t, s, "Branding"), "customizable")
	})
	t.Run("omitzero fields are optional", func(t *testing.T) {
		req, _ := s["User"].(map[string]any)["required"].([]any)
		assert.NotContains(t, req, "mfa_enabled_at")
		assert.Contains(t, req, "email")
	})
	t.Run("the people routes the web app calls are typed", func(t *testing.T) {
		for _, name := range []string{"Page_User", "Page_Team", "Team", "MFAStatus", "TOTPSetup"} {
			assert.Contains(t, s, name)
		}
	})
}
