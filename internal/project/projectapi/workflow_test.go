package projectapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// st is one status of a workflow body.
func st(id, name, cat string, next ...string) map[string]any {
	if next == nil {
		next = []string{}
	}
	return map[string]any{"status": id, "name": name, "category": cat, "next": next}
}

// shipFlow: Todo -> Doing -> Shipped, with Dropped (canceled) from anywhere.
func shipFlow(extra ...map[string]any) map[string]any {
	ss := []any{
		st("todo", "Todo", "unstarted", "doing", "dropped"),
		st("doing", "Doing", "started", "todo", "shipped", "dropped"),
		st("shipped", "Shipped", "completed", "todo"),
		st("dropped", "Dropped", "canceled", "todo"),
	}
	for _, e := range extra {
		ss = append(ss, e)
	}
	return map[string]any{"statuses": ss}
}

func (w *world) workflow(t *testing.T, p tenancy.Principal, ref string) issue.Workflow {
	t.Helper()
	return decode[issue.Workflow](t, w.api.As(p).Do("GET", "/v1/projects/"+ref+"/workflow", nil), http.StatusOK)
}

func (w *world) move(t *testing.T, p tenancy.Principal, ref, to string, status int) issue.Issue {
	t.Helper()
	return decode[issue.Issue](t, w.api.As(p).Do("POST", "/v1/issues/"+ref+"/transitions", map[string]any{"to": to}), status)
}

func TestAProjectWithoutAWorkflowHasTheDefault(t *testing.T) {
	w := newWorld(t)
	web := w.project(t, w.ada, "WEB", "Website")
	got := w.workflow(t, w.ann, "WEB")
	assert.Equal(t, web.ID, got.ProjectID)
	assert.EqualValues(t, 0, got.Version)
	var ids []issue.Status
	for _, s := range got.Statuses {
		ids = append(ids, s.Status)
	}
	assert.Equal(t, issue.Statuses, ids)
	assert.Equal(t, issue.DefaultWorkflow().Statuses, got.Statuses)
	i := w.issue(t, w.ann, map[string]any{"title": "x", "project_id": "WEB"})
	assert.Equal(t, issue.Open, i.Status)
}

func TestAdminsEditAWorkflowAndIssuesFollowIt(t *testing.T) {
	w := newWorld(t)
	w.project(t, w.ada, "SHIP", "Shipping")
	code, _ := problem(t, w.api.As(w.ann).Do("PUT", "/v1/projects/SHIP/workflow", shipFlow()), http.StatusForbidden)
	assert.NotEmpty(t, code)

	res := w.api.As(w.ada).Do("PUT", "/v1/projects/SHIP/workflow", shipFlow())
	wf := decode[issue.Workflow](t, res, http.StatusOK)
	assert.EqualValues(t, 1, wf.Version)
	assert.Equal(t, `"1"`, res.Header.Get("ETag"))
	require.Len(t, wf.Statuses, 4)
	assert.Equal(t, 3, wf.Statuses[3].Order)
	assert.Equal(t, "#95a2b3", wf.Statuses[3].Color, "a colour from the category when none is sent")
	assert.Equal(t, wf, w.workflow(t, w.ann, "SHIP"), "members read it")

	i := w.issue(t, w.ann, map[string]any{"title": "Ship it", "project_id": "SHIP"})
	assert.Equal(t, issue.Status("todo"), i.Status, "a new issue starts in the first unstarted status")
	assert.Equal(t, issue.Unstarted, i.Category)

	ann := w.api.As(w.ann)
	code, field := problem(t, ann.Do("POST", "/v1/issues/"+i.Key+"/transitions", map[string]any{"to": "in_progress"}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"unknown_status", "to"}, []string{code, field}, "the default's statuses are not this project's")
	code, field = problem(t, ann.Do("POST", "/v1/issues/"+i.Key+"/transitions", map[string]any{"to": "shipped"}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"transition_forbidden", "to"}, []string{code, field})

	i = w.move(t, w.ann, i.Key, "doing", http.StatusOK)
	assert.Equal(t, issue.Started, i.Category)
	assert.NotNil(t, i.StartedAt)
	i = w.move(t, w.ann, i.Key, "shipped", http.StatusOK)
	assert.Equal(t, issue.Completed, i.Category)
	assert.NotNil(t, i.ResolvedAt)
	i = w.move(t, w.ann, i.Key, "todo", http.StatusOK)
	i = w.move(t, w.ann, i.Key, "dropped", http.StatusOK)
	assert.Equal(t, issue.Canceled, i.Category)
	assert.NotNil(t, i.ClosedAt)
	assert.Nil(t, i.ResolvedAt, "a canceled issue is closed, not resolved")

	hist := decode[list.Page[issue.StatusChange]](t, ann.Do("GET", "/v1/issues/"+i.Key+"/history", nil), http.StatusOK)
	last := hist.Items[len(hist.Items)-1]
	assert.Equal(t, issue.StatusChange{From: "todo", FromCategory: issue.Unstarted, To: "dropped", Category: issue.Canceled},
		issue.StatusChange{From: last.From, FromCategory: last.FromCategory, To: last.To, Category: last.Category})

	// category filters read custom statuses too
	got := decode[list.Page[issue.Issue]](t, ann.Do("GET", "/v1/issues?category=canceled", nil), http.StatusOK)
	require.Len(t, got.Items, 1)
	assert.Equal(t, i.ID, got.Items[0].ID)
	got = decode[list.Page[issue.Issue]](t, ann.Do("GET", "/v1/issues?status=dropped", nil), http.StatusOK)
	require.Len(t, got.Items, 1)

	// the default project still has the default workflow
	d := w.issue(t, w.ann, map[string]any{"title": "elsewhere"})
	w.move(t, w.ann, d.Key, "in_progress", http.StatusOK)

	// a stale If-Match is a 412
	res = w.api.As(w.ada).Do("PUT", "/v1/projects/SHIP/workflow", shipFlow(), "If-Match", `"7"`)
	code, _ = problem(t, res, http.StatusPreconditionFailed)
	assert.Equal(t, "version_mismatch", code)
}

func TestWorkflowBadInput(t *testing.T) {
	w := newWorld(t)
	w.project(t, w.ada, "SHIP", "Shipping")
	ada := w.api.As(w.ada)
	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no statuses", map[string]any{"statuses": []any{}}, "statuses"},
		{"names equal after NFC and case folding", shipFlow(st("strasse", "STRASSE", "started"), st("strasse2", "Straße", "started")), "statuses[5].name"},
		{"a name equal to another's in another case", shipFlow(st("todo2", "TODO", "unstarted")), "statuses[4].name"},
		{"an id used twice", shipFlow(st("todo", "Again", "unstarted")), "statuses[4].status"},
		{"a malformed id", shipFlow(st("Bad Id", "Bad", "started")), "statuses[4].status"},
		{"an unknown category", shipFlow(st("later", "Later", "someday")), "statuses[4].category"},
		{"a bad colour", shipFlow(map[string]any{"status": "blue", "name": "Blue", "category": "started", "color": "blue", "next": []string{}}), "statuses[4].color"},
		{"a transition to an unknown status", shipFlow(st("qa", "QA", "started", "nowhere")), "statuses[4].next[0]"},
		{"no completed status", map[string]any{"statuses": []any{st("a", "A", "unstarted", "b"), st("b", "B", "started")}}, "statuses"},
		{"a control character in a name", shipFlow(st("qa", "Q\u0007A", "started")), "statuses[4].name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, field := problem(t, ada.Do("PUT", "/v1/projects/SHIP/workflow", c.body), http.StatusBadRequest)
			assert.Equal(t, c.field, field)
		})
	}
	assert.EqualValues(t, 0, w.workflow(t, w.ada, "SHIP").Version, "nothing was stored")
	_, field := problem(t, ada.Do("PUT", "/v1/projects/SHIP/workflow", map[string]any{"statuses": []any{}, "extra": 1}), http.StatusBadRequest)
	assert.Equal(t, "extra", field)
}

func TestAnotherTenantsWorkflowIsNotFound(t *testing.T) {
	w := newWorld(t)
	web := w.project(t, w.ada, "WEB", "Website")
	require.Equal(t, http.StatusOK, w.api.As(w.ada).Do("PUT", "/v1/projects/WEB/workflow", shipFlow()).Status)
	gus := w.api.As(w.gus)
	missing := w.api.As(w.gus).Do("GET", "/v1/projects/NOPE/workflow", nil)
	for _, ref := range []string{web.ID, "WEB"} {
		for _, res := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/v1/projects/" + ref + "/workflow", nil},
			{"PUT", "/v1/projects/" + ref + "/workflow", shipFlow()},
			{"POST", "/v1/projects/" + ref + "/workflow/deletions", map[string]any{"status": "dropped"}},
			{"GET", "/v1/projects/" + ref + "/workflow/deletions/dropped", nil},
		} {
			got := gus.Do(res.method, res.path, res.body)
			require.Equal(t, http.StatusNotFound, got.Status, res.method+" "+res.path)
			assert.JSONEq(t, withoutRequest(t, missing), withoutRequest(t, got), "answers like a missing project")
		}
	}
	// and moving one's issue into another tenant's project is refused like a missing project
	g := w.issue(t, w.gus, map[string]any{"title": "globex's"})
	_, field := problem(t, gus.Do("POST", "/v1/issues/"+g.ID+"/move", map[string]any{"project_id": web.ID}), http.StatusBadRequest)
	assert.Equal(t, "project_id", field)
	assert.Len(t, w.workflow(t, w.ada, "WEB").Statuses, 4, "untouched")
}

// withoutRequest is a problem body without what names the request.
func withoutRequest(t *testing.T, res interface {
	Map(testing.TB) map[string]any
}) string {
	t.Helper()
	m := res.Map(t)
	delete(m, "request_id")
	delete(m, "instance")
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return string(b)
}

func TestDeletingAStatusInUse(t *testing.T) {
	w := newWorld(t)
	w.project(t, w.ada, "SHIP", "Shipping")
	ada := w.api.As(w.ada)
	require.Equal(t, http.StatusOK, ada.Do("PUT", "/v1/projects/SHIP/workflow", shipFlow(st("qa", "QA", "started", "shipped"))).Status)
	var inQA []issue.Issue
	for range 3 {
		i := w.issue(t, w.ann, map[string]any{"title": "in qa", "project_id": "SHIP"})
		w.move(t, w.ann, i.Key, "doing", http.StatusOK)
		// doing -> qa is not a transition: add it, then move
		inQA = append(inQA, i)
	}
	flow := shipFlow(st("qa", "QA", "started", "shipped"))
	flow["statuses"].([]any)[1].(map[string]any)["next"] = []string{"todo", "shipped", "dropped", "qa"}
	require.Equal(t, http.StatusOK, ada.Do("PUT", "/v1/projects/SHIP/workflow", flow).Status)
	for _, i := range inQA {
		w.move(t, w.ann, i.Key, "qa", http.StatusOK)
	}
	other := w.issue(t, w.ann, map[string]any{"title": "stays", "project_id": "SHIP"})

	code, field := problem(t, ada.Do("POST", "/v1/projects/SHIP/workflow/deletions", map[string]any{"status": "qa"}), http.StatusConflict)
	assert.Equal(t, []string{"status_in_use", "move_to"}, []string{code, field})
	code, field = problem(t, ada.Do("PUT", "/v1/projects/SHIP/workflow", shipFlow()), http.StatusConflict)
	assert.Equal(t, []string{"status_in_use", "statuses"}, []string{code, field}, "dropping it by PUT is refused too")
	recat := shipFlow(st("qa", "QA", "completed"))
	code, field = problem(t, ada.Do("PUT", "/v1/projects/SHIP/workflow", recat), http.StatusConflict)
	assert.Equal(t, []string{"status_in_use", "statuses[4].category"}, []string{code, field})
	code, field = problem(t, ada.Do("POST", "/v1/projects/SHIP/workflow/deletions", map[string]any{"status": "qa", "move_to": "nowhere"}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"unknown_status", "move_to"}, []string{code, field})
	code, _ = problem(t, w.api.As(w.ann).Do("POST", "/v1/projects/SHIP/workflow/deletions", map[string]any{"status": "qa", "move_to": "doing"}), http.StatusForbidden)
	assert.NotEmpty(t, code)
	code, _ = problem(t, ada.Do("POST", "/v1/projects/SHIP/workflow/deletions", map[string]any{"status": "todo", "move_to": "doing"}), http.StatusUnprocessableEntity)
	assert.Equal(t, "workflow_incomplete", code, "the last unstarted status cannot go")
	for _, i := range inQA {
		assert.Equal(t, issue.Status("qa"), decode[issue.Issue](t, ada.Do("GET", "/v1/issues/"+i.ID, nil), http.StatusOK).Status, "nothing moved")
	}

	job := decode[project.Deletion](t, ada.Do("POST", "/v1/projects/SHIP/workflow/deletions", map[string]any{"status": "qa", "move_to": "doing"}), http.StatusOK)
	assert.Equal(t, project.DeletionDone, job.State)
	assert.Equal(t, 3, job.Moved)
	for _, i := range inQA {
		got := decode[issue.Issue](t, ada.Do("GET", "/v1/issues/"+i.ID, nil), http.StatusOK)
		assert.Equal(t, issue.Status("doing"), got.Status)
		assert.Equal(t, i.Version+3, got.Version, "one write: doing, qa, then the mapping")
		hist := decode[list.Page[issue.StatusChange]](t, ada.Do("GET", "/v1/issues/"+i.ID+"/history", nil), http.StatusOK)
		assert.Equal(t, issue.Status("qa"), hist.Items[len(hist.Items)-1].From)
	}
	assert.Equal(t, issue.Status("todo"), decode[issue.Issue](t, ada.Do("GET", "/v1/issues/"+other.ID, nil), http.StatusOK).Status)
	wf := w.workflow(t, w.ann, "SHIP")
	assert.False(t, wf.Has("qa"), "the status is gone")
	for _, s := range wf.Statuses {
		assert.NotContains(t, s.Next, issue.Status("qa"), "and the transitions into it")
	}

	again := decode[project.Deletion](t, ada.Do("POST", "/v1/projects/SHIP/workflow/deletions", map[string]any{"status": "qa", "move_to": "doing"}), http.StatusOK)
	assert.Equal(t, job.Moved, again.Moved, "a retry of a finished deletion changes nothing")
	assert.Equal(t, job.State, decode[project.Deletion](t, ada.Do("GET", "/v1/projects/SHIP/workflow/deletions/qa", nil), http.StatusOK).State)
	code, _ = problem(t, ada.Do("GET", "/v1/projects/SHIP/workflow/deletions/doing", nil), http.StatusNotFound)
	assert.Equal(t, "status_deletion_not_found", code)

	// an unused status goes without a mapping
	job = decode[project.Deletion](t, ada.Do("POST", "/v1/projects/SHIP/workflow/deletions", map[string]any{"status": "dropped"}), http.StatusOK)
	assert.Equal(t, project.DeletionDone, job.State)
	assert.False(t, w.workflow(t, w.ann, "SHIP").Has("dropped"))
}

func TestMovingAnIssueBetweenProjects(t *testing.T) {
	w := newWorld(t)
	w.project(t, w.ada, "WEB", "Website")
	ship := w.project(t, w.ada, "SHIP", "Shipping")
	require.Equal(t, http.StatusOK, w.api.As(w.ada).Do("PUT", "/v1/projects/SHIP/workflow", shipFlow()).Status)
	ann := w.api.As(w.ann)
	w.issue(t, w.ann, map[string]any{"title": "first in ship", "project_id": "SHIP"})
	i := w.issue(t, w.ann, map[string]any{"title": "Logo", "project_id": "WEB"})
	i = w.move(t, w.ann, i.Key, "in_progress", http.StatusOK)
	require.Equal(t, "WEB-1", i.Key)

	moved := decode[issue.Issue](t, ann.Do("POST", "/v1/issues/WEB-1/move", map[string]any{"project_id": "SHIP"}), http.StatusOK)
	assert.Equal(t, "SHIP-2", moved.Key)
	assert.Equal(t, ship.ID, moved.ProjectID)
	assert.Equal(t, issue.Status("doing"), moved.Status, "in_progress maps to the target's first started status")
	assert.Equal(t, i.Version+1, moved.Version)
	for _, key := range []string{"WEB-1", "SHIP-2", i.ID} {
		got := decode[issue.Issue](t, ann.Do("GET", "/v1/issues/"+key, nil), http.StatusOK)
		assert.Equal(t, moved.ID, got.ID, key+" finds it")
	}
	inShip := decode[list.Page[issue.Issue]](t, ann.Do("GET", "/v1/issues?project=SHIP", nil), http.StatusOK)
	assert.Len(t, inShip.Items, 2)
	assert.Empty(t, decode[list.Page[issue.Issue]](t, ann.Do("GET", "/v1/issues?project=WEB", nil), http.StatusOK).Items)
	acts := decode[list.Page[issue.Activity]](t, ann.Do("GET", "/v1/issues/"+i.ID+"/activity", nil), http.StatusOK)
	assert.Equal(t, "moved", acts.Items[len(acts.Items)-1].Action)
	w.move(t, w.ann, moved.Key, "shipped", http.StatusOK) // the target's transitions apply now

	again := decode[issue.Issue](t, ann.Do("POST", "/v1/issues/"+i.ID+"/move", map[string]any{"project_id": ship.ID}), http.StatusOK)
	assert.Equal(t, moved.Version+1, again.Version, "a retried move changes nothing (the version is the transition's)")

	// back to WEB: shipped (completed) maps to closed; an explicit status is checked
	code, field := problem(t, ann.Do("POST", "/v1/issues/SHIP-2/move", map[string]any{"project_id": "WEB", "status": "shipped"}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"unknown_status", "status"}, []string{code, field})
	back := decode[issue.Issue](t, ann.Do("POST", "/v1/issues/SHIP-2/move", map[string]any{"project_id": "WEB"}), http.StatusOK)
	assert.Equal(t, "WEB-2", back.Key)
	assert.Equal(t, issue.Closed, back.Status)

	// a target without the issue's category is a 422 naming status, nothing changes
	res := w.api.As(w.ada).Do("PUT", "/v1/projects/SHIP/workflow",
		map[string]any{"statuses": []any{st("todo", "Todo", "unstarted", "doing"), st("doing", "Doing", "started", "shipped"), st("shipped", "Shipped", "completed")}})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	code, field = problem(t, w.api.As(w.ada).Do("PUT", "/v1/projects/WEB/workflow", shipFlow()), http.StatusConflict)
	assert.Equal(t, []string{"status_in_use", "statuses"}, []string{code, field}, "WEB-2 is closed")
	w.project(t, w.ada, "DROP", "Drops")
	require.Equal(t, http.StatusOK, w.api.As(w.ada).Do("PUT", "/v1/projects/DROP/workflow", shipFlow()).Status)
	x := w.issue(t, w.ann, map[string]any{"title": "to drop", "project_id": "DROP"})
	x = w.move(t, w.ann, x.Key, "dropped", http.StatusOK)
	code, field = problem(t, ann.Do("POST", "/v1/issues/"+x.Key+"/move", map[string]any{"project_id": "SHIP"}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"status_unmappable", "status"}, []string{code, field})
	assert.Equal(t, x.Key, decode[issue.Issue](t, ann.Do("GET", "/v1/issues/"+x.ID, nil), http.StatusOK).Key, "not moved")

	for _, c := range []struct {
		name, body, field string
		status            int
	}{
		{"no project", `{}`, "project_id", 400},
		{"a missing project", `{"project_id":"NOPE"}`, "project_id", 400},
		{"a malformed status", `{"project_id":"SHIP","status":"Bad!"}`, "status", 400},
	} {
		_, field := problem(t, ann.Do("POST", "/v1/issues/"+x.ID+"/move", c.body), c.status)
		assert.Equal(t, c.field, field, c.name)
	}
}

func TestBulkAndImportsFollowTheProjectWorkflow(t *testing.T) {
	w := newWorld(t)
	w.project(t, w.ada, "SHIP", "Shipping")
	require.Equal(t, http.StatusOK, w.api.As(w.ada).Do("PUT", "/v1/projects/SHIP/workflow", shipFlow()).Status)
	a := w.issue(t, w.ann, map[string]any{"title": "a", "project_id": "SHIP"})
	b := w.issue(t, w.ann, map[string]any{"title": "b"})
	ann := w.api.As(w.ann)
	res := decode[map[string]any](t, ann.Do("POST", "/v1/issues/bulk", map[string]any{"issues": []string{a.ID, b.ID}, "changes": map[string]any{"status": "dropped"}}), http.StatusOK)
	results := res["results"].([]any)
	assert.EqualValues(t, 200, results[0].(map[string]any)["status"])
	assert.EqualValues(t, 422, results[1].(map[string]any)["status"], "the default project has no dropped")
	assert.Equal(t, "changes.status", results[1].(map[string]any)["errors"].([]any)[0].(map[string]any)["field"])
	assert.Equal(t, issue.Open, decode[issue.Issue](t, ann.Do("GET", "/v1/issues/"+b.ID, nil), http.StatusOK).Status)
	_, field := problem(t, ann.Do("POST", "/v1/issues/bulk", map[string]any{"issues": []string{a.ID}, "changes": map[string]any{"status": "nowhere"}}), http.StatusUnprocessableEntity)
	assert.Equal(t, "changes.status", field, "a status of no workflow is refused before anything")
}

// A deletion cut short (its budget spent, or the caller gone) leaves a
// running job and a retiring status; calling again resumes it.
func TestAStatusDeletionResumes(t *testing.T) {
	w := newWorld(t)
	w.project(t, w.ada, "SHIP", "Shipping")
	ada, ann := w.api.As(w.ada), w.api.As(w.ann)
	require.Equal(t, http.StatusOK, ada.Do("PUT", "/v1/projects/SHIP/workflow", shipFlow(st("review", "Review", "started", "shipped"))).Status)
	var ids []string
	for range 2 {
		i := w.issue(t, w.ann, map[string]any{"title": "doing", "project_id": "SHIP"})
		w.move(t, w.ann, i.Key, "doing", http.StatusOK)
		ids = append(ids, i.ID)
	}
	other := w.issue(t, w.ann, map[string]any{"title": "todo", "project_id": "SHIP"})

	budget := project.DeletionBudget
	project.DeletionBudget = 0
	job := decode[project.Deletion](t, ada.Do("POST", "/v1/projects/SHIP/workflow/deletions", map[string]any{"status": "doing", "move_to": "todo"}), http.StatusOK)
	project.DeletionBudget = budget
	assert.Equal(t, project.DeletionRunning, job.State)
	assert.Zero(t, job.Moved)
	doing, ok := w.workflow(t, w.ann, "SHIP").Status("doing")
	require.True(t, ok)
	assert.True(t, doing.Retiring)

	code, field := problem(t, ann.Do("POST", "/v1/issues/"+other.ID+"/transitions", map[string]any{"to": "doing"}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"status_retiring", "to"}, []string{code, field}, "no issue enters a status being deleted")
	code, field = problem(t, ada.Do("POST", "/v1/projects/SHIP/workflow/deletions", map[string]any{"status": "doing", "move_to": "shipped"}), http.StatusConflict)
	assert.Equal(t, []string{"status_deletion_running", "move_to"}, []string{code, field})
	code, _ = problem(t, ada.Do("PUT", "/v1/projects/SHIP/workflow", map[string]any{"statuses": []any{
		st("todo", "Todo", "unstarted", "review"), st("review", "Review", "started", "shipped"),
		st("shipped", "Shipped", "completed", "todo"), st("dropped", "Dropped", "canceled", "todo")}}), http.StatusConflict)
	assert.Equal(t, "status_deletion_running", code, "a PUT cannot drop it meanwhile")
	got := decode[project.Deletion](t, ada.Do("GET", "/v1/projects/SHIP/workflow/deletions/doing", nil), http.StatusOK)
	assert.Equal(t, project.DeletionRunning, got.State)

	job = decode[project.Deletion](t, ada.Do("POST", "/v1/projects/SHIP/workflow/deletions", map[string]any{"status": "doing", "move_to": "todo"}), http.StatusOK)
	assert.Equal(t, project.DeletionDone, job.State)
	assert.Equal(t, 2, job.Moved)
	for _, id := range ids {
		i := decode[issue.Issue](t, ann.Do("GET", "/v1/issues/"+id, nil), http.StatusOK)
		assert.Equal(t, issue.Status("todo"), i.Status)
		assert.Equal(t, issue.Unstarted, i.Category)
	}
	assert.False(t, w.workflow(t, w.ann, "SHIP").Has("doing"))
}
