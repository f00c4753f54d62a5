package projectapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/issue"
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

// world: acme (ann: user, ada: admin) on Standard, globex (gus: admin) on
// Basic, on fresh tables.
type world struct {
	api      *apitest.API
	ann, ada tenancy.Principal
	gus      tenancy.Principal
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, names := testenv.Tables(t)
	p := func(tenant, id string, r roles.Role, tier tiers.Name) tenancy.Principal {
		require.NoError(t, peopledb.UserDB{DB: db}.Put(context.Background(), tenancy.Scope{Table: names.App(), TenantID: tenant},
			people.User{ID: id, TenantID: tenant, Username: id, Email: id + "@" + tenant + ".test", Role: r, Status: people.UserActive}))
		return tenancy.Principal{TenantID: tenant, UserID: id, Username: id, Role: r, Tier: tier, Table: names.App()}
	}
	return &world{api: apitest.New(t, app.Deps{DB: db, Names: names, Now: time.Now}),
		ann: p("acme", "ann", roles.User, tiers.Standard), ada: p("acme", "ada", roles.Admin, tiers.Standard),
		gus: p("globex", "gus", roles.Admin, tiers.Basic)}
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

func (w *world) project(t *testing.T, p tenancy.Principal, key, name string) project.Project {
	t.Helper()
	return decode[project.Project](t, w.api.As(p).Do("POST", "/v1/projects", map[string]any{"key": key, "name": name}), http.StatusCreated)
}

func (w *world) issue(t *testing.T, p tenancy.Principal, body map[string]any) issue.Issue {
	t.Helper()
	return decode[issue.Issue](t, w.api.As(p).Do("POST", "/v1/issues", body), http.StatusCreated)
}

func TestProjectsNumberTheirIssues(t *testing.T) {
	w := newWorld(t)
	legacy := w.issue(t, w.ann, map[string]any{"title": "Filed without a project"})
	assert.Equal(t, "ACME-1", legacy.Key)
	assert.Equal(t, project.DefaultID, legacy.ProjectID)

	web := w.project(t, w.ada, "web", "Website")
	assert.Equal(t, "WEB", web.Key, "keys are upper-cased")
	api := w.project(t, w.ada, "API", "Public API")
	w1 := w.issue(t, w.ann, map[string]any{"title": "Header", "project_id": "WEB"})
	w2 := w.issue(t, w.ann, map[string]any{"title": "Footer", "project_id": web.ID})
	a1 := w.issue(t, w.ann, map[string]any{"title": "Rate limits", "project_id": api.ID})
	d2 := w.issue(t, w.ann, map[string]any{"title": "Still default"})
	assert.Equal(t, []string{"WEB-1", "WEB-2", "API-1", "ACME-2"}, []string{w1.Key, w2.Key, a1.Key, d2.Key}, "one counter per project")
	var listed struct {
		Items []project.Project `json:"items"`
	}
	require.NoError(t, json.Unmarshal(w.api.As(w.ann).Do("GET", "/v1/projects", nil).Body, &listed))
	require.Len(t, listed.Items, 3)
	assert.Equal(t, project.DefaultID, listed.Items[0].ID, "the default project first, as documented (pages open it by default)")

	for ref, want := range map[string]string{"WEB-2": w2.ID, "web-1": w1.ID, "API-1": a1.ID, "ACME-1": legacy.ID} {
		got := decode[issue.Issue](t, w.api.As(w.ann).Do("GET", "/v1/issues/"+ref, nil), http.StatusOK)
		assert.Equal(t, want, got.ID, ref)
	}
	code, _ := problem(t, w.api.As(w.ann).Do("GET", "/v1/issues/WEB-3", nil), http.StatusNotFound)
	assert.Equal(t, "issue_not_found", code)
	code, _ = problem(t, w.api.As(w.ann).Do("GET", "/v1/issues/NOPE-1", nil), http.StatusNotFound)
	assert.Equal(t, "issue_not_found", code)

	// A project's issues: one index partition (gsi7), by id or by key.
	for _, ref := range []string{web.ID, "WEB", "web"} {
		var pg struct{ Items []issue.Issue }
		res := w.api.As(w.ann).Do("GET", "/v1/issues?project="+ref, nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		res.JSON(t, &pg)
		var keys []string
		for _, i := range pg.Items {
			keys = append(keys, i.Key)
		}
		assert.Equal(t, []string{"WEB-2", "WEB-1"}, keys, ref)
	}
	code, field := problem(t, w.api.As(w.ann).Do("GET", "/v1/issues?project=NOPE", nil), http.StatusBadRequest)
	assert.Equal(t, []string{"validation_failed", "project"}, []string{code, field})

	ps := decode[struct{ Items []project.Project }](t, w.api.As(w.ann).Do("GET", "/v1/projects", nil), http.StatusOK)
	var keys []string
	for _, p := range ps.Items {
		keys = append(keys, p.Key)
	}
	assert.ElementsMatch(t, []string{"ACME", "WEB", "API"}, keys)
}

func TestRenamedKeysKeepResolving(t *testing.T) {
	w := newWorld(t)
	web := w.project(t, w.ada, "WEB", "Website")
	old := w.issue(t, w.ann, map[string]any{"title": "Header", "project_id": "WEB"})
	res := w.api.As(w.ada).Do("PATCH", "/v1/projects/WEB", map[string]any{"key": "SITE"}, "If-Match", `"1"`)
	renamed := decode[project.Project](t, res, http.StatusOK)
	assert.Equal(t, "SITE", renamed.Key)
	assert.Equal(t, []string{"WEB"}, renamed.FormerKeys)
	next := w.issue(t, w.ann, map[string]any{"title": "Footer", "project_id": "WEB"})
	assert.Equal(t, "SITE-2", next.Key, "the old key still names the project; the counter goes on")
	for _, ref := range []string{"WEB-1", "SITE-1"} {
		assert.Equal(t, old.ID, decode[issue.Issue](t, w.api.As(w.ann).Do("GET", "/v1/issues/"+ref, nil), http.StatusOK).ID, ref)
	}
	assert.Equal(t, web.ID, decode[project.Project](t, w.api.As(w.ann).Do("GET", "/v1/projects/web", nil), http.StatusOK).ID)

	// A former key stays reserved: no other project may take it ...
	code, field := problem(t, w.api.As(w.ada).Do("POST", "/v1/projects", map[string]any{"key": "WEB", "name": "Other"}), http.StatusConflict)
	assert.Equal(t, []string{"project_key_taken", "key"}, []string{code, field})
	// ... but the project itself may go back to it.
	back := decode[project.Project](t, w.api.As(w.ada).Do("PATCH", "/v1/projects/SITE", map[string]any{"key": "WEB"}), http.StatusOK)
	assert.Equal(t, []string{"SITE"}, back.FormerKeys)
	// A stale If-Match changes nothing.
	code, _ = problem(t, w.api.As(w.ada).Do("PATCH", "/v1/projects/WEB", map[string]any{"name": "X"}, "If-Match", `"1"`), http.StatusPreconditionFailed)
	assert.Equal(t, "version_mismatch", code)
}

func TestProjectBadInput(t *testing.T) {
	w := newWorld(t)
	w.project(t, w.ada, "WEB", "Website")
	for name, c := range map[string]struct {
		body   map[string]any
		status int
		code   string
		field  string
	}{
		"a duplicate key":             {map[string]any{"key": "web", "name": "Again"}, 409, "project_key_taken", "key"},
		"the default project's key":   {map[string]any{"key": "ACME", "name": "Again"}, 409, "project_key_taken", "key"},
		"a key with a dash":           {map[string]any{"key": "WE-B", "name": "x"}, 400, "validation_failed", "key"},
		"a key starting with a digit": {map[string]any{"key": "1WEB", "name": "x"}, 400, "validation_failed", "key"},
		"a one-letter key":            {map[string]any{"key": "W", "name": "x"}, 400, "validation_failed", "key"},
		"no key":                      {map[string]any{"name": "x"}, 400, "validation_failed", "key"},
		"no name":                     {map[string]any{"key": "NEW"}, 400, "validation_failed", "name"},
		"an unknown lead":             {map[string]any{"key": "NEW", "name": "x", "lead_id": "nobody"}, 400, "validation_failed", "lead_id"},
		"another tenant's user":       {map[string]any{"key": "NEW", "name": "x", "default_assignee_id": "gus"}, 400, "validation_failed", "default_assignee_id"},
		"an unknown field":            {map[string]any{"key": "NEW", "name": "x", "colour": "red"}, 400, "unknown_field", ""},
	} {
		t.Run(name, func(t *testing.T) {
			code, field := problem(t, w.api.As(w.ada).Do("POST", "/v1/projects", c.body), c.status)
			assert.Equal(t, c.code, code)
			if c.field != "" {
				assert.Equal(t, c.field, field)
			}
		})
	}
	ps := decode[struct{ Items []project.Project }](t, w.api.As(w.ann).Do("GET", "/v1/projects", nil), http.StatusOK)
	assert.Len(t, ps.Items, 2, "nothing was written")

	code, _ := problem(t, w.api.As(w.ann).Do("POST", "/v1/projects", map[string]any{"key": "USR", "name": "x"}), http.StatusForbidden)
	assert.Equal(t, "role_forbidden", code, "Admins manage projects")
	code, field := problem(t, w.api.As(w.ada).Do("PATCH", "/v1/projects/default", map[string]any{"archived": true}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"default_project", "archived"}, []string{code, field})

	// Issues: an archived project takes none; an unknown one is a 400.
	w.api.As(w.ada).Do("PATCH", "/v1/projects/WEB", map[string]any{"archived": true})
	code, field = problem(t, w.api.As(w.ann).Do("POST", "/v1/issues", map[string]any{"title": "x", "project_id": "WEB"}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"project_archived", "project_id"}, []string{code, field})
	code, field = problem(t, w.api.As(w.ann).Do("POST", "/v1/issues", map[string]any{"title": "x", "project_id": "NOPE"}), http.StatusBadRequest)
	assert.Equal(t, []string{"validation_failed", "project_id"}, []string{code, field})
}

func TestTierCapsProjects(t *testing.T) {
	w := newWorld(t)
	basic, _ := tiers.Get(tiers.Basic)
	for i := 1; i < basic.MaxProjects; i++ { // the default project counts
		w.project(t, w.gus, "P"+string(rune('A'+i)), "p")
	}
	code, _ := problem(t, w.api.As(w.gus).Do("POST", "/v1/projects", map[string]any{"key": "MORE", "name": "x"}), http.StatusUnprocessableEntity)
	assert.Equal(t, "project_limit_reached", code)
	ps := decode[struct{ Items []project.Project }](t, w.api.As(w.gus).Do("GET", "/v1/projects", nil), http.StatusOK)
	assert.Len(t, ps.Items, basic.MaxProjects)
}

// Concurrent creates race for the last places: exactly the limit is
// created, the rest are refused, none is lost to a retry.
func TestConcurrentCreatesStopAtTheCap(t *testing.T) {
	w := newWorld(t)
	basic, _ := tiers.Get(tiers.Basic)
	n := basic.MaxProjects + 3
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			codes[i] = w.api.As(w.gus).Do("POST", "/v1/projects", map[string]any{"key": "C" + string(rune('A'+i)), "name": "c"}).Status
		})
	}
	wg.Wait()
	created := 0
	for _, c := range codes {
		if c == http.StatusCreated {
			created++
		} else {
			assert.Contains(t, []int{http.StatusUnprocessableEntity, http.StatusConflict}, c)
		}
	}
	ps := decode[struct{ Items []project.Project }](t, w.api.As(w.gus).Do("GET", "/v1/projects", nil), http.StatusOK)
	assert.Len(t, ps.Items, basic.MaxProjects, "the default and the created ones, never past the cap")
	assert.Equal(t, basic.MaxProjects-1, created)
}

func TestAnotherTenantsProjectIsNotFound(t *testing.T) {
	w := newWorld(t)
	web := w.project(t, w.ada, "WEB", "Website")
	w.issue(t, w.ann, map[string]any{"title": "Header", "project_id": "WEB"})
	for _, ref := range []string{web.ID, "WEB"} {
		code, _ := problem(t, w.api.As(w.gus).Do("GET", "/v1/projects/"+ref, nil), http.StatusNotFound)
		assert.Equal(t, "project_not_found", code)
		code, _ = problem(t, w.api.As(w.gus).Do("PATCH", "/v1/projects/"+ref, map[string]any{"name": "mine"}), http.StatusNotFound)
		assert.Equal(t, "project_not_found", code)
	}
	code, _ := problem(t, w.api.As(w.gus).Do("GET", "/v1/projects/NOPE", nil), http.StatusNotFound)
	assert.Equal(t, "project_not_found", code, "the same answer as a missing one")
	code, _ = problem(t, w.api.As(w.gus).Do("GET", "/v1/issues/WEB-1", nil), http.StatusNotFound)
	assert.Equal(t, "issue_not_found", code)
	code, field := problem(t, w.api.As(w.gus).Do("POST", "/v1/issues", map[string]any{"title": "x", "project_id": web.ID}), http.StatusBadRequest)
	assert.Equal(t, []string{"validation_failed", "project_id"}, []string{code, field})
	code, field = problem(t, w.api.As(w.gus).Do("GET", "/v1/issues?project="+web.ID, nil), http.StatusBadRequest)
	assert.Equal(t, []string{"validation_failed", "project"}, []string{code, field}, "no such project in globex, as for a missing one")
}

func TestDefaultAssignee(t *testing.T) {
	w := newWorld(t)
	res := w.api.As(w.ada).Do("POST", "/v1/projects", map[string]any{"key": "OPS", "name": "Ops", "default_assignee_id": "ann", "lead_id": "ada"})
	decode[project.Project](t, res, http.StatusCreated)
	assert.Equal(t, "ann", w.issue(t, w.ada, map[string]any{"title": "x", "project_id": "OPS"}).AssigneeID)
	assert.Equal(t, "ada", w.issue(t, w.ada, map[string]any{"title": "y", "project_id": "OPS", "assignee_id": "ada"}).AssigneeID)
}
