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
