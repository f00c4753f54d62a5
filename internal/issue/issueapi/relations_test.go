package issueapi_test

import (
	"net/http"
	"testing"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSubIssues(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ann := w.api.As(w.ann)
	parent := w.create(t, w.ann, map[string]any{"title": "Epic"})
	c1 := w.create(t, w.ann, map[string]any{"title": "First step", "parent_id": parent.Key})
	c2 := w.create(t, w.ann, map[string]any{"title": "Second step", "parent_id": parent.ID})
	w.create(t, w.ann, map[string]any{"title": "Unrelated"})
	assert.Equal(t, parent.ID, c1.ParentID, "a key is stored as the id")

	for _, ref := range []string{parent.ID, parent.Key} {
		pg := list[issue.Issue](t, ann, "/v1/issues?parent="+ref)
		require.Len(t, pg.Items, 2, ref)
		assert.Equal(t, []string{c2.ID, c1.ID}, []string{pg.Items[0].ID, pg.Items[1].ID}, "one index partition, in update order")
	}

	var got issue.Issue
	res := ann.Do("POST", "/v1/issues/"+c1.ID+"/transitions", map[string]any{"to": "closed"})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	res = ann.Do("GET", "/v1/issues/"+parent.Key, nil)
	require.Equal(t, http.StatusOK, res.Status)
	res.JSON(t, &got)
	require.NotNil(t, got.Progress)
	assert.Equal(t, 2, got.Progress.Total)
	assert.Equal(t, 1, got.Progress.Completed)
	assert.Equal(t, map[issue.Category]int{issue.Completed: 1, issue.Unstarted: 1}, got.Progress.ByCategory)
	var leaf issue.Issue
	ann.Do("GET", "/v1/issues/"+c1.ID, nil).JSON(t, &leaf)
	assert.Nil(t, leaf.Progress, "no sub-issues, no roll-up")

	// Cycles, self-parenting and unknown parents change nothing.
	for name, c := range map[string]struct {
		ref, parent string
		status      int
		code        string
	}{
		"a parent under its own child":     {parent.ID, c1.Key, http.StatusConflict, "parent_cycle"},
		"an issue under itself":            {c2.ID, c2.ID, http.StatusConflict, "parent_cycle"},
		"an unknown parent":                {c2.ID, "ACME-999", http.StatusBadRequest, "validation_failed"},
		"another tenant's issue as parent": {c2.ID, w.create(t, w.gus, map[string]any{"title": "globex"}).ID, http.StatusBadRequest, "validation_failed"},
	} {
		t.Run(name, func(t *testing.T) {
			code, field := problem(t, ann.Do("PATCH", "/v1/issues/"+c.ref, map[string]any{"parent_id": c.parent}), c.status)
			assert.Equal(t, []string{c.code, "parent_id"}, []string{code, field})
		})
	}
	var after issue.Issue
	ann.Do("GET", "/v1/issues/"+parent.ID, nil).JSON(t, &after)
	assert.Equal(t, parent.Version, after.Version, "the refused patch wrote nothing")
	assert.Empty(t, after.ParentID)

	// null detaches a sub-issue.
	res = ann.Do("PATCH", "/v1/issues/"+c2.ID, map[string]any{"parent_id": nil})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	assert.Len(t, list[issue.Issue](t, ann, "/v1/issues?parent="+parent.ID).Items, 1)
}

func links(t *testing.T, w *world, ref string) map[string]string {
	t.Helper()
	pg := list[issue.Link](t, w.api.As(w.ann), "/v1/issues/"+ref+"/relations")
	out := map[string]string{}
	for _, l := range pg.Items {
		out[l.Issue.Key] = string(l.Type)
	}
	return out
}

func TestRelations(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ann := w.api.As(w.ann)
	a := w.create(t, w.ann, map[string]any{"title": "A"})
	b := w.create(t, w.ann, map[string]any{"title": "B"})
	c := w.create(t, w.ann, map[string]any{"title": "C"})
	relate := func(from, typ, to string) *apitest.Response {
		return ann.Do("POST", "/v1/issues/"+from+"/relations", map[string]any{"type": typ, "issue_id": to})
	}
	require.Equal(t, http.StatusCreated, relate(a.Key, "blocks", b.Key).Status)
	require.Equal(t, http.StatusCreated, relate(c.ID, "blocked_by", b.ID).Status) // b blocks c
	require.Equal(t, http.StatusCreated, relate(a.ID, "relates_to", c.ID).Status)
	assert.Equal(t, map[string]string{b.Key: "blocks", c.Key: "relates_to"}, links(t, w, a.ID))
	assert.Equal(t, map[string]string{a.Key: "blocked_by", c.Key: "blocks"}, links(t, w, b.ID), "stored once, shown from both sides")
	assert.Equal(t, map[string]string{b.Key: "blocked_by", a.Key: "relates_to"}, links(t, w, c.ID))

	for name, x := range map[string]struct {
		from, typ, to string
		status        int
		code, field   string
	}{
		"a direct blocks cycle":         {b.ID, "blocks", a.ID, 409, "relation_cycle", "issue_id"},
		"an indirect blocks cycle":      {c.ID, "blocks", a.ID, 409, "relation_cycle", "issue_id"},
		"the same, from the other side": {a.ID, "blocked_by", c.ID, 409, "relation_cycle", "issue_id"},
		"a relation to itself":          {a.ID, "relates_to", a.Key, 422, "relation_to_itself", "issue_id"},
		"a relation twice":              {b.ID, "blocked_by", a.ID, 409, "relation_exists", "issue_id"},
		"relates_to both ways":          {c.ID, "relates_to", a.ID, 409, "relation_exists", "issue_id"},
		"an unknown type":               {a.ID, "causes", b.ID, 400, "validation_failed", "type"},
		"an unknown issue":              {a.ID, "blocks", "ACME-999", 400, "validation_failed", "issue_id"},
		"another tenant's issue":        {a.ID, "blocks", w.create(t, w.gus, map[string]any{"title": "g"}).ID, 400, "validation_failed", "issue_id"},
	} {
		t.Run(name, func(t *testing.T) {
			code, field := problem(t, relate(x.from, x.typ, x.to), x.status)
			assert.Equal(t, []string{x.code, x.field}, []string{code, field})
		})
	}
	assert.Len(t, links(t, w, a.ID), 2, "nothing was added")

	// Another tenant sees none of it.
	gus := w.api.As(w.gus)
	code, _ := problem(t, gus.Do("GET", "/v1/issues/"+a.ID+"/relations", nil), http.StatusNotFound)
	assert.Equal(t, "issue_not_found", code)
	code, _ = problem(t, gus.Do("DELETE", "/v1/issues/"+b.ID+"/relations/blocked_by:"+a.ID, nil), http.StatusNotFound)
	assert.Equal(t, "issue_not_found", code)

	res := ann.Do("DELETE", "/v1/issues/"+b.Key+"/relations/blocked_by:"+a.ID, nil)
	require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
	assert.Equal(t, map[string]string{c.Key: "relates_to"}, links(t, w, a.ID))
	code, _ = problem(t, ann.Do("DELETE", "/v1/issues/"+b.Key+"/relations/blocked_by:"+a.ID, nil), http.StatusNotFound)
	assert.Equal(t, "relation_not_found", code)
}

func TestCloseAsDuplicate(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ann := w.api.As(w.ann)
	orig := w.create(t, w.ann, map[string]any{"title": "Login fails"})
	dup := w.create(t, w.ann, map[string]any{"title": "Cannot log in"})
	code, field := problem(t, ann.Do("POST", "/v1/issues/"+dup.ID+"/transitions", map[string]any{"to": "in_progress", "duplicate_of": orig.Key}), http.StatusBadRequest)
	assert.Equal(t, []string{"validation_failed", "to"}, []string{code, field})
	code, field = problem(t, ann.Do("POST", "/v1/issues/"+dup.ID+"/transitions", map[string]any{"duplicate_of": dup.Key}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"relation_to_itself", "issue_id"}, []string{code, field})

	res := ann.Do("POST", "/v1/issues/"+dup.ID+"/transitions", map[string]any{"duplicate_of": orig.Key})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var got issue.Issue
	res.JSON(t, &got)
	assert.Equal(t, issue.Closed, got.Status)
	assert.Equal(t, map[string]string{orig.Key: "duplicates"}, links(t, w, dup.ID))
	assert.Equal(t, map[string]string{dup.Key: "duplicated_by"}, links(t, w, orig.ID))
	// The original cannot now be closed as a duplicate of its duplicate.
	code, _ = problem(t, ann.Do("POST", "/v1/issues/"+orig.ID+"/transitions", map[string]any{"duplicate_of": dup.ID}), http.StatusConflict)
	assert.Equal(t, "relation_cycle", code)
	res = ann.Do("GET", "/v1/issues/"+orig.ID, nil)
	res.JSON(t, &got)
	assert.Equal(t, issue.Open, got.Status, "nothing half-applied")
}
