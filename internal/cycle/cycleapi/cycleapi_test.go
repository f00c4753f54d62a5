package cycleapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/cycle"
	"github.com/issuetracker/issuetracker/internal/cycle/cycledb"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// world: acme (ann: user, ada: admin) and globex (gus: admin) on fresh
// tables, with a clock the test moves.
type world struct {
	api      *apitest.API
	db       *dynamodb.Client
	ann, ada tenancy.Principal
	gus      tenancy.Principal
	mu       sync.Mutex
	now      time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, names := testenv.Tables(t)
	p := func(tenant, id string, r roles.Role) tenancy.Principal {
		require.NoError(t, peopledb.UserDB{DB: db}.Put(context.Background(), tenancy.Scope{Table: names.App(), TenantID: tenant},
			people.User{ID: id, TenantID: tenant, Username: id, Email: id + "@" + tenant + ".test", Role: r, Status: people.UserActive}))
		return tenancy.Principal{TenantID: tenant, UserID: id, Username: id, Role: r, Tier: tiers.Standard, Table: names.App()}
	}
	w := &world{now: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	w.api, w.db = apitest.New(t, app.Deps{DB: db, Names: names, Now: w.clock}), db
	w.ann, w.ada, w.gus = p("acme", "ann", roles.User), p("acme", "ada", roles.Admin), p("globex", "gus", roles.Admin)
	return w
}

func (w *world) clock() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }
func (w *world) at(day string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now, _ = time.Parse(time.DateTime, day+" 09:00:00")
}

func problem(t *testing.T, res *apitest.Response, status int) (code, field string) {
	t.Helper()
	require.Equal(t, status, res.Status, string(res.Body))
	require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
	m := res.Map(t)
	if errs, ok := m["errors"].([]any); ok && len(errs) > 0 {
		field, _ = errs[0].(map[string]any)["field"].(string)
	}
	code, _ = m["code"].(string)
	return code, field
}

func decode[T any](t *testing.T, res *apitest.Response, status int) T {
	t.Helper()
	require.Equal(t, status, res.Status, string(res.Body))
	var v T
	res.JSON(t, &v)
	return v
}

func (w *world) cycle(t *testing.T, body map[string]any) cycle.Cycle {
	t.Helper()
	return decode[cycle.Cycle](t, w.api.As(w.ada).Do("POST", "/v1/cycles", body), http.StatusCreated)
}

func (w *world) issue(t *testing.T, p tenancy.Principal, body map[string]any) issue.Issue {
	t.Helper()
	return decode[issue.Issue](t, w.api.As(p).Do("POST", "/v1/issues", body), http.StatusCreated)
}

func (w *world) patch(t *testing.T, id string, body map[string]any) *apitest.Response {
	t.Helper()
	return w.api.As(w.ann).Do("PATCH", "/v1/issues/"+id, body)
}

func sprint(name, from, to string) map[string]any {
	return map[string]any{"name": name, "project_id": "default", "starts_on": from, "ends_on": to}
}

func TestEstimatesFollowTheProjectScale(t *testing.T) {
	w := newWorld(t)
	// The default project is on the fibonacci scale.
	i := w.issue(t, w.ann, map[string]any{"title": "Estimate me", "estimate": 5})
	require.NotNil(t, i.Estimate)
	assert.Equal(t, 5, *i.Estimate)
	code, field := problem(t, w.patch(t, i.ID, map[string]any{"estimate": 4}), http.StatusUnprocessableEntity)
	assert.Equal(t, "invalid_estimate", code)
	assert.Equal(t, "estimate", field)
	code, field = problem(t, w.api.As(w.ann).Do("POST", "/v1/issues", map[string]any{"title": "x", "estimate": -1}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"invalid_estimate", "estimate"}, []string{code, field})
	// Not a whole number at all: the same answer as one off the scale
	// (a 400 validation_failed until input14).
	for _, bad := range []any{"big", 2.5, true} {
		code, field = problem(t, w.patch(t, i.ID, map[string]any{"estimate": bad}), http.StatusUnprocessableEntity)
		assert.Equal(t, []string{"invalid_estimate", "estimate"}, []string{code, field}, "%v", bad)
	}

	// A t-shirt project allows its sizes' points only.
	pr := decode[project.Project](t, w.api.As(w.ada).Do("POST", "/v1/projects", map[string]any{"key": "WEB", "name": "Web", "estimate_scale": "tshirt"}), http.StatusCreated)
	assert.Equal(t, issue.ScaleTShirt, pr.EstimateScale)
	assert.Equal(t, issue.ScaleValue{Label: "M", Points: 3}, pr.EstimateValues[2])
	web := w.issue(t, w.ann, map[string]any{"title": "Sized", "project_id": "WEB", "estimate": 8})
	assert.Equal(t, 8, *web.Estimate)
	code, field = problem(t, w.patch(t, web.ID, map[string]any{"estimate": 13}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"invalid_estimate", "estimate"}, []string{code, field})
	// null clears the estimate; the activity records it.
	cleared := decode[issue.Issue](t, w.patch(t, web.ID, map[string]any{"estimate": nil}), http.StatusOK)
	assert.Nil(t, cleared.Estimate)
	acts := decode[list.Page[issue.Activity]](t, w.api.As(w.ann).Do("GET", "/v1/issues/"+web.ID+"/activity", nil), http.StatusOK)
	assert.Contains(t, fmt.Sprint(acts.Items), "estimate")

	// A project with estimates off refuses any; an unknown scale is a 400.
	code, field = problem(t, w.api.As(w.ada).Do("PATCH", "/v1/projects/WEB", map[string]any{"estimate_scale": "metric"}), http.StatusBadRequest)
	assert.Equal(t, "estimate_scale", field, code)
	decode[project.Project](t, w.api.As(w.ada).Do("PATCH", "/v1/projects/WEB", map[string]any{"estimate_scale": "none"}), http.StatusOK)
	code, _ = problem(t, w.patch(t, web.ID, map[string]any{"estimate": 1}), http.StatusUnprocessableEntity)
	assert.Equal(t, "invalid_estimate", code)
	got := decode[issue.Issue](t, w.api.As(w.ann).Do("GET", "/v1/issues/"+web.ID, nil), http.StatusOK)
	assert.Nil(t, got.Estimate, "a refused write changes nothing")
}

func TestCyclesOfOneOwnerNeverOverlap(t *testing.T) {
	w := newWorld(t)
	first := w.cycle(t, sprint("Sprint 1", "2026-01-05", "2026-01-18"))
	assert.Equal(t, cycle.Upcoming, first.State)
	for _, c := range []struct{ from, to string }{
		{"2026-01-18", "2026-01-31"}, // shares the last day
		{"2025-12-20", "2026-01-05"}, // shares the first day
		{"2026-01-08", "2026-01-09"}, // inside
		{"2025-12-01", "2026-03-01"}, // around
	} {
		code, field := problem(t, w.api.As(w.ada).Do("POST", "/v1/cycles", sprint("x", c.from, c.to)), http.StatusConflict)
		assert.Equal(t, []string{"cycle_overlap", "starts_on"}, []string{code, field}, c)
	}
	w.cycle(t, sprint("Sprint 2", "2026-01-19", "2026-02-01"))
	// Another owner (a team, another project) may use the same days.
	web := decode[project.Project](t, w.api.As(w.ada).Do("POST", "/v1/projects", map[string]any{"key": "WEB", "name": "Web"}), http.StatusCreated)
	w.cycle(t, map[string]any{"name": "Web 1", "project_id": "WEB", "starts_on": "2026-01-05", "ends_on": "2026-01-18"})
	// Moving a cycle onto another is refused too; moving it within its own days is not.
	code, _ := problem(t, w.api.As(w.ada).Do("PATCH", "/v1/cycles/"+first.ID, map[string]any{"ends_on": "2026-01-20"}), http.StatusConflict)
	assert.Equal(t, "cycle_overlap", code)
	moved := decode[cycle.Cycle](t, w.api.As(w.ada).Do("PATCH", "/v1/cycles/"+first.ID, map[string]any{"starts_on": "2026-01-06", "name": "Sprint one"}), http.StatusOK)
	assert.Equal(t, int64(2), moved.Version)

	// Concurrent creates of overlapping cycles: exactly one lands.
	var wg sync.WaitGroup
	statuses := make([]int, 6)
	for n := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[n] = w.api.As(w.ada).Do("POST", "/v1/cycles", map[string]any{"name": "race", "project_id": web.ID,
				"starts_on": "2026-03-01", "ends_on": fmt.Sprintf("2026-03-%02d", 10+n)}).Status
		}()
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		if s == http.StatusCreated {
			created++
		} else {
			assert.Contains(t, []int{http.StatusConflict}, s)
		}
	}
	assert.Equal(t, 1, created, statuses)

	pg := decode[list.Page[cycle.Cycle]](t, w.api.As(w.ann).Do("GET", "/v1/cycles?project=default&limit=1", nil), http.StatusOK)
	require.Len(t, pg.Items, 1)
	assert.Equal(t, "Sprint 2", pg.Items[0].Name, "latest start first")
	pg = decode[list.Page[cycle.Cycle]](t, w.api.As(w.ann).Do("GET", "/v1/cycles?project=default&limit=1&cursor="+pg.NextCursor, nil), http.StatusOK)
	require.Len(t, pg.Items, 1)
	assert.Equal(t, "Sprint one", pg.Items[0].Name)
}

func TestCycleBadInput(t *testing.T) {
	w := newWorld(t)
	team := decode[map[string]any](t, w.api.As(w.ada).Do("POST", "/v1/teams", map[string]any{"name": "Platform"}), http.StatusCreated)
	w.cycle(t, map[string]any{"name": "Team 1", "team_id": team["id"], "starts_on": "2026-01-05", "ends_on": "2026-01-18"})
	for _, c := range []struct {
		body   map[string]any
		status int
		field  string
	}{
		{map[string]any{"project_id": "default", "starts_on": "2026-01-05", "ends_on": "2026-01-18"}, 400, "name"},
		{sprint("", "2026-01-05", "2026-01-18"), 400, "name"},
		{sprint("x", "2026-02-30", "2026-03-01"), 400, "starts_on"},
		{sprint("x", "2026-03-05", "2026-03-01"), 400, "ends_on"},
		{sprint("x", "2026-01-01", "2027-06-01"), 400, "ends_on"},
		{map[string]any{"name": "x", "starts_on": "2026-03-01", "ends_on": "2026-03-02"}, 400, "project_id"},
		{map[string]any{"name": "x", "project_id": "default", "team_id": team["id"], "starts_on": "2026-03-01", "ends_on": "2026-03-02"}, 400, "team_id"},
		{map[string]any{"name": "x", "project_id": "NOPE", "starts_on": "2026-03-01", "ends_on": "2026-03-02"}, 400, "project_id"},
		{map[string]any{"name": "x", "team_id": "no-such-team", "starts_on": "2026-03-01", "ends_on": "2026-03-02"}, 400, "team_id"},
		{map[string]any{"name": "x", "project_id": "default", "starts_on": "2026-03-01", "ends_on": "2026-03-02", "sprint": 1}, 400, "sprint"},
	} {
		_, field := problem(t, w.api.As(w.ada).Do("POST", "/v1/cycles", c.body), c.status)
		assert.Equal(t, c.field, field, c.body)
	}
	// Users plan issues in cycles but do not create them.
	code, _ := problem(t, w.api.As(w.ann).Do("POST", "/v1/cycles", sprint("x", "2026-03-01", "2026-03-02")), http.StatusForbidden)
	assert.Equal(t, "role_forbidden", code)
	// A query's 400 names the query parameter the caller sent (or should
	// send), never the create body's field (project_id, team_id).
	for target, want := range map[string]string{"/v1/cycles": "project", "/v1/cycles?project=default&team=x": "team",
		"/v1/cycles/velocity?project=default&cycles=13": "cycles", "/v1/cycles/velocity?project=default&cycles=two": "cycles",
		"/v1/cycles/velocity?project=default&sort=x": "sort", "/v1/cycles?project=NOPE": "project", "/v1/cycles?team=no-such-team": "team",
		"/v1/cycles/velocity?project=NOPE": "project", "/v1/cycles/velocity?team=no-such-team": "team"} {
		_, field := problem(t, w.api.As(w.ann).Do("GET", target, nil), http.StatusBadRequest)
		assert.Equal(t, want, field, target)
	}
}

func TestAnotherTenantsCycleIsNotFound(t *testing.T) {
	w := newWorld(t)
	c := w.cycle(t, sprint("Sprint 1", "2026-01-05", "2026-01-18"))
	i := w.issue(t, w.ann, map[string]any{"title": "planned", "cycle_id": c.ID})
	missing := "01J00000000000000000000000"
	for _, target := range []string{"/v1/cycles/" + c.ID, "/v1/cycles/" + c.ID + "/issues", "/v1/cycles/" + c.ID + "/report"} {
		theirs := w.api.As(w.gus).Do("GET", target, nil)
		none := w.api.As(w.gus).Do("GET", strings.Replace(target, c.ID, missing, 1), nil)
		code, _ := problem(t, theirs, http.StatusNotFound)
		code2, _ := problem(t, none, http.StatusNotFound)
		assert.Equal(t, code2, code, target)
	}
	code, _ := problem(t, w.api.As(w.gus).Do("PATCH", "/v1/cycles/"+c.ID, map[string]any{"name": "mine"}), http.StatusNotFound)
	assert.Equal(t, "cycle_not_found", code)
	// Globex cannot plan its issue in acme's cycle: "no such cycle", like a missing one.
	g := w.issue(t, w.gus, map[string]any{"title": "theirs"})
	for _, id := range []string{c.ID, missing} {
		code, field := problem(t, w.api.As(w.gus).Do("PATCH", "/v1/issues/"+g.ID, map[string]any{"cycle_id": id}), http.StatusUnprocessableEntity)
		assert.Equal(t, []string{"invalid_cycle", "cycle_id"}, []string{code, field})
	}
	// Nor list it by filter: no such cycle in globex, like a missing one (400 naming the filter).
	for _, id := range []string{c.ID, missing} {
		code, field := problem(t, w.api.As(w.gus).Do("GET", "/v1/issues?cycle="+id, nil), http.StatusBadRequest)
		assert.Equal(t, []string{"validation_failed", "cycle"}, []string{code, field})
	}
	pg := decode[list.Page[issue.Issue]](t, w.api.As(w.ann).Do("GET", "/v1/issues?cycle="+c.ID, nil), http.StatusOK)
	require.Len(t, pg.Items, 1)
	assert.Equal(t, i.ID, pg.Items[0].ID)
}

// TestCycleScopeAndVelocity plans a cycle, changes its scope before and
// after its start, completes work before and after its end, and reads the
// report and velocity.
func TestCycleScopeAndVelocity(t *testing.T) {
	w := newWorld(t)
	web := decode[project.Project](t, w.api.As(w.ada).Do("POST", "/v1/projects", map[string]any{"key": "WEB", "name": "Web"}), http.StatusCreated)
	c := w.cycle(t, sprint("Sprint 1", "2026-01-05", "2026-01-18"))
	a := w.issue(t, w.ann, map[string]any{"title": "A", "estimate": 3, "cycle_id": c.ID})
	b := w.issue(t, w.ann, map[string]any{"title": "B", "estimate": 5})
	cc := w.issue(t, w.ann, map[string]any{"title": "C", "estimate": 2})
	d := w.issue(t, w.ann, map[string]any{"title": "D", "estimate": 8})
	e := w.issue(t, w.ann, map[string]any{"title": "E"}) // unestimated
	other := w.issue(t, w.ann, map[string]any{"title": "other project", "project_id": web.ID})

	// Planning before the start, through bulk edit.
	res := decode[map[string]any](t, w.api.As(w.ann).Do("POST", "/v1/issues/bulk", map[string]any{
		"issues": []any{b.ID, cc.ID, other.ID}, "changes": map[string]any{"cycle_id": c.ID}}), http.StatusOK)
	results := fmt.Sprint(res["results"])
	assert.Contains(t, results, "invalid_cycle", "the other project's issue cannot join a project's cycle")
	w.at("2026-01-03")
	decode[issue.Issue](t, w.patch(t, cc.ID, map[string]any{"cycle_id": nil}), http.StatusOK) // out before the start: never in scope

	w.at("2026-01-07") // the cycle is active
	got := decode[cycle.Cycle](t, w.api.As(w.ann).Do("GET", "/v1/cycles/"+c.ID, nil), http.StatusOK)
	assert.Equal(t, cycle.Active, got.State)
	decode[issue.Issue](t, w.patch(t, d.ID, map[string]any{"cycle_id": c.ID}), http.StatusOK) // added
	decode[issue.Issue](t, w.patch(t, e.ID, map[string]any{"cycle_id": c.ID}), http.StatusOK) // added, unestimated
	decode[issue.Issue](t, w.patch(t, b.ID, map[string]any{"cycle_id": nil}), http.StatusOK)  // removed
	w.at("2026-01-10")
	decode[issue.Issue](t, w.api.As(w.ann).Do("POST", "/v1/issues/"+a.ID+"/transitions", map[string]any{"to": "closed"}), http.StatusOK)
	decode[issue.Issue](t, w.patch(t, a.ID, map[string]any{"estimate": 5}), http.StatusOK) // re-estimated while in the cycle

	pg := decode[list.Page[issue.Issue]](t, w.api.As(w.ann).Do("GET", "/v1/cycles/"+c.ID+"/issues", nil), http.StatusOK)
	var ids []string
	for _, i := range pg.Items {
		ids = append(ids, i.ID)
	}
	assert.Equal(t, []string{a.ID, e.ID, d.ID}, ids, "the cycle's issues, latest update first")

	w.at("2026-01-20") // over
	code, field := problem(t, w.patch(t, cc.ID, map[string]any{"cycle_id": c.ID}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"cycle_closed", "cycle_id"}, []string{code, field})
	decode[issue.Issue](t, w.api.As(w.ann).Do("POST", "/v1/issues/"+d.ID+"/transitions", map[string]any{"to": "closed"}), http.StatusOK) // late

	r := decode[cycle.Report](t, w.api.As(w.ann).Do("GET", "/v1/cycles/"+c.ID+"/report", nil), http.StatusOK)
	assert.Equal(t, cycle.Completed, r.Cycle.State)
	assert.Equal(t, cycle.Tally{Issues: 2, Points: 8}, r.Committed, "A and B were planned at the start (A at 3, B at 5)")
	assert.Equal(t, cycle.Tally{Issues: 2, Points: 8, Unestimated: 1}, r.Added, "D and E came after the start")
	assert.Equal(t, cycle.Tally{Issues: 1, Points: 5}, r.Removed, "B left")
	assert.Equal(t, cycle.Tally{Issues: 3, Points: 13, Unestimated: 1}, r.Scope, "A (now 5), D, E")
	assert.Equal(t, cycle.Tally{Issues: 1, Points: 5}, r.Completed, "A; D was closed after the end")
	require.Len(t, r.Daily, 14, "the burn-up has every day of the cycle")
	assert.Equal(t, cycle.Day{Date: "2026-01-05", Scope: cycle.Tally{Issues: 2, Points: 8}}, r.Daily[0], "A and B")
	assert.Equal(t, cycle.Day{Date: "2026-01-10", Scope: cycle.Tally{Issues: 3, Points: 13, Unestimated: 1},
		Completed: cycle.Tally{Issues: 1, Points: 5}}, r.Daily[5], "B left, D and E joined, A done and re-estimated")
	assert.Equal(t, cycle.Day{Date: "2026-01-18", Scope: r.Scope, Completed: r.Completed}, r.Daily[13])

	// A second cycle, completed with 8 points; velocity averages the last two.
	c2 := w.cycle(t, sprint("Sprint 2", "2026-01-21", "2026-02-03"))
	w.at("2026-01-21")
	decode[issue.Issue](t, w.patch(t, cc.ID, map[string]any{"cycle_id": c2.ID, "estimate": 8}), http.StatusOK)
	w.at("2026-01-22")
	decode[issue.Issue](t, w.api.As(w.ann).Do("POST", "/v1/issues/"+cc.ID+"/transitions", map[string]any{"to": "closed"}), http.StatusOK)
	w.at("2026-02-10")
	v := decode[cycle.Velocity](t, w.api.As(w.ann).Do("GET", "/v1/cycles/velocity?project=default&cycles=2", nil), http.StatusOK)
	require.Len(t, v.Cycles, 2)
	assert.Equal(t, c2.ID, v.Cycles[0].Cycle.ID, "most recent first")
	assert.Equal(t, 8, v.Cycles[0].Completed.Points)
	assert.Equal(t, 8, v.Cycles[0].Added.Points, "joined on its first day, after its start")
	assert.InDelta(t, 6.5, v.AveragePoints, 0.001)
	assert.InDelta(t, 1.0, v.AverageIssues, 0.001)

	// Deleting an issue takes it out of its cycle's scope as a removal.
	w.at("2026-01-23")
	c3 := w.cycle(t, sprint("Sprint 3", "2026-02-04", "2026-02-17"))
	w.at("2026-02-05")
	x := w.issue(t, w.ann, map[string]any{"title": "X", "estimate": 1, "cycle_id": c3.ID})
	w.at("2026-02-06")
	require.Equal(t, http.StatusNoContent, w.api.As(w.ada).Do("DELETE", "/v1/issues/"+x.ID, nil).Status)
	r = decode[cycle.Report](t, w.api.As(w.ann).Do("GET", "/v1/cycles/"+c3.ID+"/report", nil), http.StatusOK)
	assert.Equal(t, cycle.Tally{Issues: 1, Points: 1}, r.Removed)
	assert.Equal(t, cycle.Tally{}, r.Scope)
}

func TestBulkEditPlansIssuesInACycle(t *testing.T) {
	w := newWorld(t)
	c := w.cycle(t, sprint("Sprint 1", "2026-01-05", "2026-01-18"))
	a := w.issue(t, w.ann, map[string]any{"title": "A"})
	b := w.issue(t, w.ann, map[string]any{"title": "B"})
	bulk := func(cycleID any) *apitest.Response {
		return w.api.As(w.ann).Do("POST", "/v1/issues/bulk", map[string]any{"issues": []any{a.ID, b.ID}, "changes": map[string]any{"cycle_id": cycleID}})
	}
	// A cycle of nowhere, or of another tenant, refuses the whole request.
	g := decode[cycle.Cycle](t, w.api.As(w.gus).Do("POST", "/v1/cycles", sprint("theirs", "2026-01-05", "2026-01-18")), http.StatusCreated)
	for _, id := range []any{g.ID, "01J00000000000000000000000", "bad id!"} {
		code, field := problem(t, bulk(id), http.StatusUnprocessableEntity)
		assert.Equal(t, []string{"invalid_cycle", "changes.cycle_id"}, []string{code, field})
	}
	got := decode[issue.Issue](t, w.api.As(w.ann).Do("GET", "/v1/issues/"+a.ID, nil), http.StatusOK)
	assert.Empty(t, got.CycleID, "nothing changed")

	require.Equal(t, http.StatusOK, bulk(c.ID).Status)
	pg := decode[list.Page[issue.Issue]](t, w.api.As(w.ann).Do("GET", "/v1/cycles/"+c.ID+"/issues", nil), http.StatusOK)
	assert.Len(t, pg.Items, 2)
	require.Equal(t, http.StatusOK, bulk(c.ID).Status, "a retry lands the same")
	r := decode[cycle.Report](t, w.api.As(w.ann).Do("GET", "/v1/cycles/"+c.ID+"/report", nil), http.StatusOK)
	assert.Equal(t, 2, r.Committed.Issues)
	require.Equal(t, http.StatusOK, bulk(nil).Status) // null takes them out
	pg = decode[list.Page[issue.Issue]](t, w.api.As(w.ann).Do("GET", "/v1/cycles/"+c.ID+"/issues", nil), http.StatusOK)
	assert.Empty(t, pg.Items)
}

// Moving an issue to another project (alone or in a bulk edit) drops what
// was its old project's: the project's cycle (its scope records the
// removal), an estimate off the target's scale, the old fields' values.
func TestMovingAnIssueLeavesItsOldProjectsPlanning(t *testing.T) {
	w := newWorld(t)
	w.at("2026-01-06")
	c := w.cycle(t, sprint("Sprint 1", "2026-01-05", "2026-01-18"))
	f := decode[issue.FieldDef](t, w.api.As(w.ada).Do("POST", "/v1/projects/default/fields", map[string]any{"name": "Area", "type": "text"}), http.StatusCreated)
	web := decode[project.Project](t, w.api.As(w.ada).Do("POST", "/v1/projects", map[string]any{"key": "WEB", "name": "Web", "estimate_scale": "tshirt"}), http.StatusCreated)
	a := w.issue(t, w.ann, map[string]any{"title": "A", "estimate": 13, "cycle_id": c.ID, "fields": map[string]any{f.ID: "front"}})
	b := w.issue(t, w.ann, map[string]any{"title": "B", "estimate": 5, "cycle_id": c.ID})
	require.Equal(t, c.ID, a.CycleID)

	moved := decode[issue.Issue](t, w.api.As(w.ann).Do("POST", "/v1/issues/"+a.ID+"/move", map[string]any{"project_id": "WEB"}), http.StatusOK)
	assert.Equal(t, web.ID, moved.ProjectID)
	assert.Empty(t, moved.CycleID, "the old project's cycle is left")
	assert.Nil(t, moved.Estimate, "13 is not on the t-shirt scale")
	assert.Empty(t, moved.Fields, "the old project's field values are dropped")
	got := decode[issue.Issue](t, w.api.As(w.ann).Do("GET", "/v1/issues/"+a.ID, nil), http.StatusOK)
	assert.Equal(t, moved, got, "as stored")
	acts := decode[list.Page[issue.Activity]](t, w.api.As(w.ann).Do("GET", "/v1/issues/"+a.ID+"/activity", nil), http.StatusOK)
	last := acts.Items[len(acts.Items)-1]
	assert.Equal(t, "moved", last.Action)
	var fieldsChanged []string
	for _, ch := range last.Changes {
		fieldsChanged = append(fieldsChanged, ch.Field)
	}
	assert.Subset(t, fieldsChanged, []string{"project_id", "key", "cycle_id", "estimate", "fields"})
	pg := decode[list.Page[issue.Issue]](t, w.api.As(w.ann).Do("GET", "/v1/cycles/"+c.ID+"/issues", nil), http.StatusOK)
	require.Len(t, pg.Items, 1)
	assert.Equal(t, b.ID, pg.Items[0].ID)
	r := decode[cycle.Report](t, w.api.As(w.ann).Do("GET", "/v1/cycles/"+c.ID+"/report", nil), http.StatusOK)
	assert.Equal(t, 1, r.Scope.Issues, "the moved issue left the cycle's scope")
	assert.Equal(t, 1, r.Removed.Issues)

	// A bulk move: the same, and 5 points stay (the t-shirt L).
	res := w.api.As(w.ann).Do("POST", "/v1/issues/bulk", map[string]any{"issues": []any{b.ID}, "changes": map[string]any{"project_id": "WEB", "priority": "high"}})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	got = decode[issue.Issue](t, w.api.As(w.ann).Do("GET", "/v1/issues/"+b.ID, nil), http.StatusOK)
	assert.Equal(t, web.ID, got.ProjectID)
	assert.Equal(t, "WEB-2", got.Key)
	assert.Empty(t, got.CycleID)
	require.NotNil(t, got.Estimate)
	assert.Equal(t, 5, *got.Estimate)
	assert.Equal(t, issue.Priority("high"), got.Priority, "the other changes land in the same write")
	assert.Equal(t, b.ID, decode[issue.Issue](t, w.api.As(w.ann).Do("GET", "/v1/issues/"+b.Key, nil), http.StatusOK).ID, "the old key resolves")
	assert.Empty(t, decode[list.Page[issue.Issue]](t, w.api.As(w.ann).Do("GET", "/v1/cycles/"+c.ID+"/issues", nil), http.StatusOK).Items)
	res = w.api.As(w.ann).Do("POST", "/v1/issues/bulk", map[string]any{"issues": []any{b.ID}, "changes": map[string]any{"project_id": "WEB", "priority": "high"}})
	require.Equal(t, http.StatusOK, res.Status, "a retry lands the same")
	assert.Equal(t, "WEB-2", decode[issue.Issue](t, w.api.As(w.ann).Do("GET", "/v1/issues/"+b.ID, nil), http.StatusOK).Key)

	// A cycle of the target project in the same bulk edit is taken.
	w2 := w.cycle(t, map[string]any{"name": "Web 1", "project_id": "WEB", "starts_on": "2026-01-05", "ends_on": "2026-01-18"})
	d := w.issue(t, w.ann, map[string]any{"title": "D"})
	res = w.api.As(w.ann).Do("POST", "/v1/issues/bulk", map[string]any{"issues": []any{d.ID}, "changes": map[string]any{"project_id": "WEB", "cycle_id": w2.ID}})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	got = decode[issue.Issue](t, w.api.As(w.ann).Do("GET", "/v1/issues/"+d.ID, nil), http.StatusOK)
	assert.Equal(t, []string{web.ID, w2.ID}, []string{got.ProjectID, got.CycleID})

	// A project of nowhere or another tenant's refuses the whole request.
	g := decode[project.Project](t, w.api.As(w.gus).Do("POST", "/v1/projects", map[string]any{"key": "GLO", "name": "Theirs"}), http.StatusCreated)
	for _, ref := range []any{g.ID, "NOPE", nil} {
		code, field := problem(t, w.api.As(w.ann).Do("POST", "/v1/issues/bulk", map[string]any{"issues": []any{d.ID}, "changes": map[string]any{"project_id": ref}}), http.StatusUnprocessableEntity)
		assert.Equal(t, []string{"invalid_bulk_edit", "changes.project_id"}, []string{code, field}, fmt.Sprint(ref))
	}
}

// Deleting a cycle: Admins only; another tenant's is a 404; a cycle issues
// are still planned in is a 409 (nothing changes), an emptied one goes with
// its scope, leaves its owner's windows free and takes no issue.
func TestDeletingACycle(t *testing.T) {
	w := newWorld(t)
	w.at("2026-01-06")
	c := w.cycle(t, sprint("Sprint 1", "2026-01-05", "2026-01-18"))
	a := w.issue(t, w.ann, map[string]any{"title": "A", "cycle_id": c.ID, "estimate": 3})
	path := "/v1/cycles/" + c.ID

	code, _ := problem(t, w.api.As(w.ann).Do("DELETE", path, nil), http.StatusForbidden)
	assert.NotEmpty(t, code)
	problem(t, w.api.As(w.gus).Do("DELETE", path, nil), http.StatusNotFound)
	problem(t, w.api.As(w.ada).Do("DELETE", "/v1/cycles/01J00000000000000000000000", nil), http.StatusNotFound)
	code, _ = problem(t, w.api.As(w.ada).Do("DELETE", path, nil), http.StatusConflict)
	assert.Equal(t, "cycle_in_use", code)
	assert.Equal(t, c.ID, decode[cycle.Cycle](t, w.api.As(w.ann).Do("GET", path, nil), http.StatusOK).ID, "still there")
	b := w.issue(t, w.ann, map[string]any{"title": "B", "cycle_id": c.ID})
	assert.Equal(t, c.ID, b.CycleID, "a refused deletion leaves the cycle open to issues")

	res := w.api.As(w.ann).Do("POST", "/v1/issues/bulk", map[string]any{"issues": []any{a.ID, b.ID}, "changes": map[string]any{"cycle_id": nil}})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	res = w.api.As(w.ada).Do("DELETE", path, nil)
	require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
	problem(t, w.api.As(w.ann).Do("GET", path, nil), http.StatusNotFound)
	problem(t, w.api.As(w.ann).Do("GET", path+"/report", nil), http.StatusNotFound)
	problem(t, w.api.As(w.ada).Do("DELETE", path, nil), http.StatusNotFound)
	cs := decode[list.Page[cycle.Cycle]](t, w.api.As(w.ann).Do("GET", "/v1/cycles?project=default", nil), http.StatusOK)
	assert.Empty(t, cs.Items)
	code, field := problem(t, w.patch(t, a.ID, map[string]any{"cycle_id": c.ID}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"invalid_cycle", "cycle_id"}, []string{code, field})
	w.cycle(t, sprint("Sprint 1 again", "2026-01-05", "2026-01-18")) // its days are free again

	// A cycle being deleted takes no issue: the issue's transaction checks the mark.
	d := w.cycle(t, sprint("Sprint 2", "2026-01-19", "2026-02-01"))
	require.NoError(t, (&cycledb.Store{DB: w.db}).MarkDeleting(context.Background(), w.ann.Scope(), d, true))
	code, field = problem(t, w.patch(t, a.ID, map[string]any{"cycle_id": d.ID}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"invalid_cycle", "cycle_id"}, []string{code, field})
	assert.Empty(t, decode[issue.Issue](t, w.api.As(w.ann).Do("GET", "/v1/issues/"+a.ID, nil), http.StatusOK).CycleID, "nothing changed")
}
