package viewapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/issuetracker/issuetracker/internal/view"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type world struct {
	api                *apitest.API
	ann, bob, ada, gus tenancy.Principal
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, names := testenv.Tables(t)
	p := func(tenant, id string, r roles.Role) tenancy.Principal {
		require.NoError(t, peopledb.UserDB{DB: db}.Put(context.Background(), tenancy.Scope{Table: names.App(), TenantID: tenant},
			people.User{ID: id, TenantID: tenant, Username: id, Email: id + "@" + tenant + ".test", Role: r, Status: people.UserActive}))
		return tenancy.Principal{TenantID: tenant, UserID: id, Username: id, Role: r, Tier: tiers.Standard, Table: names.App()}
	}
	return &world{api: apitest.New(t, app.Deps{DB: db, Names: names, Now: time.Now}),
		ann: p("acme", "ann", roles.User), bob: p("acme", "bob", roles.User), ada: p("acme", "ada", roles.Admin),
		gus: p("globex", "gus", roles.User)}
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

type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func get[T any](t *testing.T, c apitest.Caller, target string) T {
	t.Helper()
	res := c.Do("GET", target, nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var v T
	res.JSON(t, &v)
	return v
}

func (w *world) view(t *testing.T, p tenancy.Principal, body map[string]any) view.View {
	t.Helper()
	res := w.api.As(p).Do("POST", "/v1/views", body)
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	var v view.View
	res.JSON(t, &v)
	return v
}

func TestSavedViews(t *testing.T) {
	w := newWorld(t)
	ann, bob, ada := w.api.As(w.ann), w.api.As(w.bob), w.api.As(w.ada)
	res := ada.Do("POST", "/v1/labels", map[string]any{"name": "Needs UX"})
	require.Equal(t, http.StatusCreated, res.Status)
	ux := res.Map(t)["id"].(string)
	for _, b := range []map[string]any{
		{"title": "mine urgent", "assignee_id": "ann", "priority": "urgent", "labels": []string{ux}},
		{"title": "mine low", "assignee_id": "ann", "priority": "low"},
		{"title": "bob's", "assignee_id": "bob", "priority": "high", "labels": []string{ux}},
	} {
		require.Equal(t, http.StatusCreated, ann.Do("POST", "/v1/issues", b).Status)
	}

	mine := w.view(t, w.ann, map[string]any{"name": "My work", "filter": map[string]any{"assignee": "me"}, "sort": "priority",
		"group_by": "status", "columns": []string{"key", "title", "priority"}})
	t.Run("a view is saved with its filter, sort, grouping and columns", func(t *testing.T) {
		assert.Equal(t, view.Private, mine.Visibility)
		assert.Equal(t, "ann", mine.OwnerID)
		got := get[view.View](t, ann, "/v1/views/"+mine.ID)
		assert.Equal(t, map[string]string{"assignee": "me"}, got.Filter)
		assert.Equal(t, []string{"key", "title", "priority"}, got.Columns)
	})
	t.Run("applying a view lists its issues in its order, me being whoever applies it", func(t *testing.T) {
		pg := get[page[issue.Issue]](t, ann, "/v1/views/"+mine.ID+"/issues")
		require.Len(t, pg.Items, 2)
		assert.Equal(t, "mine urgent", pg.Items[0].Title)
		first := get[page[issue.Issue]](t, ann, "/v1/views/"+mine.ID+"/issues?limit=1")
		require.NotEmpty(t, first.NextCursor)
		second := get[page[issue.Issue]](t, ann, "/v1/views/"+mine.ID+"/issues?limit=1&cursor="+first.NextCursor)
		assert.Equal(t, "mine low", second.Items[0].Title)
	})
	t.Run("a private view is its owner's only; another user's answers like a missing one", func(t *testing.T) {
		code, _ := problem(t, bob.Do("GET", "/v1/views/"+mine.ID, nil), http.StatusNotFound)
		assert.Equal(t, "view_not_found", code)
		problem(t, bob.Do("GET", "/v1/views/"+mine.ID+"/issues", nil), http.StatusNotFound)
		problem(t, bob.Do("PATCH", "/v1/views/"+mine.ID, map[string]any{"name": "x"}), http.StatusNotFound)
		assert.Empty(t, get[page[view.View]](t, bob, "/v1/views").Items)
	})
	shared := w.view(t, w.ann, map[string]any{"name": "UX work", "visibility": "shared", "filter": map[string]any{"label": "needs ux"}})
	t.Run("a shared view is everyone's in the tenant; label names are kept as ids", func(t *testing.T) {
		assert.Equal(t, ux, shared.Filter["label"])
		assert.Len(t, get[page[issue.Issue]](t, bob, "/v1/views/"+shared.ID+"/issues").Items, 2)
		names := []string{}
		for _, v := range get[page[view.View]](t, bob, "/v1/views").Items {
			names = append(names, v.Name)
		}
		assert.Equal(t, []string{"UX work"}, names)
		assert.Len(t, get[page[view.View]](t, ann, "/v1/views").Items, 2)
	})
	t.Run("only its owner or an Admin changes a shared view", func(t *testing.T) {
		code, _ := problem(t, bob.Do("PATCH", "/v1/views/"+shared.ID, map[string]any{"name": "x"}), http.StatusForbidden)
		assert.Equal(t, "view_not_yours", code)
		problem(t, bob.Do("DELETE", "/v1/views/"+shared.ID, nil), http.StatusForbidden)
		res := ada.Do("PATCH", "/v1/views/"+shared.ID, map[string]any{"name": "Design work"})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	})
	t.Run("unsharing moves the view back to its owner only", func(t *testing.T) {
		res := ann.Do("PATCH", "/v1/views/"+shared.ID, map[string]any{"visibility": "private"})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		problem(t, bob.Do("GET", "/v1/views/"+shared.ID, nil), http.StatusNotFound)
		assert.Equal(t, "Design work", get[view.View](t, ann, "/v1/views/"+shared.ID).Name)
	})
	t.Run("another tenant's view is not found", func(t *testing.T) {
		gus := w.api.As(w.gus)
		problem(t, gus.Do("GET", "/v1/views/"+mine.ID, nil), http.StatusNotFound)
		problem(t, gus.Do("GET", "/v1/views/"+mine.ID+"/issues", nil), http.StatusNotFound)
		problem(t, gus.Do("DELETE", "/v1/views/"+mine.ID, nil), http.StatusNotFound)
	})
	t.Run("a filter the issue list does not support is a 422 naming the field, and nothing is saved", func(t *testing.T) {
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"name": "x", "filter": map[string]any{"colour": "red"}}, "filter.colour"},
			{map[string]any{"name": "x", "filter": map[string]any{"status": "Not A Status!"}}, "filter.status"},
			// well-formed, but no project's workflow has it (saved until audit11)
			{map[string]any{"name": "x", "filter": map[string]any{"status": "nosuchstatus"}}, "filter.status"},
			{map[string]any{"name": "x", "filter": map[string]any{"due_before": "tomorrow"}}, "filter.due_before"},
			{map[string]any{"name": "x", "filter": map[string]any{"label": "no such label"}}, "filter.label"},
			// what the list resolves, not only parses: a project no one
			// has in this workspace (another tenant's key reads the same)
			{map[string]any{"name": "x", "filter": map[string]any{"project": "NOPE"}}, "filter.project"},
			// an empty value would save a view of every issue
			{map[string]any{"name": "x", "filter": map[string]any{"label": ""}}, "filter.label"},
			{map[string]any{"name": "x", "filter": map[string]any{"assignee": "me", "priority": " "}}, "filter.priority"},
			{map[string]any{"name": "x", "sort": "title"}, "sort"},
			{map[string]any{"name": "x", "group_by": "colour"}, "group_by"},
			{map[string]any{"name": "x", "columns": []string{"key", "secret"}}, "columns"},
			{map[string]any{"name": ""}, "name"},
			{map[string]any{"filter": map[string]any{}}, "name"},
			{map[string]any{"name": "x", "visibility": "public"}, "visibility"},
		} {
			_, field := problem(t, ann.Do("POST", "/v1/views", c.body), http.StatusUnprocessableEntity)
			assert.Equal(t, c.field, field, c.body)
		}
		_, field := problem(t, ann.Do("PATCH", "/v1/views/"+mine.ID, map[string]any{"filter": map[string]any{"priority": "huge"}}), http.StatusUnprocessableEntity)
		assert.Equal(t, "filter.priority", field)
		assert.Equal(t, map[string]string{"assignee": "me"}, get[view.View](t, ann, "/v1/views/"+mine.ID).Filter)
		assert.Len(t, get[page[view.View]](t, ann, "/v1/views").Items, 2)
	})
	t.Run("a view exports as CSV with its columns and as JSON", func(t *testing.T) {
		require.Equal(t, http.StatusCreated, ann.Do("POST", "/v1/issues", map[string]any{"title": "=HYPERLINK(\"x\")", "assignee_id": "ann", "labels": []string{"needs ux"}}).Status)
		// a full-width equals sign is a formula to some spreadsheets too
		require.Equal(t, http.StatusCreated, ann.Do("POST", "/v1/issues", map[string]any{"title": "\uff1dHYPERLINK(\"x\")", "assignee_id": "ann"}).Status)
		ex := w.view(t, w.ann, map[string]any{"name": "Export", "filter": map[string]any{"assignee": "me"}, "sort": "created", "order": "asc",
			"columns": []string{"title", "priority", "labels"}})
		res := ann.Do("GET", "/v1/views/"+ex.ID+"/export?format=csv", nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		assert.Equal(t, "text/csv; charset=utf-8", res.Header.Get("Content-Type"))
		rows, err := csv.NewReader(bytes.NewReader(res.Body)).ReadAll()
		require.NoError(t, err)
		assert.Equal(t, [][]string{{"title", "priority", "labels"}, {"mine urgent", "urgent", "Needs UX"}, {"mine low", "low", ""},
			{"'=HYPERLINK(\"x\")", "none", "Needs UX"}, {"'\uff1dHYPERLINK(\"x\")", "none", ""}}, rows, "formulas are defused")
		js := get[struct {
			Columns []string      `json:"columns"`
			Items   []issue.Issue `json:"items"`
		}](t, ann, "/v1/views/"+ex.ID+"/export?format=json")
		assert.Equal(t, []string{"title", "priority", "labels"}, js.Columns)
		assert.Len(t, js.Items, 4)
		_, field := problem(t, ann.Do("GET", "/v1/views/"+ex.ID+"/export?format=xlsx", nil), http.StatusBadRequest)
		assert.Equal(t, "format", field)
		problem(t, bob.Do("GET", "/v1/views/"+ex.ID+"/export", nil), http.StatusNotFound)
	})
	t.Run("the owner deletes a view", func(t *testing.T) {
		assert.Equal(t, http.StatusNoContent, ann.Do("DELETE", "/v1/views/"+mine.ID, nil).Status)
		problem(t, ann.Do("GET", "/v1/views/"+mine.ID, nil), http.StatusNotFound)
	})
}

// A view filters and sorts on custom fields (field.<id>) of the projects
// its filter names; a field of no project named, or of another project, is
// a 422 naming the filter or sort, and nothing is saved.
func TestViewsFilterAndSortOnCustomFields(t *testing.T) {
	w := newWorld(t)
	ann, ada := w.api.As(w.ann), w.api.As(w.ada)
	res := ada.Do("POST", "/v1/projects", map[string]any{"key": "WEB", "name": "Web"})
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	field := func(project string, body map[string]any) string {
		res := ada.Do("POST", "/v1/projects/"+project+"/fields", body)
		require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
		return res.Map(t)["id"].(string)
	}
	sev := field("WEB", map[string]any{"name": "Severity", "type": "select", "options": []string{"S1", "S2", "S3"}})
	other := field("default", map[string]any{"name": "Customer", "type": "text"})
	mk := func(title string, fields map[string]any) string {
		res := ann.Do("POST", "/v1/issues", map[string]any{"title": title, "project_id": "WEB", "fields": fields})
		require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
		return res.Map(t)["id"].(string)
	}
	s2 := mk("second", map[string]any{sev: "S2"})
	s1 := mk("first", map[string]any{sev: "S1"})
	none := mk("none", nil)

	v := w.view(t, w.ann, map[string]any{"name": "S1 on web", "filter": map[string]any{"project": "WEB", "field." + sev: "S1"}})
	assert.Equal(t, "S1", v.Filter["field."+sev], "stored as given")
	got := get[page[issue.Issue]](t, ann, "/v1/views/"+v.ID+"/issues")
	require.Len(t, got.Items, 1)
	assert.Equal(t, s1, got.Items[0].ID)

	sorted := w.view(t, w.ann, map[string]any{"name": "by severity", "filter": map[string]any{"project": "WEB"}, "sort": "field." + sev})
	got = get[page[issue.Issue]](t, ann, "/v1/views/"+sorted.ID+"/issues")
	var ids []string
	for _, i := range got.Items {
		ids = append(ids, i.ID)
	}
	assert.Equal(t, []string{s1, s2, none}, ids, "by the field's value, absent last")
	res = ann.Do("PATCH", "/v1/views/"+sorted.ID, map[string]any{"sort": "field." + other})
	code, f := problem(t, res, http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"invalid_view", "sort"}, []string{code, f}, "a field of another project")

	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no project", map[string]any{"name": "x", "filter": map[string]any{"field." + sev: "S1"}}, "filter.field." + sev},
		{"another project's field", map[string]any{"name": "x", "filter": map[string]any{"project": "default", "field." + sev: "S1"}}, "filter.field." + sev},
		{"a malformed id", map[string]any{"name": "x", "filter": map[string]any{"project": "WEB", "field.bad!": "S1"}}, "filter.field.bad!"},
		{"a sort without project", map[string]any{"name": "x", "sort": "field." + sev}, "sort"},
	} {
		code, f := problem(t, ann.Do("POST", "/v1/views", c.body), http.StatusUnprocessableEntity)
		assert.Equal(t, []string{"invalid_view", c.field}, []string{code, f}, c.name)
	}
	vs := get[page[view.View]](t, ann, "/v1/views")
	assert.Len(t, vs.Items, 2, "nothing else saved")
}
