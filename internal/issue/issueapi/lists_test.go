package issueapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListIssues(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ann := w.api.As(w.ann)
	bug := w.label(t, "bug-label")
	past := time.Now().AddDate(0, 0, -3).Format(issue.DateLayout)
	future := time.Now().AddDate(0, 0, 10).Format(issue.DateLayout)
	const n = 23
	for k := range n {
		body := map[string]any{"title": fmt.Sprintf("issue %d", k)}
		switch k % 3 {
		case 0:
			body["assignee_id"], body["priority"], body["type"] = "ann", "urgent", "bug"
		case 1:
			body["assignee_id"], body["due_date"], body["labels"] = "bob", past, []string{bug.ID}
		case 2:
			body["team_id"], body["due_date"], body["priority"] = "core", future, "low"
		}
		w.create(t, w.ann, body)
	}
	all := list[issue.Issue](t, ann, "/v1/issues?limit=100").Items
	require.Len(t, all, n)
	closed := all[0]
	res := ann.Do("POST", "/v1/issues/"+closed.ID+"/transitions", `{"to":"closed"}`)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))

	for _, sort := range []string{"updated", "created", "priority", "due"} {
		t.Run("paging by "+sort+" returns every issue exactly once", func(t *testing.T) {
			seen := map[string]int{}
			cursor, pages := "", 0
			for {
				p := list[issue.Issue](t, ann, "/v1/issues?limit=5&sort="+sort+"&cursor="+url.QueryEscape(cursor))
				for _, i := range p.Items {
					seen[i.ID]++
				}
				pages++
				if cursor = p.NextCursor; cursor == "" {
					break
				}
				require.Less(t, pages, 10)
			}
			assert.Len(t, seen, n)
			for id, c := range seen {
				assert.Equal(t, 1, c, id)
			}
		})
	}
	t.Run("a cursor of another ordering is rejected", func(t *testing.T) {
		p := list[issue.Issue](t, ann, "/v1/issues?limit=5&sort=created")
		_, field := problem(t, ann.Do("GET", "/v1/issues?sort=due&cursor="+p.NextCursor, nil), http.StatusBadRequest)
		assert.Equal(t, "cursor", field)
	})
	t.Run("sorting by priority puts urgent first, by due the soonest first", func(t *testing.T) {
		p := list[issue.Issue](t, ann, "/v1/issues?sort=priority&limit=8")
		for _, i := range p.Items {
			assert.Equal(t, issue.PriorityUrgent, i.Priority)
		}
		p = list[issue.Issue](t, ann, "/v1/issues?sort=due&limit=100")
		assert.Equal(t, past, p.Items[0].DueDate)
		assert.Empty(t, p.Items[n-1].DueDate, "issues without a due date come last")
		assert.True(t, slices.IsSortedFunc(p.Items[:15], func(a, b issue.Issue) int { return cmpStr(a.DueDate, b.DueDate) }))
	})
	count := func(q string) int {
		t.Helper()
		return len(list[issue.Issue](t, ann, "/v1/issues?limit=100&"+q).Items)
	}
	filters := []struct {
		query string
		want  int
	}{
		{"assignee=me", 8}, {"assignee=bob", 8}, {"assignee=none", 7}, {"assignee=me,none", 15},
		{"team=core", 7}, {"label=" + bug.ID, 8}, {"priority=urgent", 8}, {"priority=low,urgent", 15},
		{"type=bug", 8}, {"type=task", 15}, {"status=closed", 1}, {"status=open", 22},
		{"category=completed", 1}, {"category=unstarted,started", 22},
		{"due_before=" + time.Now().Format(issue.DateLayout), 8}, {"due_after=" + time.Now().Format(issue.DateLayout), 7},
		{"overdue=true", 7}, {"overdue=true&assignee=bob", 7}, // the newest, closed, is not overdue
		{"overdue=true&assignee=me", 0},
		{"created_after=" + url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339)), n},
		{"created_before=" + url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339)), 0},
		{"updated_after=" + url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339)), n},
	}
	for _, f := range filters {
		t.Run(fmt.Sprintf("the filter %s selects %d issues", f.query, f.want), func(t *testing.T) {
			assert.Equal(t, f.want, count(f.query))
		})
	}
	t.Run("a filtered list pages through every match exactly once", func(t *testing.T) {
		seen := map[string]bool{}
		cursor := ""
		for range 10 {
			p := list[issue.Issue](t, ann, "/v1/issues?limit=3&priority=urgent&cursor="+url.QueryEscape(cursor))
			for _, i := range p.Items {
				assert.False(t, seen[i.ID])
				seen[i.ID] = true
			}
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		assert.Len(t, seen, 8)
	})
	t.Run("another tenant lists none of them", func(t *testing.T) {
		assert.Empty(t, list[issue.Issue](t, w.api.As(w.gus), "/v1/issues").Items)
	})
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestLabels(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ada, ann := w.api.As(w.ada), w.api.As(w.ann)
	l := w.label(t, "Backend")
	t.Run("a created label is in the catalog with a normalised colour", func(t *testing.T) {
		p := list[issue.Label](t, ann, "/v1/labels")
		require.Len(t, p.Items, 1)
		assert.Equal(t, "Backend", p.Items[0].Name)
		assert.Equal(t, "#ff0000", p.Items[0].Color)
	})
	t.Run("a user may not manage labels", func(t *testing.T) {
		problem(t, ann.Do("POST", "/v1/labels", `{"name":"x"}`), http.StatusForbidden)
		problem(t, ann.Do("PATCH", "/v1/labels/"+l.ID, `{"name":"x"}`), http.StatusForbidden)
	})
	t.Run("names are unique per tenant, whatever the case", func(t *testing.T) {
		code, field := problem(t, ada.Do("POST", "/v1/labels", `{"name":"backend"}`), http.StatusConflict)
		assert.Equal(t, "label_name_taken", code)
		assert.Equal(t, "name", field)
		gusAdmin := w.gus
		gusAdmin.Role = w.ada.Role
		res := w.api.As(gusAdmin).Do("POST", "/v1/labels", `{"name":"Backend"}`)
		assert.Equal(t, http.StatusCreated, res.Status, "another tenant may use the name")
	})
	t.Run("rename and recolor", func(t *testing.T) {
		res := ada.Do("PATCH", "/v1/labels/"+l.ID, `{"name":"Server","color":"#00ff00"}`)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		got := list[issue.Label](t, ann, "/v1/labels").Items[0]
		assert.Equal(t, "Server", got.Name)
		assert.Equal(t, "#00ff00", got.Color)
		assert.Equal(t, http.StatusCreated, ada.Do("POST", "/v1/labels", `{"name":"Backend"}`).Status, "the old name is free again")
	})
	t.Run("a label in use cannot be deleted until no issue carries it", func(t *testing.T) {
		i := w.create(t, w.ann, map[string]any{"title": "labelled", "labels": []string{l.ID}})
		code, _ := problem(t, ada.Do("DELETE", "/v1/labels/"+l.ID, nil), http.StatusConflict)
		assert.Equal(t, "label_in_use", code)
		require.Equal(t, http.StatusOK, ann.Do("PATCH", "/v1/issues/"+i.ID, `{"labels":[]}`).Status)
		assert.Equal(t, http.StatusNoContent, ada.Do("DELETE", "/v1/labels/"+l.ID, nil).Status)
		problem(t, ada.Do("DELETE", "/v1/labels/"+l.ID, nil), http.StatusNotFound)
	})
	t.Run("another tenant's label is not found", func(t *testing.T) {
		other := w.label(t, "Mine")
		gusAdmin := w.gus
		gusAdmin.Role = w.ada.Role
		code, _ := problem(t, w.api.As(gusAdmin).Do("PATCH", "/v1/labels/"+other.ID, `{"name":"x"}`), http.StatusNotFound)
		assert.Equal(t, "label_not_found", code)
		_, field := problem(t, w.api.As(w.gus).Do("POST", "/v1/issues", map[string]any{"title": "x", "labels": []string{other.ID}}), http.StatusBadRequest)
		assert.Equal(t, "labels", field)
	})
}
