package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/openapi"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// numericField is a number in a request body: its path of JSON names
// ("estimate", "issues.version": each element of issues).
type numericField struct {
	path    []string
	integer bool
}

// numericFields are the numbers of request type t, by reflection: a
// struct's fields by their JSON names, through pointers, slices and the
// merge patch's Opt[T] (its V).
func numericFields(t reflect.Type, prefix []string, seen map[reflect.Type]bool) []numericField {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return []numericField{{path: prefix, integer: true}}
	case reflect.Float32, reflect.Float64:
		return []numericField{{path: prefix}}
	case reflect.Struct:
	default:
		return nil
	}
	if t.PkgPath() == "time" || seen[t] {
		return nil
	}
	if strings.HasPrefix(t.Name(), "Opt[") {
		if v, ok := t.FieldByName("V"); ok {
			return numericFields(v.Type, prefix, seen)
		}
	}
	seen[t] = true
	defer delete(seen, t)
	var out []numericField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" {
			out = append(out, numericFields(f.Type, prefix, seen)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, numericFields(f.Type, append(append([]string(nil), prefix...), name), seen)...)
	}
	return out
}

// setPath sets the field at path in a decoded JSON body (in each element
// of an array on the way), creating objects where the example has none.
func setPath(body map[string]any, path []string, v json.RawMessage) {
	if len(path) == 1 {
		body[path[0]] = v
		return
	}
	switch next := body[path[0]].(type) {
	case []any:
		for _, el := range next {
			if m, ok := el.(map[string]any); ok {
				setPath(m, path[1:], v)
			}
		}
	case map[string]any:
		setPath(next, path[1:], v)
	default:
		m := map[string]any{}
		body[path[0]] = m
		setPath(m, path[1:], v)
	}
}

// index is an element's index in a field's path: issues[0].version names
// the field issues.version (encoding/json names it without the index).
var index = regexp.MustCompile(`\[\d+\]`)

// unbounded are the numbers without an upper bound: a bulk edit's
// version of an issue (a large one is stale: that 409
// version_mismatch in the answer).
var unbounded = map[string]bool{"issues.version": true}

// Every number of every request body (the request types of the OpenAPI
// document's bodies, by reflection: estimate, an issue's version in a bulk
// edit, an import's size and parts, an upload's size, support hours)
// answers each of its bad values alike: another JSON type ("3", true, {}),
// a fraction where an integer is wanted (1.5), a value out of the field's
// range (-1, 10^12) or out of any integer's (1e400, 2^63) each get the
// same status and problem code, naming the field, and change nothing.
// Until input14, five fields answered a wrong type or a fraction with a
// 400 validation_failed and an out-of-range number with their own 422
// (invalid_estimate, invalid_import, invalid_bulk_edit): a client could
// not tell them apart by code. The request field's invalid tag
// (httpapi.InvalidTag) gives the decoder the field's own code.
func TestEveryNumericFieldAnswersItsBadValuesAlike(t *testing.T) {
	t.Parallel()
	w, c, examples := seededWorld(t)
	bodies := openapi.Bodies()
	before := tables(t, w)

	fields := 0
	for _, rt := range routes.All() {
		ex, ok := examples[rt.OperationID]
		req := bodies[rt.OperationID].Request
		if !ok || ex.Body == nil || req == nil || rt.OperationID == "stripeWebhook" {
			continue
		}
		nums := numericFields(reflect.TypeOf(req), nil, map[reflect.Type]bool{})
		if len(nums) == 0 {
			continue
		}
		good, err := json.Marshal(ex.Body)
		require.NoError(t, err)
		path := ex.Target(c, rt.Path)
		for _, nf := range nums {
			fields++
			name := strings.Join(nf.path, ".")
			t.Run(rt.OperationID+"/"+name, func(t *testing.T) {
				bad := []string{`"3"`, `"x"`, `""`, `true`, `{}`, `[]`, `[3]`, // another JSON type
					`-1`, `-3`, // out of the field's range
					`1e400`, `-1e400`, `9223372036854775808`, `-9223372036854775809`, `1e12`} // out of any integer's
				if !unbounded[name] {
					bad = append(bad, `1000000000000`)
				}
				if nf.integer {
					bad = append(bad, `1.5`, `0.5`, `3e-1`, `2.000001`) // a fraction
				}
				answers := map[string][]string{}
				for _, v := range bad {
					var body map[string]any
					require.NoError(t, json.Unmarshal(good, &body))
					setPath(body, nf.path, json.RawMessage(v))
					raw, err := json.Marshal(body)
					require.NoError(t, err)
					res := w.Call(ex, rt.Method, path, string(raw))
					assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"), "%s=%s: %d %s", name, v, res.Status, res.Body)
					assert.GreaterOrEqual(t, res.Status, 400, "%s=%s: %s", name, v, res.Body)
					assert.Less(t, res.Status, 500, "%s=%s: %s", name, v, res.Body)
					var p struct {
						Code   string `json:"code"`
						Errors []struct {
							Field string `json:"field"`
						} `json:"errors"`
					}
					require.NoError(t, json.Unmarshal(res.Body, &p), "%s=%s: %s", name, v, res.Body)
					var named []string
					for _, e := range p.Errors {
						named = append(named, index.ReplaceAllString(e.Field, ""))
					}
					assert.Equal(t, []string{name}, named, "%s=%s names the field: %s", name, v, res.Body)
					answer := fmt.Sprintf("%d %s %v", res.Status, p.Code, named)
					answers[answer] = append(answers[answer], v)
				}
				assert.Len(t, answers, 1, "%s answers its bad values differently: %v", name, answers)
			})
		}
	}
	assert.Equal(t, before, tables(t, w), "a refused number changed the tables")

	// A custom field of type number: its value in the fields object
	// (which the reflection above does not see), on create and on patch.
	// 1e400 was a 400 validation_failed naming "fields" until input14.
	owner := w.As("owner@acme.test")
	res := owner.Do("POST", "/v1/projects/default/fields", map[string]any{"name": "Cost", "type": "number"})
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	cost := res.Map(t)["id"].(string)
	before = tables(t, w)
	for _, target := range []struct{ method, path string }{{"POST", "/v1/issues"}, {"PATCH", "/v1/issues/" + c["issueId"]}} {
		t.Run(target.method+" fields.<number field>", func(t *testing.T) {
			answers := map[string][]string{}
			for _, v := range []string{`"3"`, `true`, `{}`, `[]`, `1e400`, `-1e400`, `1e400 `} {
				res := owner.Do(target.method, target.path, `{"title":"priced","fields":{"`+cost+`":`+v+`}}`)
				var p struct {
					Code   string `json:"code"`
					Errors []struct {
						Field string `json:"field"`
					} `json:"errors"`
				}
				require.NoError(t, json.Unmarshal(res.Body, &p), "%s: %s", v, res.Body)
				if assert.Len(t, p.Errors, 1, "%s: %s", v, res.Body) {
					assert.Equal(t, "fields."+cost, p.Errors[0].Field, "%s names the field: %s", v, res.Body)
				}
				answer := fmt.Sprintf("%d %s", res.Status, p.Code)
				answers[answer] = append(answers[answer], v)
			}
			assert.Len(t, answers, 1, "a custom number answers its bad values differently: %v", answers)
		})
	}
	assert.Equal(t, before, tables(t, w), "a refused custom number changed the tables")
	assert.GreaterOrEqual(t, fields, 7, "numeric fields of the request bodies")
	t.Logf("%d numeric fields", fields)
}
