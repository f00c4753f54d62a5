package openapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/openapi"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const docURL = "https://issuetracker.dev/openapi.json"

// validator compiles schemas at JSON pointers of the generated document.
type validator struct {
	t *testing.T
	c *jsonschema.Compiler
}

func newValidator(t *testing.T, doc openapi.Doc) validator {
	raw, err := json.Marshal(doc)
	require.NoError(t, err)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	require.NoError(t, c.AddResource(docURL, v))
	return validator{t: t, c: c}
}

// validate checks body (JSON bytes) against the schema at pointer ptr.
func (v validator) validate(body []byte, ptr ...string) error {
	for i, p := range ptr {
		ptr[i] = url.PathEscape(strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1"))
	}
	sch, err := v.c.Compile(docURL + "#/" + strings.Join(ptr, "/"))
	require.NoError(v.t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// ErrorExamples are operations whose example the seeded world can only
// answer with a documented error.
var errorExamples = map[string]bool{"retryTenantLifecycle": true} // nothing failed to retry

// Every operation of the route table is driven through the real handlers
// (DynamoDB Local, cognito-local) with an example request: the request body
// validates against the documented request schema, the answer's status is
// one the document lists for the operation, and its body validates against
// the schema documented for that status. A route without documented
// schemas, or without an example, fails here.
func TestEveryOperationAnswersAsDocumented(t *testing.T) {
	w := apitest.NewWorld(t)
	c := w.SeedContent()
	examples := w.Examples(c)
	bodies := openapi.Bodies()
	doc := openapi.Build(routes.All(), bodies, "test")
	v := newValidator(t, doc)
	paths := doc["paths"].(map[string]any)

	for _, rt := range routes.All() {
		method := strings.ToLower(rt.Method)
		t.Run(rt.OperationID, func(t *testing.T) {
			b, ok := bodies[rt.OperationID]
			require.True(t, ok, "route %s %s (%s) has no documented request and response schemas: add it to openapi.Bodies", rt.Method, rt.Path, rt.OperationID)
			ex, ok := examples[rt.OperationID]
			require.True(t, ok, "route %s %s (%s) has no example request: add one to apitest.Examples", rt.Method, rt.Path, rt.OperationID)
			op := paths[rt.Path].(map[string]any)[method].(map[string]any)
			responses := op["responses"].(map[string]any)

			reqBody, documented := op["requestBody"].(map[string]any)
			switch {
			case ex.Body != nil:
				require.True(t, documented, "the handler reads a body but the document has no request schema")
				raw, err := json.Marshal(ex.Body)
				require.NoError(t, err)
				for ct := range reqBody["content"].(map[string]any) {
					assert.NoError(t, v.validate(raw, "paths", rt.Path, method, "requestBody", "content", ct, "schema"), "the example request does not match the documented schema")
				}
				if ex.Alt != nil {
					alt, _ := json.Marshal(ex.Alt)
					for ct := range reqBody["content"].(map[string]any) {
						assert.NoError(t, v.validate(alt, "paths", rt.Path, method, "requestBody", "content", ct, "schema"))
					}
				}
			case documented:
				assert.False(t, reqBody["required"] == true, "a required request body is documented, but the operation is called without one")
			}

			path := ex.Path
			if path == "" {
				path = c.Path(rt.Path)
			}
			res := w.Call(ex, rt.Method, path, ex.Body)
			status := strconv.Itoa(res.Status)
			resp, ok := responses[status].(map[string]any)
			require.True(t, ok, "answered %d, which the document does not list for %s (it lists %v): %s", res.Status, rt.OperationID, keys(responses), res.Body)
			if !errorExamples[rt.OperationID] {
				want := b.Status
				if want == 0 {
					want = http.StatusOK
				}
				require.Equal(t, want, res.Status, "the example should succeed with the documented status: %s", res.Body)
			}
			content, hasContent := resp["content"].(map[string]any)
			if !hasContent {
				assert.Empty(t, res.Body, "the document says %d has no body", res.Status)
				return
			}
			ct := strings.TrimSpace(strings.Split(res.Header.Get("Content-Type"), ";")[0])
			require.Contains(t, content, ct, "answered %s, documented %v", ct, keys(content))
			assert.NoError(t, v.validate(res.Body, "paths", rt.Path, method, "responses", status, "content", ct, "schema"),
				"the %d body does not match the documented schema: %s", res.Status, res.Body)
		})
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
