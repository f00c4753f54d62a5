package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type priority string

type body struct {
	Title    string   `json:"title"`
	Labels   []string `json:"labels"`
	Priority priority `json:"priority"`
	Estimate *int     `json:"estimate"`
	Done     bool     `json:"done"`
	Nested   struct {
		Name string `json:"name"`
	} `json:"branding"`
}

// JSON is JSON whatever the case of its media type and with a utf-8
// charset (RFC 9110: type, subtype and the charset's value are
// case-insensitive); Application/JSON was a 415 until audit11.
func TestDecodeJSONTakesJSONInAnyCase(t *testing.T) {
	for _, ct := range []string{"", "application/json", "Application/JSON", "APPLICATION/JSON; CHARSET=UTF-8",
		"application/json;charset=utf-8", "application/json ; charset=\"UTF-8\"", "application/merge-patch+json", "Application/Merge-Patch+JSON; charset=utf-8"} {
		var b body
		r := httptest.NewRequest("PATCH", "/v1/issues/x", strings.NewReader(`{"title":"x"}`))
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		require.NoError(t, httpapi.DecodeJSON(r, &b, 0), ct)
		assert.Equal(t, "x", b.Title, ct)
	}
}

func decode(raw string) (body, error) {
	var b body
	r := httptest.NewRequest("POST", "/v1/issues", strings.NewReader(raw))
	r.Header.Set("Content-Type", "application/json")
	return b, httpapi.DecodeJSON(r, &b, 0)
}

var goType = regexp.MustCompile(`\[\]|map\[|\*|\w+\.\w+|\bu?int(8|16|32|64)?\b|\bbool\b|\bfloat(32|64)\b|\bstruct\b`)

// A body the decoder refuses is answered with the status of what is wrong
// (415 for another media type, 413 over the limit, else 400) and a reason
// in JSON's words: a client never reads a Go type ("[]string",
// "issue.Priority") in a problem.
func TestDecodeJSONAnswersWhatIsWrongInJSONsWords(t *testing.T) {
	for _, c := range []struct {
		name, contentType, raw string
		status                 int
		code, field, reason    string
	}{
		{"text/plain", "text/plain", `{"title":"x"}`, 415, "unsupported_media_type", "Content-Type", "must be application/json"},
		{"a form", "application/x-www-form-urlencoded", `title=x`, 415, "unsupported_media_type", "Content-Type", "must be application/json"},
		{"JSONP (once let through as a prefix of application/json)", "application/jsonp", `{"title":"x"}`, 415, "unsupported_media_type", "Content-Type", "must be application/json"},
		{"JSON text sequences", "application/json-seq", `{"title":"x"}`, 415, "unsupported_media_type", "Content-Type", "must be application/json"},
		{"JSON in Latin-1", "application/json; charset=latin1", `{"title":"x"}`, 415, "unsupported_media_type", "Content-Type", "must be application/json"},
		{"merge patch in UTF-16", "application/merge-patch+json;charset=utf-16", `{"title":"x"}`, 415, "unsupported_media_type", "Content-Type", "must be application/json"},
		{"a media type that does not parse", "application/json; charset", `{"title":"x"}`, 415, "unsupported_media_type", "Content-Type", "must be application/json"},
		{"a body over the limit", "application/json", `{"title":"` + strings.Repeat("a", httpapi.DefaultMaxBody) + `"}`, 413, "body_too_large", "", ""},
		{"an array body", "application/json", `[]`, 400, "malformed_json", "", ""},
		{"a string body", "application/json", `"title"`, 400, "malformed_json", "", ""},
		{"a truncated body", "application/json", `{"title":`, 400, "malformed_json", "", ""},
		{"a number for a string", "application/json", `{"title":5}`, 400, "validation_failed", "title", "must be a string"},
		{"a number for a string type", "application/json", `{"priority":5}`, 400, "validation_failed", "priority", "must be a string"},
		{"a string for an array", "application/json", `{"labels":"bug"}`, 400, "validation_failed", "labels", "must be an array"},
		{"a number in a string array", "application/json", `{"labels":[1]}`, 400, "validation_failed", "labels", "must be a string"},
		{"a string for an integer", "application/json", `{"estimate":"3"}`, 400, "validation_failed", "estimate", "must be an integer"},
		{"a fraction for an integer", "application/json", `{"estimate":1.5}`, 400, "validation_failed", "estimate", "must be a whole number in range"},
		{"a huge integer", "application/json", `{"estimate":1e40}`, 400, "validation_failed", "estimate", "must be a whole number in range"},
		{"a string for a boolean", "application/json", `{"done":"yes"}`, 400, "validation_failed", "done", "must be a boolean"},
		{"an array for an object", "application/json", `{"branding":[]}`, 400, "validation_failed", "branding", "must be an object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b body
			r := httptest.NewRequest("POST", "/v1/issues", strings.NewReader(c.raw))
			r.Header.Set("Content-Type", c.contentType)
			err := httpapi.DecodeJSON(r, &b, 0)
			require.Error(t, err)
			p := httpapi.ProblemOf(err, "/v1/issues", "req")
			assert.Equal(t, c.status, p.Status, p.Detail)
			assert.Equal(t, c.code, p.Code, p.Detail)
			assert.NotRegexp(t, goType, p.Detail, "the problem names a Go type")
			if c.field == "" {
				return
			}
			require.NotEmpty(t, p.Errors, p.Detail)
			assert.Equal(t, c.field, p.Errors[0].Field)
			assert.Equal(t, c.reason, p.Errors[0].Reason)
		})
	}
}

func TestDecodeJSONRefusesTextItWouldRepair(t *testing.T) {
	for _, c := range []struct {
		name, raw, field, code string
	}{
		{"invalid UTF-8 in a value", "{\"title\":\"a\xffb\"}", "title", "invalid_text"},
		{"a lone high surrogate", `{"title":"x\ud800y"}`, "title", "invalid_text"},
		{"a lone low surrogate", `{"title":"\udc00"}`, "title", "invalid_text"},
		{"a high surrogate followed by a non-surrogate", `{"title":"\ud800\u0041"}`, "title", "invalid_text"},
		{"a high surrogate at the end", `{"title":"\ud83d"}`, "title", "invalid_text"},
		{"NUL in a value", `{"title":"a\u0000b"}`, "title", "invalid_text"},
		{"an ANSI escape in a value", `{"title":"\u001b[31mred"}`, "title", "invalid_text"},
		{"a C1 control", `{"title":"\u0085"}`, "title", "invalid_text"},
		{"DEL", `{"title":"\u007f"}`, "title", "invalid_text"},
		{"a control in an array element", `{"labels":["ok","b\u0007"]}`, "labels[1]", "invalid_text"},
		{"a control in a nested field", `{"branding":{"name":"\u0001"}}`, "branding.name", "invalid_text"},
		{"invalid UTF-8 in a key", "{\"ti\xfftle\":\"a\"}", "ti\ufffdtle", "invalid_text"},
		{"an unknown field", `{"nope":1}`, "nope", "unknown_field"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := decode(c.raw)
			require.Error(t, err)
			e := errs.As(err)
			assert.Equal(t, errs.KindInvalid, e.Kind)
			assert.Equal(t, c.code, e.Code)
			require.NotEmpty(t, e.Fields)
			assert.Equal(t, c.field, e.Fields[0].Field)
		})
	}
}

func TestDecodeJSONAcceptsText(t *testing.T) {
	b, err := decode(`{"title":"caf\u00e9 \ud83d\ude00 line\nnext\ttab\r\n","labels":["a","b"],"branding":{"name":"ok"}}`)
	require.NoError(t, err)
	assert.Equal(t, "café 😀 line\nnext\ttab\r\n", b.Title)
	assert.Equal(t, []string{"a", "b"}, b.Labels)
	assert.Equal(t, "ok", b.Nested.Name)
}

// FuzzDecodeJSON: the one request decoder never panics, answers a 400 or
// nothing, and whatever it accepts holds only valid UTF-8 without controls
// other than newline, carriage return and tab.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"title":"x"}`, `{"title":"\ud800"}`, "{\"title\":\"\xff\"}", `{"labels":["a","\u0000"]}`,
		`{"branding":{"name":"\ud83d\ude00"}}`, `{"title":"a"} x`, `[`, `{"title":1}`, `{"title":"\\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := decode(string(raw))
		if err != nil {
			if e := errs.As(err); e.Kind != errs.KindInvalid && e.Kind != errs.KindTooLarge {
				t.Fatalf("decode %q: %v is not a 400", raw, err)
			}
			return
		}
		for _, s := range append([]string{b.Title, b.Nested.Name}, b.Labels...) {
			sentReplacement := strings.ContainsRune(string(raw), utf8.RuneError) || strings.Contains(strings.ToLower(string(raw)), `\ufffd`)
			if !utf8.ValidString(s) || (strings.ContainsRune(s, utf8.RuneError) && !sentReplacement) {
				t.Fatalf("accepted %q as %q: repaired, not refused", raw, s)
			}
			for _, r := range s {
				if (r < 0x20 && r != '\n' && r != '\r' && r != '\t') || (r >= 0x7f && r <= 0x9f) {
					t.Fatalf("accepted control %U from %q", r, raw)
				}
			}
		}
		_, _ = json.Marshal(b)
	})
}

// A key given twice in one object, in any case encoding/json would match
// to the same field, is refused naming it; the same key in two objects is
// not a duplicate.
func TestDecodeJSONRefusesDuplicateKeys(t *testing.T) {
	for raw, field := range map[string]string{
		`{"title":"a","title":"b"}`:                 "title",
		`{"title":"a","Title":"b"}`:                 "Title",
		`{"title":"a","TITLE":"b"}`:                 "TITLE",
		`{"branding":{"name":"a","name":"b"}}`:      "branding.name",
		`{"done":true,"labels":[],"done":false}`:    "done",
		"{\"kind\":\"a\",\"\u212aind\":\"b\"}":      "\u212aind", // the Kelvin sign folds to k
		`{"title":"a","branding":{},"branding":{}}`: "branding",
	} {
		_, err := decode(raw)
		require.Error(t, err, raw)
		e := httpapi.Classify(err)
		assert.Equal(t, "duplicate_key", e.Code, raw)
		require.Len(t, e.Fields, 1, raw)
		assert.Equal(t, field, e.Fields[0].Field, raw)
	}
	for _, raw := range []string{`{"title":"a","branding":{"name":"title"}}`, `{"labels":["a","a"],"branding":{"name":"x"}}`} {
		_, err := decode(raw)
		assert.NoError(t, err, raw)
	}
}

// The gateway sets the request id by key (one shared value slice for the
// request and the answer), so the key must be net/http's canonical form;
// a JSON answer's Content-Type is shared the same way and must stay
// private to each answer when one of them adds to it.
func TestSharedHeaderValuesStayPerAnswer(t *testing.T) {
	assert.Equal(t, http.CanonicalHeaderKey(httpapi.RequestIDHeader), httpapi.RequestIDHeader)
	a, b := httptest.NewRecorder(), httptest.NewRecorder()
	require.NoError(t, httpapi.WriteJSON(a, 200, map[string]int{}))
	a.Header().Add("Content-Type", "charset=utf-8")
	require.NoError(t, httpapi.WriteJSON(b, 200, map[string]int{}))
	assert.Equal(t, []string{"application/json"}, b.Header().Values("Content-Type"))
}

// tagged gives two numbers their validation's own code (httpapi.InvalidTag):
// at the top, and in an array's elements, behind a pointer, in an embedded
// struct.
type tagged struct {
	Estimate *int `json:"estimate" invalid:"invalid_estimate"`
	Points   int  `json:"points"`
	Refs     []struct {
		Version int64 `json:"version" invalid:"invalid_ref"`
	} `json:"refs"`
	Values map[string]any `json:"values" invalid:"invalid_value"`
	embedded
}

type embedded struct {
	Hours int `json:"hours,omitempty" invalid:"invalid_hours"`
}

// A decode error on a field with an invalid tag answers as the field's
// validation does (422 with the tag's code, naming the field, the reason
// in JSON's words); a field without one keeps the 400 validation_failed.
func TestDecodeJSONAnswersATaggedFieldWithItsOwnCode(t *testing.T) {
	for raw, want := range map[string]struct {
		status              int
		code, field, reason string
	}{
		`{"estimate":"3"}`:                 {422, "invalid_estimate", "estimate", "must be an integer"},
		`{"estimate":1.5}`:                 {422, "invalid_estimate", "estimate", "must be a whole number in range"},
		`{"estimate":9223372036854775808}`: {422, "invalid_estimate", "estimate", "must be a whole number in range"},
		`{"estimate":{}}`:                  {422, "invalid_estimate", "estimate", "must be an integer"},
		`{"refs":[{"version":true}]}`:      {422, "invalid_ref", "refs.version", "must be an integer"},
		`{"hours":"2"}`:                    {422, "invalid_hours", "hours", "must be an integer"},
		`{"values":{"a":1,"b":1e400}}`:     {422, "invalid_value", "values.b", "must be a number"},
		`{"values":{"a":[-1e400]}}`:        {422, "invalid_value", "values", "must be a number"},
		`{"points":"3"}`:                   {400, "validation_failed", "points", "must be an integer"},
		`{"refs":"x"}`:                     {400, "validation_failed", "refs", "must be an array"},
	} {
		var b tagged
		r := httptest.NewRequest("POST", "/v1/x", strings.NewReader(raw))
		err := httpapi.DecodeJSON(r, &b, 0)
		require.Error(t, err, raw)
		p := httpapi.ProblemOf(err, "/v1/x", "req")
		assert.Equal(t, want.status, p.Status, raw)
		assert.Equal(t, want.code, p.Code, raw)
		if assert.Len(t, p.Errors, 1, raw) {
			assert.Equal(t, want.field, p.Errors[0].Field, raw)
			assert.Equal(t, want.reason, p.Errors[0].Reason, raw)
		}
	}
}
