package issueapi_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Labels are addressed by name as well as by id: on create, on update and
// in list filters; names are unique per tenant after NFC and case folding.
func TestLabelsByName(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ann, ada := w.api.As(w.ann), w.api.As(w.ada)
	strasse := w.label(t, "Straße")
	cafe := w.label(t, "Caf\u00e9") // precomposed é
	ux := w.label(t, "Needs UX")

	t.Run("a name equal after case folding or normalisation is taken, naming the field", func(t *testing.T) {
		for _, name := range []string{"STRASSE", "strasse", "CAFE\u0301", "needs ux"} {
			code, field := problem(t, ada.Do("POST", "/v1/labels", map[string]any{"name": name}), http.StatusConflict)
			assert.Equal(t, "label_name_taken", code, name)
			assert.Equal(t, "name", field, name)
		}
		code, field := problem(t, ada.Do("PATCH", "/v1/labels/"+ux.ID, map[string]any{"name": "strasse"}), http.StatusConflict)
		assert.Equal(t, "label_name_taken", code)
		assert.Equal(t, "name", field)
	})
	t.Run("users apply labels but only Admins create them", func(t *testing.T) {
		problem(t, ann.Do("POST", "/v1/labels", map[string]any{"name": "Mine"}), http.StatusForbidden)
	})
	t.Run("create and update take names in any case and form, and ids", func(t *testing.T) {
		i := w.create(t, w.ann, map[string]any{"title": "named", "labels": []string{"strasse", "cafe\u0301"}})
		assert.Equal(t, []string{strasse.ID, cafe.ID}, i.Labels)
		res := ann.Do("PATCH", "/v1/issues/"+i.ID, map[string]any{"labels": []string{"NEEDS UX", strasse.ID, "Straße"}})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		var got issue.Issue
		res.JSON(t, &got)
		assert.Equal(t, []string{ux.ID, strasse.ID}, got.Labels)
	})
	t.Run("list filters take names", func(t *testing.T) {
		other := w.create(t, w.ann, map[string]any{"title": "unlabelled"})
		pg := list[issue.Issue](t, ann, "/v1/issues?label="+url.QueryEscape("needs ux"))
		require.Len(t, pg.Items, 1)
		assert.NotEqual(t, other.ID, pg.Items[0].ID)
		assert.Len(t, list[issue.Issue](t, ann, "/v1/issues?label=STRASSE,"+ux.ID).Items, 1)
	})
	t.Run("an unknown name is a 400 naming the field, and nothing is written", func(t *testing.T) {
		_, field := problem(t, ann.Do("POST", "/v1/issues", map[string]any{"title": "x", "labels": []string{"nope"}}), http.StatusBadRequest)
		assert.Equal(t, "labels", field)
		_, field = problem(t, ann.Do("GET", "/v1/issues?label=nope", nil), http.StatusBadRequest)
		assert.Equal(t, "label", field)
		assert.Len(t, list[issue.Issue](t, ann, "/v1/issues").Items, 2)
	})
	t.Run("another tenant's label name is unknown", func(t *testing.T) {
		_, field := problem(t, w.api.As(w.gus).Do("POST", "/v1/issues", map[string]any{"title": "x", "labels": []string{"Needs UX"}}), http.StatusBadRequest)
		assert.Equal(t, "labels", field)
	})
	t.Run("a renamed label frees its name and answers to the new one", func(t *testing.T) {
		require.Equal(t, http.StatusOK, ada.Do("PATCH", "/v1/labels/"+ux.ID, map[string]any{"name": "Design"}).Status)
		assert.Len(t, list[issue.Issue](t, ann, "/v1/issues?label=design").Items, 1)
		problem(t, ann.Do("GET", "/v1/issues?label="+url.QueryEscape("Needs UX"), nil), http.StatusBadRequest)
	})
}

func TestLabelNameKey(t *testing.T) {
	t.Parallel()
	assert.Equal(t, issue.LabelNameKey("STRASSE"), issue.LabelNameKey("Straße"))
	assert.Equal(t, issue.LabelNameKey("Cafe\u0301"), issue.LabelNameKey("CAFÉ"))
	assert.NotEqual(t, issue.LabelNameKey("bug"), issue.LabelNameKey("bugs"))
}
