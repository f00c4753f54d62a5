package httpapi

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// RequestIDHeader carries the request id to clients (and from the local gateway).
const RequestIDHeader = "X-Request-Id"

// RequestID is API Gateway's request id, or the header the gateway set.
func RequestID(r *http.Request) string {
	if rc, ok := GatewayContext(r.Context()); ok && rc.RequestID != "" {
		return rc.RequestID
	}
	return r.Header.Get(RequestIDHeader)
}

// CallerPrincipal returns the verified caller: the one the route guard
// decoded for this request (tenancy.WithPrincipal), else the authorizer
// context's. It is the only source of the tenant id.
func CallerPrincipal(r *http.Request) (tenancy.Principal, error) {
	if p, ok := tenancy.PrincipalFrom(r.Context()); ok {
		return p, nil
	}
	rc, ok := GatewayContext(r.Context())
	if !ok || rc.Authorizer == nil {
		return tenancy.Principal{}, errs.Unauthorized("unauthenticated", "this route needs a verified caller")
	}
	p, err := tenancy.FromAuthorizerContext(rc.Authorizer)
	if err != nil {
		return tenancy.Principal{}, errs.Unauthorized("unauthenticated", "the authorizer context is incomplete")
	}
	return p, nil
}

// DefaultMaxBody bounds request bodies unless a handler says otherwise: the
// edge's limit (the WAF refuses larger bodies before a function runs).
const DefaultMaxBody = edge.MaxBodyBytes

// DecodeJSON reads a JSON object into v: unknown fields, trailing data,
// wrong types, invalid UTF-8, lone surrogates and control characters
// (other than newline, carriage return and tab) are each a 400 that names
// the field (in JSON's words: "must be a string", never a Go type); a body
// that is not a JSON object is a 400, one over maxBytes a 413
// body_too_large, another Content-Type than JSON a 415
// unsupported_media_type. A field tagged InvalidTag answers a value of the
// wrong type or range with its own validation's code instead (a 422). It
// is the one JSON request decoder: every handler decodes its body with it.
func DecodeJSON(r *http.Request, v any, maxBytes int64) error {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBody
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !jsonMediaType(ct) {
		return errs.E(errs.KindUnsupportedMedia, "unsupported_media_type", "Content-Type must be application/json (charset utf-8, if any), got %q", ct).
			WithFields(errs.FieldError{Field: "Content-Type", Reason: "must be application/json"})
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBytes+1))
	if err != nil {
		return errs.Invalid("unreadable_body", "the request body could not be read")
	}
	if int64(len(body)) > maxBytes {
		return errs.TooLarge("body_too_large", fmt.Sprintf("the request body exceeds %d bytes", maxBytes))
	}
	if err := checkJSONText(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fieldsOwnCode(reflect.TypeOf(v), body, err)
	}
	if dec.More() {
		return errs.Invalid("malformed_json", "the request body has data after the JSON value")
	}
	return nil
}

// InvalidTag is the struct tag that gives a request field the problem
// code of its own validation (`invalid:"invalid_estimate"`): a value of
// the wrong JSON type, a fraction where an integer is wanted or a number
// out of the Go type's range then answers as the handler's check answers
// an out-of-range value of the right type (422 with that code, naming the
// field), not a 400 validation_failed beside it. One field, one answer to
// every bad value (TestEveryNumericFieldAnswersItsBadValuesAlike). A field
// without the tag keeps the 400 validation_failed, its validation's answer
// too (errs.Field).
const InvalidTag = "invalid"

// fieldsOwnCode turns a decode error on a field tagged InvalidTag in the
// request type t into that field's validation answer. It names the field
// by its JSON path: encoding/json puts an embedded struct's Go name in it
// ("Input.name"), which no client sent.
//
// A value of a map (custom field values by id) is named by its key too
// (fields.<id>, as the field's own check names it): encoding/json names
// only the map.
func fieldsOwnCode(t reflect.Type, body []byte, err error) error {
	err = decodeError(err)
	e := errs.As(err)
	if e == nil || e.Code != "validation_failed" || len(e.Fields) != 1 {
		return err
	}
	f := e.Fields[0]
	path, code, ft := jsonPath(t, strings.Split(f.Field, "."))
	if isMap(ft) {
		if k := badNumberKey(body, path); k != "" {
			path = append(path, k)
		}
	}
	if name := strings.Join(path, "."); name != f.Field {
		f.Field = name
		e = errs.Field(f.Field, f.Reason)
	}
	if code == "" {
		return e
	}
	return errs.E(errs.KindUnprocessable, code, "%s: %s", f.Field, f.Reason).WithFields(f)
}

// jsonPath follows a field's path as encoding/json reports it ("issues.version"
// for a field of an array's elements) through t: the path without the
// embedded structs' Go names, the field's InvalidTag ("" when it has
// none, or the path leads nowhere) and its type (nil then).
func jsonPath(t reflect.Type, path []string) ([]string, string, reflect.Type) {
	var out []string
	for len(path) > 0 {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return append(out, path...), "", nil
		}
		f, ok := jsonField(t, path[0])
		if !ok {
			return append(out, path...), "", nil
		}
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); f.Anonymous && tag == "" && f.Name == path[0] {
			t, path = f.Type, path[1:] // an embedded struct: its fields are the outer one's
			continue
		}
		out = append(out, path[0])
		if len(path) == 1 {
			return out, f.Tag.Get(InvalidTag), f.Type
		}
		t, path = f.Type, path[1:]
	}
	return out, "", nil
}

// isMap reports whether a field's type t (jsonPath's) is a map, or a merge
// patch's Opt of one.
func isMap(t reflect.Type) bool {
	if t == nil {
		return false
	}
	if t.Kind() == reflect.Struct && strings.HasPrefix(t.Name(), "Opt[") { // a merge patch's Opt[T]
		if v, ok := t.FieldByName("V"); ok {
			t = v.Type
		}
	}
	return t.Kind() == reflect.Map
}

// badNumberKey is the key of the map at path (JSON names) in body whose
// value is a number out of float64's range (the one value of a
// map[string]any encoding/json refuses), or "" when there is none. The
// error's offset does not tell: a merge patch's Opt decodes its value
// apart, its offsets from the value's start.
func badNumberKey(body []byte, path []string) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return ""
	}
	for _, name := range path {
		m, ok := doc.(map[string]any)
		if !ok {
			return ""
		}
		doc = m[name]
	}
	m, _ := doc.(map[string]any)
	bad := "" // the first in key order, when several are
	for k, v := range m {
		if n, ok := v.(json.Number); ok && (bad == "" || k < bad) {
			if _, err := strconv.ParseFloat(string(n), 64); err != nil {
				bad = k
			}
		}
	}
	return bad
}

// jsonField finds the field of struct t that JSON name decodes into,
// through embedded structs, or the embedded struct of Go name name.
func jsonField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if f.Anonymous && tag == "" {
			if f.Name == name {
				return f, true
			}
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if g, ok := jsonField(et, name); ok {
					return g, true
				}
			}
			continue
		}
		if tag == name || tag == "" && f.IsExported() && strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// jsonMediaType reports whether ct is JSON as this API reads it:
// application/json or application/merge-patch+json, in any case (media
// types are case-insensitive: Application/JSON is JSON), with no charset
// or utf-8. A prefix match let application/jsonp, application/json-seq
// and application/json; charset=latin1 (a body then read as UTF-8) through,
// and refused Application/JSON with a 415.
func jsonMediaType(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" && mt != "application/merge-patch+json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return errs.Invalid("malformed_json", "the request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.Invalid("malformed_json", "the request body ends inside its JSON value")
	case errors.As(err, &syn):
		return errs.Invalid("malformed_json", fmt.Sprintf("malformed JSON at byte %d", syn.Offset))
	case errors.As(err, &typ) && typ.Field == "":
		return errs.Invalid("malformed_json", fmt.Sprintf("the request body must be a JSON %s, not %s", jsonType(typ.Type), typ.Value))
	case errors.As(err, &typ):
		want := jsonType(typ.Type)
		if want == "integer" && strings.HasPrefix(typ.Value, "number") {
			return errs.Field(typ.Field, "must be a whole number in range")
		}
		return errs.Field(typ.Field, "must be "+withArticle(want))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.Invalid("unknown_field", fmt.Sprintf("unknown field %q", f), errs.FieldError{Field: f, Reason: "unknown field"})
	}
	return errs.Invalid("malformed_json", err.Error())
}

// jsonType names what JSON value decodes into t: clients see JSON's
// words, not the Go type behind a field ("issue.Priority", "[]string").
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "string"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return "JSON value"
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

func withArticle(s string) string {
	switch s[0] {
	case 'a', 'e', 'i', 'o', 'u':
		return "an " + s
	}
	return "a " + s
}

// ETag is the ETag of version v of a versioned resource ("3"), the one
// form IfMatch reads back.
func ETag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

// IfMatch reads a write's If-Match header: 0 when it is absent or "*",
// else the version its ETag names ("3"). A list of ETags (`"3", "4"`, `*,
// "3"`, or the header twice, which RFC 9110 reads as one list) is a 400
// if_match_list_not_supported: a write here is conditional on the one
// version the client read. A weak ETag (W/"3") is a 412 weak_etag:
// If-Match compares strongly (RFC 9110, 13.1.1), so a weak one never
// matches and the write must not happen. Anything else (an empty value, a
// version that is no positive integer) is a 400 invalid_if_match naming
// the header. Every route that changes or deletes a versioned resource
// reads it with this one function and answers 412 version_mismatch when
// the version moved on.
func IfMatch(r *http.Request) (int64, error) {
	vs, present := r.Header["If-Match"]
	if len(vs) > 1 || len(vs) == 1 && isETagList(vs[0]) {
		return 0, IfMatchList()
	}
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if !present || h == "*" {
		return 0, nil
	}
	tag, weak := strings.CutPrefix(h, "W/")
	inner := strings.TrimSuffix(strings.TrimPrefix(tag, `"`), `"`)
	v, err := strconv.ParseInt(inner, 10, 64)
	if err != nil || v <= 0 || strconv.FormatInt(v, 10) != inner || len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return 0, errs.Invalid("invalid_if_match", `If-Match must be an ETag of this API, such as "3"`,
			errs.FieldError{Field: "If-Match", Reason: "malformed"})
	}
	if weak {
		return 0, errs.E(errs.KindPreconditionFailed, "weak_etag",
			`If-Match compares ETags strongly: a weak one (%s) never matches; send the ETag as this API gave it, such as "3"`, h).
			WithFields(errs.FieldError{Field: "If-Match", Reason: "weak ETag"})
	}
	return v, nil
}

// IfMatchList is the answer to an If-Match that lists several ETags (or
// the header sent twice): a 400 if_match_list_not_supported naming the
// header, on every route that takes If-Match, the edge's check of a
// repeated header included.
func IfMatchList() error {
	return errs.Invalid("if_match_list_not_supported",
		`If-Match takes one ETag of this API, such as "3", or *: not a list; a write is conditional on the one version you read`,
		errs.FieldError{Field: "If-Match", Reason: "a list of ETags is not supported"})
}

// isETagList reports whether an If-Match value is a list: a comma outside
// a quoted ETag (RFC 9110's #entity-tag), such as `"3", "4"` or `*, "3"`.
// Empty list elements count too (`"3",`): a client that sends one meant
// something this API would not evaluate.
func isETagList(v string) bool {
	quoted := false
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				return true
			}
		}
	}
	return false
}
