package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type inner struct {
	Tags []string `json:"tags"`
}

type outer struct {
	Items  []inner         `json:"items"`
	Nested *inner          `json:"nested"`
	Any    any             `json:"any"`
	Meta   map[string]any  `json:"meta"`
	Raw    json.RawMessage `json:"raw,omitempty"`
	hidden []string
}

func TestWriteJSONAnswersEmptyArraysNotNull(t *testing.T) {
	v := outer{Items: []inner{{}}, Nested: &inner{}, Any: inner{}, Meta: map[string]any{"list": []int(nil)}}
	rec := httptest.NewRecorder()
	require.NoError(t, WriteJSON(rec, 200, v))
	assert.JSONEq(t, `{"items":[{"tags":[]}],"nested":{"tags":[]},"any":{"tags":[]},"meta":{"list":[]}}`, rec.Body.String())
	assert.Nil(t, v.Items[0].Tags, "the caller's value is not changed")
	assert.Nil(t, v.Meta["list"], "nor its maps")

	rec = httptest.NewRecorder()
	require.NoError(t, WriteJSON(rec, 200, []inner(nil)))
	assert.JSONEq(t, `[]`, rec.Body.String())
	rec = httptest.NewRecorder()
	require.NoError(t, WriteJSON(rec, 200, nil))
	assert.Equal(t, "null\n", rec.Body.String())
}

type page struct {
	Items  []row          `json:"items"`
	Next   string         `json:"next_cursor,omitempty"`
	Extra  map[string]any `json:"extra,omitempty"`
	Hidden []string       `json:"-"`
}

type row struct {
	Labels []string          `json:"labels"`
	Fields map[string]any    `json:"fields,omitempty"`
	Attrs  map[string]string `json:"attrs"`
	When   *int              `json:"when,omitempty"`
}

// An answer with no nil slice or map to replace (nil ones that are
// omitempty or not encoded do not count) is encoded as it is, without a
// copy; one with a nil is still answered [] or {} where it matters.
func TestNonNilCopiesOnlyWhatItMustFill(t *testing.T) {
	rows := make([]row, 25)
	for i := range rows {
		rows[i] = row{Labels: []string{"a"}, Attrs: map[string]string{"k": "v"}}
	}
	full := page{Items: rows}
	var answer any = full // as a handler hands it to WriteJSON
	assert.Zero(t, testing.AllocsPerRun(50, func() { _ = NonNil(answer) }), "nothing to fill: no copy")
	b, err := json.Marshal(NonNil(full))
	require.NoError(t, err)
	want, err := json.Marshal(full)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(b))

	holey := page{Items: []row{{Labels: []string{"a"}}, {Labels: nil, Attrs: map[string]string{}}}}
	b, err = json.Marshal(NonNil(holey))
	require.NoError(t, err)
	assert.JSONEq(t, `{"items":[{"labels":["a"],"attrs":{}},{"labels":[],"attrs":{}}]}`, string(b))
	assert.Nil(t, holey.Items[1].Labels, "the caller's value is not changed")
}
