// Package openapi generates the OpenAPI 3.1 document of the API from the
// route table (paths, methods, operation ids, security) and the Go types of
// the request and response bodies (JSON Schema by reflection), so the
// document cannot drift from the routes or the wire types.
package openapi

import (
	"encoding/json"
	"github.com/issuetracker/issuetracker/internal/text"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/cycle"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenantapi"
	"github.com/issuetracker/issuetracker/internal/usage"
)

// Doc is an OpenAPI document as plain JSON data.
type Doc = map[string]any

// Body describes an operation's bodies; nil fields have none.
type Body struct {
	Request  any // a value of the request body type
	Response any // a value of the success body type
	Status   int // success status, default 200
	Query    []Param
	// OptionalRequest: the request body may be left out.
	OptionalRequest bool
	// Errors are error statuses of this operation beyond those every
	// operation of its kind can answer (ErrorStatuses). Which operations
	// take If-Match is the route table's word (routes.Route.IfMatch).
	Errors []int
}

// Servers the document names: the deployed stage (API Gateway REST API,
// stage StageName, as constructs/api creates it) and the local gateway.
const (
	StageName = "prod"
	LocalURL  = "http://localhost:8080"
)

// Servers is the document's servers list.
func Servers() []any {
	return []any{
		map[string]any{"url": "https://{restApiId}.execute-api.{region}.amazonaws.com/" + StageName,
			"description": "the deployed API (API Gateway stage " + StageName + ")",
			"variables": map[string]any{
				"restApiId": map[string]any{"default": "abcdef1234", "description": "the REST API id (stack output)"},
				"region":    map[string]any{"default": "eu-west-1", "description": "the AWS region of the platform stack"},
			}},
		map[string]any{"url": LocalURL, "description": "the local platform (make dev)"},
	}
}

// ErrorStatuses are the error statuses an operation documents: every one
// can be malformed (400) or fail (500); one behind the authorizer can be
// unauthenticated (401), refused for its role or MFA (403) or rate limited
// (429); one with path parameters can name a missing object (404); a POST
// can meet its Idempotency-Key in use (409) or reused with another body
// (422); a write can conflict (409); one that reads a body can get one
// over the limit (413) or of another media type than JSON (415); plus the
// operation's own.
func ErrorStatuses(rt routes.Route, b Body) []int {
	set := map[int]bool{400: true, 500: true}
	if b.Request != nil {
		set[413], set[415] = true, true
	}
	if rt.Access.Kind != routes.Public {
		set[401], set[403], set[429] = true, true, true
	}
	if strings.Contains(rt.Path, "{") {
		set[404] = true
	}
	if rt.Method != "GET" {
		set[409] = true
	}
	if rt.Method == "POST" {
		set[422] = true
	}
	for _, s := range b.Errors {
		set[s] = true
	}
	var out []int
	for s := range set {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Param is a query parameter.
type Param struct {
	Name, Description string
	Schema            map[string]any
	Required          bool
}

var pathParam = text.Lazy(`\{([^}]+)\}`)

// Version of the document (info.version).
const Version = "1"

// Document is the API's document: the route table with Bodies.
func Document() Doc { return Build(routes.All(), Bodies(), Version) }

// Build renders the document of rts, with the bodies of each operation.
func Build(rts []routes.Route, bodies map[string]Body, version string) Doc {
	g := &gen{schemas: map[string]any{}, types: map[string]reflect.Type{}}
	paths := map[string]any{}
	for _, rt := range rts {
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		item[strings.ToLower(rt.Method)] = g.operation(rt, bodies[rt.OperationID])
	}
	g.schemas["Problem"] = problemSchema
	return Doc{
		"openapi": "3.1.0",
		"servers": Servers(),
		"info": map[string]any{"title": "IssueTracker API", "version": version,
			"description": "Multi-tenant issue tracking. Errors are RFC 9457 problem+json; lists use opaque cursors; POSTs accept Idempotency-Key (a retry with the same key and body replays the first answer, marked Idempotent-Replayed: true), and PUT, PATCH and DELETE refuse it (400 idempotency_key_not_supported: they are idempotent by themselves, or conditional with If-Match); issue writes take If-Match."},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.schemas,
			"securitySchemes": map[string]any{
				"cognito": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
			},
		},
	}
}

// Security returns the security requirement of a route: none for public
// routes, the Cognito bearer token for the others.
func Security(rt routes.Route) []any {
	if rt.Access.Kind == routes.Public {
		return []any{}
	}
	return []any{map[string]any{"cognito": []any{}}}
}

type gen struct {
	schemas map[string]any
	types   map[string]reflect.Type // which type owns each component name
}

func (g *gen) operation(rt routes.Route, b Body) map[string]any {
	op := map[string]any{
		"operationId": rt.OperationID,
		"summary":     routes.Summary(rt.OperationID),
		"tags":        []any{string(rt.Function)},
		"security":    Security(rt),
		"x-access":    accessText(rt.Access),
	}
	var params []any
	for _, m := range pathParam.Regexp().FindAllStringSubmatch(rt.Path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, q := range b.Query {
		p := map[string]any{"name": q.Name, "in": "query", "description": q.Description, "schema": q.Schema}
		if q.Required {
			p["required"] = true
		}
		params = append(params, p)
	}
	if rt.Method == "POST" { // every POST takes it (core.guard), a public one's key scoped to the caller's address
		params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header",
			"description": idempotencyKeyText(rt), "schema": map[string]any{"type": "string", "maxLength": 255}})
	}
	if what := rt.IfMatch(); what != "" {
		params = append(params, map[string]any{"name": "If-Match", "in": "header",
			"description": what + "'s ETag (from its ETag header or version), one and not a list (a list is a 400 if_match_list_not_supported); a stale one is a 412 version_mismatch", "schema": map[string]any{"type": "string"}})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if b.Request != nil {
		ct := "application/json"
		if rt.Method == "PATCH" {
			ct = "application/merge-patch+json"
		}
		op["requestBody"] = map[string]any{"required": !b.OptionalRequest, "content": map[string]any{ct: map[string]any{"schema": g.schema(reflect.TypeOf(b.Request))}}}
	}
	status := b.Status
	if status == 0 {
		status = 200
	}
	ok := map[string]any{"description": "success"}
	if b.Response != nil {
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(b.Response))}}
	}
	problem := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{
			"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
	}
	responses := map[string]any{itoa(status): ok, "default": problem("an unexpected error")}
	for _, s := range ErrorStatuses(rt, b) {
		responses[itoa(s)] = problem(http.StatusText(s))
	}
	op["responses"] = responses
	return op
}

func accessText(a routes.Access) string {
	if a.Kind == routes.Tenant {
		return "tenant:" + string(a.MinRole)
	}
	return string(a.Kind)
}

func itoa(n int) string { return strconv.Itoa(n) }

// Enums lists the allowed values of named string types.
var Enums = map[reflect.Type][]string{}

var (
	timeType    = reflect.TypeOf(time.Time{})
	rawJSONType = reflect.TypeOf(json.RawMessage(nil))
)

// schema returns the JSON Schema of t, registering named structs as components.
func (g *gen) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	if t == rawJSONType { // embedded JSON (a webhook's payload): any value
		return map[string]any{}
	}
	if vals, ok := Enums[t]; ok {
		return map[string]any{"type": "string", "enum": vals}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice: // httpapi.WriteJSON answers [] for a nil slice, never null
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map: // and {} for a nil map
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		if f, ok := t.FieldByName("V"); ok && t.NumField() == 3 { // issue.Opt[T]: a merge-patch field
			s := g.schema(f.Type)
			return map[string]any{"oneOf": []any{s, map[string]any{"type": "null"}}}
		}
		if t.Name() == "" { // an anonymous struct is inlined, not a component
			return g.object(t)
		}
		name := componentName(t)
		if published, ok := publishedNames[t]; ok {
			name = published
		}
		if owner, ok := g.types[name]; ok && owner != t {
			// Two types of one name (tenant.Branding, tenantapi.Branding):
			// the later one is qualified by its package.
			pkg := t.PkgPath()[strings.LastIndexByte(t.PkgPath(), '/')+1:]
			name = strings.ToUpper(pkg[:1]) + pkg[1:] + name
		}
		g.types[name] = t
		if _, done := g.schemas[name]; !done {
			g.schemas[name] = map[string]any{} // break cycles
			g.schemas[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *gen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []any
	g.fields(t, props, &required)
	o := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// fields adds t's JSON fields to props as encoding/json writes them: an
// embedded struct without a JSON name is flattened into its parent.
func (g *gen) fields(t reflect.Type, props map[string]any, required *[]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, props, required)
				continue
			}
		}
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && f.Type.Kind() != reflect.Pointer && !strings.HasPrefix(f.Type.Name(), "Opt[") {
			*required = append(*required, name)
		}
	}
}

// publishedNames keep the component names the document has published for
// types whose package was renamed since (clients generated from the
// document name their types after them).
var publishedNames = map[reflect.Type]string{
	reflect.TypeFor[tenantapi.Branding](): "LifecycleBranding",
	// Types of one name in several packages: each keeps the name it was
	// published with, whichever the walk meets first.
	reflect.TypeFor[usage.Report]():       "Report",
	reflect.TypeFor[analytics.Report]():   "AnalyticsReport",
	reflect.TypeFor[analytics.Velocity](): "Velocity",
	reflect.TypeFor[cycle.Report]():       "CycleReport",
	reflect.TypeFor[cycle.Day]():          "CycleDay",
	reflect.TypeFor[cycle.Velocity]():     "CycleVelocity",
}

// componentName names a struct schema: "Issue", or "Page_Issue" for Page[issue.Issue].
func componentName(t reflect.Type) string {
	n := t.Name()
	if i := strings.IndexByte(n, '['); i >= 0 {
		arg := n[i+1 : len(n)-1]
		if j := strings.LastIndexByte(arg, '.'); j >= 0 {
			arg = arg[j+1:]
		}
		n = n[:i] + "_" + arg
	}
	return n
}

var problemSchema = map[string]any{
	"type": "object",
	"properties": map[string]any{
		"type": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"},
		"status": map[string]any{"type": "integer"}, "detail": map[string]any{"type": "string"},
		"instance": map[string]any{"type": "string"}, "code": map[string]any{"type": "string"},
		"request_id": map[string]any{"type": "string"},
		"errors": map[string]any{"type": "array", "items": map[string]any{"type": "object",
			"properties": map[string]any{"field": map[string]any{"type": "string"}, "reason": map[string]any{"type": "string"}}}},
	},
	"required": []any{"type", "title", "status", "code"},
}

// idempotencyKeyText describes a POST's Idempotency-Key: whose keys it
// shares (internal/idempotency, Store.scope).
func idempotencyKeyText(rt routes.Route) string {
	const replay = "a retry with the same key and body replays the first response"
	if rt.Access.Kind == routes.Public {
		return replay + " (keys of an unauthenticated caller are scoped to its source address)"
	}
	return replay
}
