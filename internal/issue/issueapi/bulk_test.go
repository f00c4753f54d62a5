package issueapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issueapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func bulk(t *testing.T, res interface {
	JSON(testing.TB, any)
}) issueapi.BulkResult {
	t.Helper()
	var r issueapi.BulkResult
	res.JSON(t, &r)
	return r
}

func TestBulkEdit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ann := w.api.As(w.ann)
	ux := w.label(t, "Needs UX")
	bug := w.label(t, "Bug")
	var ids []string
	for n := range 5 {
		ids = append(ids, w.create(t, w.ann, map[string]any{"title": fmt.Sprintf("issue %d", n), "labels": []string{ux.ID}}).ID)
	}
	closed := w.create(t, w.ann, map[string]any{"title": "closed"})
	require.Equal(t, http.StatusOK, ann.Do("POST", "/v1/issues/"+closed.ID+"/transitions", map[string]any{"to": "closed"}).Status)
	other := w.api.As(w.gus).Do("POST", "/v1/issues", map[string]any{"title": "globex's"}).Map(t)["id"].(string)

	t.Run("each issue gets its own result: missing, another tenant's, a forbidden transition", func(t *testing.T) {
		refs := []any{ids[0], issue.FormatKey("acme", 2), map[string]any{"id": ids[2]}, "01NOSUCHISSUE0000000000000", other, closed.ID}
		res := ann.Do("POST", "/v1/issues/bulk", map[string]any{"issues": refs, "changes": map[string]any{
			"status": "in_review", "assignee_id": "bob", "priority": "high", "labels": map[string]any{"add": []string{"bug"}, "remove": []string{"needs ux"}}}})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		r := bulk(t, res)
		require.Len(t, r.Results, 6)
		assert.Equal(t, 0, r.Succeeded)
		assert.Equal(t, 6, r.Failed)
		statuses := []int{}
		for _, it := range r.Results {
			statuses = append(statuses, it.Status)
		}
		// open -> in_review and closed -> in_review are not edges of the
		// workflow: each such issue is a 422 and nothing of it changes.
		assert.Equal(t, []int{422, 422, 422, 404, 404, 422}, statuses)
		assert.Equal(t, "transition_forbidden", r.Results[0].Code)
		got := w.get(t, ids[0])
		assert.Equal(t, issue.PriorityNone, got.Priority, "an issue whose change failed is not half-changed")
		assert.Equal(t, []string{ux.ID}, got.Labels)
		assert.Equal(t, "issue_not_found", r.Results[4].Code, "another tenant's issue answers like a missing one")
	})
	t.Run("a valid edit changes every issue, with its activity and history as a single write has", func(t *testing.T) {
		res := ann.Do("POST", "/v1/issues/bulk", map[string]any{"issues": ids[:3], "changes": map[string]any{
			"status": "in_progress", "assignee_id": "bob", "priority": "high", "labels": map[string]any{"add": []string{"bug"}, "remove": []string{"needs ux"}}}})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		r := bulk(t, res)
		assert.Equal(t, 3, r.Succeeded, string(res.Body))
		for _, id := range ids[:3] {
			got := w.get(t, id)
			assert.Equal(t, issue.InProgress, got.Status)
			assert.Equal(t, "bob", got.AssigneeID)
			assert.Equal(t, issue.PriorityHigh, got.Priority)
			assert.Equal(t, []string{bug.ID}, got.Labels)
			assert.Equal(t, int64(2), got.Version)
			acts := list[issue.Activity](t, ann, "/v1/issues/"+id+"/activity").Items
			require.Len(t, acts, 2)
			last := acts[0]
			if last.Action == "created" {
				last = acts[1]
			}
			var fields []string
			for _, c := range last.Changes {
				fields = append(fields, c.Field)
			}
			assert.Equal(t, "transitioned", last.Action)
			assert.Equal(t, "ann", last.ActorID)
			assert.ElementsMatch(t, []string{"status", "category", "started_at", "priority", "assignee_id", "labels"}, fields)
			hist := list[issue.StatusChange](t, ann, "/v1/issues/"+id+"/history").Items
			assert.Len(t, hist, 2)
		}
		assert.Len(t, list[issue.Issue](t, ann, "/v1/issues?assignee=bob&label=bug").Items, 3)
	})
	t.Run("the same edit again changes nothing and writes nothing", func(t *testing.T) {
		res := ann.Do("POST", "/v1/issues/bulk", map[string]any{"issues": ids[:3], "changes": map[string]any{
			"status": "in_progress", "assignee_id": "bob", "labels": map[string]any{"add": []string{"bug"}}}})
		r := bulk(t, res)
		assert.Equal(t, 3, r.Succeeded)
		assert.Equal(t, int64(2), r.Results[0].Version)
		assert.Len(t, list[issue.Activity](t, ann, "/v1/issues/"+ids[0]+"/activity").Items, 2)
	})
	t.Run("with Idempotency-Key a retry is answered from the first response", func(t *testing.T) {
		body := map[string]any{"issues": ids[3:], "changes": map[string]any{"priority": "low"}}
		first := ann.Do("POST", "/v1/issues/bulk", body, "Idempotency-Key", "bulk-1")
		again := ann.Do("POST", "/v1/issues/bulk", body, "Idempotency-Key", "bulk-1")
		require.Equal(t, http.StatusOK, again.Status)
		assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
		assert.JSONEq(t, string(first.Body), string(again.Body))
		assert.Len(t, list[issue.Activity](t, ann, "/v1/issues/"+ids[3]+"/activity").Items, 2)
	})
	t.Run("a stale version is a 409 for that issue only", func(t *testing.T) {
		res := ann.Do("POST", "/v1/issues/bulk", map[string]any{"issues": []any{map[string]any{"id": ids[3], "version": 1}, map[string]any{"id": ids[4], "version": 2}},
			"changes": map[string]any{"priority": "urgent"}})
		r := bulk(t, res)
		assert.Equal(t, http.StatusConflict, r.Results[0].Status)
		assert.Equal(t, "version_mismatch", r.Results[0].Code)
		assert.Contains(t, r.Results[0].Detail, "names version 1 ")
		assert.NotContains(t, r.Results[0].Detail, "If-Match", "a bulk edit sends no If-Match")
		assert.Equal(t, http.StatusOK, r.Results[1].Status)
		assert.Equal(t, issue.PriorityLow, w.get(t, ids[3]).Priority)
	})
	t.Run("a bad request is a 422 naming the field, and nothing is applied", func(t *testing.T) {
		many := make([]string, 101)
		for n := range many {
			many[n] = ids[n%len(ids)] + fmt.Sprint(n)
		}
		many[0] = ids[4]
		for _, c := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"101 issues", map[string]any{"issues": many, "changes": map[string]any{"priority": "none"}}, "issues"},
			{"no issues", map[string]any{"issues": []string{}, "changes": map[string]any{"priority": "none"}}, "issues"},
			{"no changes", map[string]any{"issues": []string{ids[4]}, "changes": map[string]any{}}, "changes"},
			{"an unknown status", map[string]any{"issues": []string{ids[4]}, "changes": map[string]any{"status": "done"}}, "changes.status"},
			{"an unknown priority", map[string]any{"issues": []string{ids[4]}, "changes": map[string]any{"priority": "huge"}}, "changes.priority"},
			{"an unknown assignee", map[string]any{"issues": []string{ids[4]}, "changes": map[string]any{"assignee_id": "gus"}}, "changes.assignee_id"},
			{"an unknown label", map[string]any{"issues": []string{ids[4]}, "changes": map[string]any{"labels": map[string]any{"add": []string{"nope"}}}}, "changes.labels.add"},
			{"an issue named twice", map[string]any{"issues": []string{ids[4], ids[4]}, "changes": map[string]any{"priority": "none"}}, "issues[1]"},
		} {
			_, field := problem(t, ann.Do("POST", "/v1/issues/bulk", c.body), http.StatusUnprocessableEntity)
			assert.Equal(t, c.field, field, c.name)
		}
		assert.Equal(t, issue.PriorityUrgent, w.get(t, ids[4]).Priority, "nothing applied")
	})
}
