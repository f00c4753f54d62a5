package openapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/openapi"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/stretchr/testify/assert"
)

// Every POST takes Idempotency-Key, public ones included
// (internal/app's TestEveryPOSTHonoursIdempotencyKey proves the behaviour);
// the document said so only for signed-in POSTs (audit12).
func TestEveryPOSTDocumentsItsIdempotencyKey(t *testing.T) {
	doc := openapi.Build(routes.All(), openapi.Bodies(), "1")
	paths := doc["paths"].(map[string]any)
	public := 0
	for _, rt := range routes.All() {
		if rt.Method != http.MethodPost {
			continue
		}
		op := paths[rt.Path].(map[string]any)[strings.ToLower(rt.Method)].(map[string]any)
		var desc string
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			if m := p.(map[string]any); m["name"] == "Idempotency-Key" && m["in"] == "header" {
				desc, _ = m["description"].(string)
			}
		}
		if !assert.NotEmpty(t, desc, "%s %s documents no Idempotency-Key", rt.Method, rt.Path) {
			continue
		}
		if rt.Access.Kind == routes.Public {
			public++
			assert.Contains(t, desc, "source address", "%s %s: whose keys a public POST shares", rt.Method, rt.Path)
		}
	}
	assert.Positive(t, public, "the table has public POSTs (registrations)")
}
