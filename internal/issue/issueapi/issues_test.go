package issueapi_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIssueLifecycle(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ann := w.api.As(w.ann)
	i := w.create(t, w.ann, map[string]any{"title": "Login fails", "description": "On **Safari**", "type": "bug",
		"priority": "high", "assignee_id": "bob", "due_date": "2030-01-02"})

	t.Run("create answers the issue with its key, version and ETag", func(t *testing.T) {
		assert.Equal(t, "ACME-1", i.Key)
		assert.Equal(t, int64(1), i.Version)
		assert.Equal(t, issue.Open, i.Status)
		assert.Equal(t, issue.Unstarted, i.Category)
		assert.Equal(t, "ann", i.ReporterID)
		assert.Equal(t, []string{}, i.Labels)
	})
	t.Run("get by id and by key answer the same issue with its ETag", func(t *testing.T) {
		for _, ref := range []string{i.ID, "ACME-1", "acme-1"} {
			res := ann.Do("GET", "/v1/issues/"+ref, nil)
			require.Equal(t, http.StatusOK, res.Status, ref)
			assert.Equal(t, `"1"`, res.Header.Get("ETag"))
			var got issue.Issue
			res.JSON(t, &got)
			assert.Equal(t, i.ID, got.ID)
		}
	})
	t.Run("a merge patch with If-Match updates and bumps the version", func(t *testing.T) {
		res := ann.Do("PATCH", "/v1/issues/"+i.ID, `{"title":"Login fails on Safari","assignee_id":null,"due_date":null}`, "If-Match", `"1"`)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		var got issue.Issue
		res.JSON(t, &got)
		assert.Equal(t, "Login fails on Safari", got.Title)
		assert.Empty(t, got.AssigneeID)
		assert.Empty(t, got.DueDate)
		assert.Equal(t, "On **Safari**", got.Description, "absent fields are kept")
		assert.Equal(t, int64(2), got.Version)
		assert.Equal(t, `"2"`, res.Header.Get("ETag"))
	})
	t.Run("a stale If-Match is a 412 and changes nothing", func(t *testing.T) {
		code, _ := problem(t, ann.Do("PATCH", "/v1/issues/"+i.ID, `{"title":"x"}`, "If-Match", `"1"`), http.StatusPreconditionFailed)
		assert.Equal(t, "version_mismatch", code)
		res := ann.Do("GET", "/v1/issues/"+i.ID, nil)
		assert.Contains(t, string(res.Body), "Login fails on Safari")
	})
	t.Run("assigning a team clears the user assignee", func(t *testing.T) {
		res := ann.Do("PATCH", "/v1/issues/"+i.ID, `{"assignee_id":"bob"}`)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		res = ann.Do("PATCH", "/v1/issues/"+i.ID, `{"team_id":"core"}`)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		var got issue.Issue
		res.JSON(t, &got)
		assert.Equal(t, "core", got.TeamID)
		assert.Empty(t, got.AssigneeID)
	})
	t.Run("the activity says who changed which field from what to what", func(t *testing.T) {
		p := list[issue.Activity](t, ann, "/v1/issues/"+i.ID+"/activity")
		require.Len(t, p.Items, 4)
		assert.Equal(t, "created", p.Items[0].Action)
		first := p.Items[1]
		assert.Equal(t, "ann", first.ActorID)
		assert.Contains(t, first.Changes, issue.Change{Field: "title", From: "Login fails", To: "Login fails on Safari"})
		assert.Contains(t, first.Changes, issue.Change{Field: "assignee_id", From: "bob", To: ""})
	})
	t.Run("a user may not delete an issue", func(t *testing.T) {
		code, _ := problem(t, ann.Do("DELETE", "/v1/issues/"+i.ID, nil), http.StatusForbidden)
		assert.Equal(t, "role_forbidden", code)
	})
	t.Run("an admin deletes it with If-Match and it is gone, by id and by key", func(t *testing.T) {
		problem(t, w.api.As(w.ada).Do("DELETE", "/v1/issues/"+i.ID, nil, "If-Match", `"1"`), http.StatusPreconditionFailed)
		res := w.api.As(w.ada).Do("DELETE", "/v1/issues/"+i.ID, nil, "If-Match", `"4"`)
		require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
		for _, ref := range []string{i.ID, "ACME-1"} {
			code, _ := problem(t, ann.Do("GET", "/v1/issues/"+ref, nil), http.StatusNotFound)
			assert.Equal(t, "issue_not_found", code)
		}
	})
	t.Run("keys are never reused after a delete", func(t *testing.T) {
		assert.Equal(t, "ACME-2", w.create(t, w.ann, map[string]any{"title": "next"}).Key)
	})
}

func TestBadInputIsA4xxNamingTheFieldAndWritesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ann := w.api.As(w.ann)
	ok := w.create(t, w.ann, map[string]any{"title": "existing"})
	cases := []struct {
		name, method, path string
		body               any
		headers            []string
		status             int
		field              string
	}{
		{"an unknown field", "POST", "/v1/issues", `{"title":"x","colour":"red"}`, nil, 400, "colour"},
		{"a missing title", "POST", "/v1/issues", `{"description":"x"}`, nil, 400, "title"},
		{"an oversized title", "POST", "/v1/issues", map[string]any{"title": strings.Repeat("x", 201)}, nil, 400, "title"},
		{"an oversized description", "POST", "/v1/issues", map[string]any{"title": "x", "description": strings.Repeat("x", 33<<10)}, nil, 400, "description"},
		{"a wrong type enum", "POST", "/v1/issues", `{"title":"x","type":"epic"}`, nil, 400, "type"},
		{"a wrong priority enum", "POST", "/v1/issues", `{"title":"x","priority":"p0"}`, nil, 400, "priority"},
		{"a title of the wrong JSON type", "POST", "/v1/issues", `{"title":7}`, nil, 400, "title"},
		{"a bad due date", "POST", "/v1/issues", `{"title":"x","due_date":"2030-02-30"}`, nil, 400, "due_date"},
		{"an assignee of another tenant", "POST", "/v1/issues", `{"title":"x","assignee_id":"gus"}`, nil, 400, "assignee_id"},
		{"an unknown team", "POST", "/v1/issues", `{"title":"x","team_id":"nope"}`, nil, 400, "team_id"},
		{"an unknown label", "POST", "/v1/issues", `{"title":"x","labels":["nope"]}`, nil, 400, "labels"},
		{"too many labels", "POST", "/v1/issues", map[string]any{"title": "x", "labels": strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",")}, nil, 400, "labels"},
		{"a status in a patch", "PATCH", "/v1/issues/" + ok.ID, `{"status":"closed"}`, nil, 400, "status"},
		{"a null title in a patch", "PATCH", "/v1/issues/" + ok.ID, `{"title":null}`, nil, 400, "title"},
		{"an assignee of another tenant in a patch", "PATCH", "/v1/issues/" + ok.ID, `{"assignee_id":"gus"}`, nil, 400, "assignee_id"},
		{"a malformed If-Match", "PATCH", "/v1/issues/" + ok.ID, `{"title":"y"}`, []string{"If-Match", "v1"}, 400, "If-Match"},
		{"a forbidden transition", "POST", "/v1/issues/" + ok.ID + "/transitions", `{"to":"in_review"}`, nil, 422, "to"},
		{"an unknown status", "POST", "/v1/issues/" + ok.ID + "/transitions", `{"to":"done"}`, nil, 422, "to"},
		{"a malformed status", "POST", "/v1/issues/" + ok.ID + "/transitions", `{"to":"Done!"}`, nil, 422, "to"},
		{"a malformed cursor", "GET", "/v1/issues?cursor=!!!", nil, nil, 400, "cursor"},
		{"a forged cursor", "GET", "/v1/issues?cursor=eyJzIjoidXBkYXRlZCJ9", nil, nil, 400, "cursor"},
		{"a malformed status filter", "GET", "/v1/issues?status=Done!", nil, nil, 400, "status"},
		{"a bad date filter", "GET", "/v1/issues?due_before=tomorrow", nil, nil, 400, "due_before"},
		{"a bad timestamp filter", "GET", "/v1/issues?created_after=yesterday", nil, nil, 400, "created_after"},
		{"a limit out of range", "GET", "/v1/issues?limit=1000", nil, nil, 400, "limit"},
		{"a wrong sort", "GET", "/v1/issues?sort=title", nil, nil, 400, "sort"},
		{"a one-letter search", "GET", "/v1/search?q=a", nil, nil, 400, "q"},
		{"a malformed comment cursor", "GET", "/v1/issues/" + ok.ID + "/comments?cursor=abc", nil, nil, 400, "cursor"},
		{"an empty comment", "POST", "/v1/issues/" + ok.ID + "/comments", `{"body":"  "}`, nil, 400, "body"},
		{"an oversized comment", "POST", "/v1/issues/" + ok.ID + "/comments", map[string]any{"body": strings.Repeat("x", 17<<10)}, nil, 400, "body"},
		{"a reply to an unknown comment", "POST", "/v1/issues/" + ok.ID + "/comments", `{"body":"hi","parent_id":"nope"}`, nil, 400, "parent_id"},
		{"a bad label colour", "POST", "/v1/labels", `{"name":"x","color":"red"}`, nil, 400, "color"},
		{"a long label name", "POST", "/v1/labels", map[string]any{"name": strings.Repeat("x", 51)}, nil, 400, "name"},
		{"a malformed Idempotency-Key", "POST", "/v1/issues", `{"title":"x"}`, []string{"Idempotency-Key", "has space"}, 400, "Idempotency-Key"},
	}
	for _, c := range cases {
		t.Run(c.name+" is rejected", func(t *testing.T) {
			caller := ann
			if strings.HasPrefix(c.path, "/v1/labels") {
				caller = w.api.As(w.ada)
			}
			_, field := problem(t, caller.Do(c.method, c.path, c.body, c.headers...), c.status)
			assert.Equal(t, c.field, field)
		})
	}
	t.Run("and nothing was written", func(t *testing.T) {
		p := list[issue.Issue](t, ann, "/v1/issues")
		require.Len(t, p.Items, 1)
		assert.Equal(t, int64(1), p.Items[0].Version)
		assert.Empty(t, list[issue.Comment](t, ann, "/v1/issues/"+ok.ID+"/comments").Items)
		assert.Empty(t, list[issue.Label](t, ann, "/v1/labels").Items)
		assert.Equal(t, "ACME-2", w.create(t, w.ann, map[string]any{"title": "next"}).Key, "no number was spent")
	})
}

func TestWorkflow(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ann := w.api.As(w.ann)
	i := w.create(t, w.ann, map[string]any{"title": "flow"})
	move := func(to string, v int64) issue.Issue {
		t.Helper()
		res := ann.Do("POST", "/v1/issues/"+i.ID+"/transitions", map[string]any{"to": to}, "If-Match", ifMatch(v))
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		var got issue.Issue
		res.JSON(t, &got)
		return got
	}
	t.Run("open to in progress starts the issue", func(t *testing.T) {
		got := move("in_progress", 1)
		assert.Equal(t, issue.Started, got.Category)
		require.NotNil(t, got.StartedAt)
		assert.Nil(t, got.ClosedAt)
	})
	t.Run("in review then closed completes it", func(t *testing.T) {
		move("in_review", 2)
		got := move("closed", 3)
		assert.Equal(t, issue.Completed, got.Category)
		require.NotNil(t, got.ClosedAt)
		require.NotNil(t, got.ResolvedAt)
	})
	t.Run("closed to in review is forbidden by the graph", func(t *testing.T) {
		code, field := problem(t, ann.Do("POST", "/v1/issues/"+i.ID+"/transitions", `{"to":"in_review"}`), http.StatusUnprocessableEntity)
		assert.Equal(t, "transition_forbidden", code)
		assert.Equal(t, "to", field)
	})
	t.Run("a stale If-Match on a transition is a 412", func(t *testing.T) {
		problem(t, ann.Do("POST", "/v1/issues/"+i.ID+"/transitions", `{"to":"open"}`, "If-Match", `"2"`), http.StatusPreconditionFailed)
	})
	t.Run("reopen clears the close but keeps the start", func(t *testing.T) {
		got := move("open", 4)
		assert.Equal(t, issue.Unstarted, got.Category)
		assert.Nil(t, got.ClosedAt)
		assert.NotNil(t, got.StartedAt)
	})
	t.Run("the status history is every move, in order", func(t *testing.T) {
		p := list[issue.StatusChange](t, ann, "/v1/issues/"+i.ID+"/history")
		var got []string
		for _, h := range p.Items {
			got = append(got, string(h.From)+">"+string(h.To)+":"+string(h.Category))
		}
		assert.Equal(t, []string{">open:unstarted", "open>in_progress:started", "in_progress>in_review:started",
			"in_review>closed:completed", "closed>open:unstarted"}, got)
	})
	t.Run("the history pages with a cursor", func(t *testing.T) {
		p := list[issue.StatusChange](t, ann, "/v1/issues/"+i.ID+"/history?limit=3")
		require.Len(t, p.Items, 3)
		require.NotEmpty(t, p.NextCursor)
		p2 := list[issue.StatusChange](t, ann, "/v1/issues/"+i.ID+"/history?limit=3&cursor="+p.NextCursor)
		assert.Len(t, p2.Items, 2)
	})
	t.Run("the workflow graph is published", func(t *testing.T) {
		var wf issue.Workflow
		ann.Do("GET", "/v1/workflow", nil).JSON(t, &wf)
		assert.Len(t, wf.Statuses, 4)
	})
}

func TestConcurrency(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ann := w.api.As(w.ann)
	t.Run("20 parallel creates get 20 distinct keys", func(t *testing.T) {
		keys := make([]string, 20)
		var wg sync.WaitGroup
		for n := range keys {
			wg.Go(func() {
				res := ann.Do("POST", "/v1/issues", map[string]any{"title": "parallel"})
				if res.Status == http.StatusCreated {
					keys[n] = res.Map(t)["key"].(string)
				}
			})
		}
		wg.Wait()
		seen := map[string]bool{}
		for _, k := range keys {
			require.NotEmpty(t, k)
			seen[k] = true
		}
		assert.Len(t, seen, 20)
	})
	t.Run("parallel updates with If-Match lose nothing", func(t *testing.T) {
		i := w.create(t, w.ann, map[string]any{"title": "shared"})
		const writers = 8
		var wg sync.WaitGroup
		conflicts := make([]int, writers)
		for n := range writers {
			wg.Go(func() {
				for {
					var cur issue.Issue
					ann.Do("GET", "/v1/issues/"+i.ID, nil).JSON(t, &cur)
					res := ann.Do("PATCH", "/v1/issues/"+i.ID, map[string]any{"description": cur.Description + "line" + string(rune('A'+n)) + "\n"},
						"If-Match", ifMatch(cur.Version))
					if res.Status == http.StatusOK {
						return
					}
					if res.Status != http.StatusPreconditionFailed {
						t.Errorf("patch: %d %s", res.Status, res.Body)
						return
					}
					conflicts[n]++
				}
			})
		}
		wg.Wait()
		var got issue.Issue
		ann.Do("GET", "/v1/issues/"+i.ID, nil).JSON(t, &got)
		for n := range writers {
			assert.Contains(t, got.Description, "line"+string(rune('A'+n)))
		}
		assert.Equal(t, int64(1+writers), got.Version)
	})
}
