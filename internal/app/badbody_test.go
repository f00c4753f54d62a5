package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/openapi"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goType is how a Go type shows in a message: "[]string", "issue.Priority",
// "int64", "map[string]any".
var goType = regexp.MustCompile(`\[\]|map\[|\*\w|\b[a-z]\w*\.[A-Z]\w*|\bu?int(8|16|32|64)?\b|\bbool\b|\bfloat(32|64)\b|\bstruct\b`)

// Every operation that reads a body, with its example's body spoiled: sent
// as another media type (415), as a JSON array or string instead of an
// object (400), over the edge's limit (413), and with each field of the
// example given a value of another JSON type (400 naming the field in
// JSON's words, or the operation's own 4xx), and with a key given twice
// (again in another case: 400 duplicate_key), and with each number out of
// range (1e400, 2^63), each array of 5,000 elements and each object nested
// 500 deep (a 4xx). Each answer is problem+json,
// never a 5xx, and none of them changes a single item of the tables.
func TestEveryBodyRefusesBadBodiesAndChangesNothing(t *testing.T) {
	t.Parallel()
	w, c, examples := seededWorld(t)
	bodies := openapi.Bodies()
	before := tables(t, w)

	tried, sent := 0, 0
	for _, rt := range routes.All() {
		ex, ok := examples[rt.OperationID]
		if !ok || ex.Body == nil || bodies[rt.OperationID].Request == nil {
			continue
		}
		if rt.OperationID == "stripeWebhook" {
			continue // Stripe's signed bytes, read raw: billingapi's tests
		}
		path := ex.Target(c, rt.Path)
		good, err := json.Marshal(ex.Body)
		require.NoError(t, err)
		type spoiled struct {
			name, contentType, body string
			status                  int
			code                    string
		}
		cases := []spoiled{
			{"as text/plain", "text/plain", string(good), http.StatusUnsupportedMediaType, "unsupported_media_type"},
			{"as a form", "application/x-www-form-urlencoded", "a=1", http.StatusUnsupportedMediaType, "unsupported_media_type"},
			{"as JSONP", "application/jsonp", string(good), http.StatusUnsupportedMediaType, "unsupported_media_type"},
			{"as JSON text sequences", "application/json-seq", string(good), http.StatusUnsupportedMediaType, "unsupported_media_type"},
			{"as JSON in Latin-1", "application/json; charset=iso-8859-1", string(good), http.StatusUnsupportedMediaType, "unsupported_media_type"},
			{"as a JSON array", "application/json", "[" + string(good) + "]", http.StatusBadRequest, "malformed_json"},
			{"as a JSON string", "application/json", `"x"`, http.StatusBadRequest, "malformed_json"},
			{"truncated", "application/json", string(good[:len(good)-1]), http.StatusBadRequest, "malformed_json"},
			{"over the limit", "application/json", `{"x":"` + strings.Repeat("a", edge.MaxBodyBytes) + `"}`, http.StatusRequestEntityTooLarge, "body_too_large"},
		}
		var fields map[string]any
		if json.Unmarshal(good, &fields) == nil {
			for name, v := range fields {
				// the key again, first with another value: encoding/json
				// would keep the last (and match "Title" to title)
				other, _ := json.Marshal(otherJSONType(v))
				for _, again := range []string{name, strings.ToUpper(name[:1]) + name[1:]} {
					k, _ := json.Marshal(again)
					cases = append(cases, spoiled{"with " + again + " twice", "application/json",
						"{" + string(k) + ":" + string(other) + "," + string(good[1:]), http.StatusBadRequest, "duplicate_key"})
				}
				break
			}
			// out of range, thousands of elements, deep nesting: in
			// place of each field of that kind, a 4xx naming nothing
			// stored (the table snapshot below)
			for name, v := range fields {
				var extremes []string
				switch v := v.(type) {
				case float64:
					extremes = []string{"1e400", "-1e400", "9223372036854775808", "-9223372036854775809"}
				case []any:
					el := []byte("null")
					if len(v) > 0 {
						el, _ = json.Marshal(v[0])
					}
					extremes = []string{"[" + strings.Repeat(string(el)+",", 4999) + string(el) + "]"}
				case map[string]any:
					extremes = []string{strings.Repeat(`{"a":`, 500) + "1" + strings.Repeat("}", 500)}
				}
				for i, raw := range extremes {
					m := map[string]json.RawMessage{}
					for k, vv := range fields {
						m[k], _ = json.Marshal(vv)
					}
					m[name] = json.RawMessage(raw)
					body, err := json.Marshal(m)
					require.NoError(t, err)
					cases = append(cases, spoiled{name: fmt.Sprintf("with %s extreme #%d", name, i+1), contentType: "application/json", body: string(body)})
				}
			}
			for name, v := range fields {
				wrong := map[string]any{}
				for k, v := range fields {
					wrong[k] = v
				}
				wrong[name] = otherJSONType(v)
				raw, _ := json.Marshal(wrong)
				cases = append(cases, spoiled{name: "with " + name + " of another type", contentType: "application/json", body: string(raw)})
			}
		}
		tried, sent = tried+1, sent+len(cases)
		t.Run(rt.OperationID, func(t *testing.T) {
			for _, s := range cases {
				res := w.Call(ex, rt.Method, path, s.body, "Content-Type", s.contentType)
				require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"), "%s: %d %s", s.name, res.Status, res.Body)
				p := res.Map(t)
				if s.status != 0 {
					assert.Equal(t, s.status, res.Status, "%s: %s", s.name, res.Body)
					assert.Equal(t, s.code, p["code"], "%s: %s", s.name, res.Body)
					continue
				}
				assert.GreaterOrEqual(t, res.Status, 400, "%s: %s", s.name, res.Body)
				assert.Less(t, res.Status, 500, "%s: %s", s.name, res.Body)
				assert.NotRegexp(t, goType, string(res.Body), "%s: the problem names a Go type", s.name)
			}
		})
	}
	assert.Greater(t, tried, 40, "operations with a request body")
	t.Logf("%d operations, %d spoiled bodies", tried, sent)

	after := tables(t, w)
	assert.Equal(t, before, after, "a refused body changed the tables")
}

// otherJSONType is a value of another JSON type than v's.
func otherJSONType(v any) any {
	switch v.(type) {
	case string:
		return 12345
	case float64:
		return "12345"
	case bool:
		return "true"
	case []any:
		return "a"
	case map[string]any:
		return []any{"a"}
	}
	return map[string]any{"a": 1} // null
}

// seededWorld is the table-driven tests' world: acme's content seeded
// (apitest.World.SeedContent) and every route's example.
func seededWorld(t *testing.T) (*apitest.World, apitest.Content, map[string]apitest.Example) {
	t.Helper()
	w := apitest.NewWorld(t)
	c := w.SeedContent()
	return w, c, w.Examples(c)
}

// tables is every item of w's tables (snapshot): a test compares them
// before and after calls that must write nothing.
func tables(t *testing.T, w *apitest.World) []string {
	t.Helper()
	return snapshot(context.Background(), t, w.Deps.Control(), w.Deps.Names.App(), w.Deps.Names.Control())
}

// snapshot is every item of the tables, each as its JSON, sorted (but the
// rate limits' counters).
func snapshot(ctx context.Context, t *testing.T, db *dynamodb.Client, tables ...string) []string {
	t.Helper()
	var out []string
	for _, table := range tables {
		p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			for _, item := range page.Items {
				if pk, ok := item["pk"].(*types.AttributeValueMemberS); ok && strings.HasPrefix(pk.Value, "RATE#") {
					continue // the public endpoints' rate limits count every request, refused ones too
				}
				b, err := json.Marshal(item)
				require.NoError(t, err)
				out = append(out, fmt.Sprintf("%s %s", table, b))
			}
		}
	}
	sort.Strings(out)
	return out
}

// Every route that reads no body (routes.Route.TakesBody: every GET, and
// the writes of the route table's withoutBody), called as its example with
// a body anyway, answers a 400 problem+json body_not_allowed naming the
// body, before its handler runs, whatever the body's media type: nothing
// is written. Ignored, a client's {"reason": ...} on a DELETE or {"role":
// "admin"} on an enable vanished without a word (each handler answered as
// if none had been sent).
func TestEveryRouteWithoutABodyRefusesOne(t *testing.T) {
	t.Parallel()
	w, c, examples := seededWorld(t)
	before := tables(t, w)

	refused, writes := 0, 0
	for _, rt := range routes.All() {
		if rt.TakesBody() {
			continue
		}
		ex, ok := examples[rt.OperationID]
		require.True(t, ok, "%s has no example", rt.OperationID)
		path := ex.Target(c, rt.Path)
		if rt.Method != http.MethodGet {
			writes++
		}
		t.Run(rt.OperationID, func(t *testing.T) {
			for _, b := range []struct{ body, contentType string }{
				{`{"reason":"spam"}`, "application/json"},
				{`{}`, "application/json"},
				{"x", "text/plain"},
			} {
				refused++
				res := w.Call(ex, rt.Method, path, b.body, "Content-Type", b.contentType)
				require.Equal(t, http.StatusBadRequest, res.Status, "%s %s with %s: %s", rt.Method, path, b.body, res.Body)
				assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
				p := res.Map(t)
				assert.Equal(t, "body_not_allowed", p["code"], "%s", res.Body)
				errs, _ := p["errors"].([]any)
				require.Len(t, errs, 1, "%s", res.Body)
				assert.Equal(t, "body", errs[0].(map[string]any)["field"])
			}
		})
	}
	assert.Greater(t, writes, 30, "writes without a body")
	t.Logf("%d refused bodies", refused)
	after := tables(t, w)
	assert.Equal(t, before, after, "a refused body changed the tables")
}
