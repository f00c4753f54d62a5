package customfieldapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/customfield"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type world struct {
	api           *apitest.API
	ann, ada, gus tenancy.Principal
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
		ann: p("acme", "ann", roles.User), ada: p("acme", "ada", roles.Admin), gus: p("globex", "gus", roles.Admin)}
}

func problem(t *testing.T, res *apitest.Response, status int) (code, field string) {
	t.Helper()
	require.Equal(t, status, res.Status, string(res.Body))
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

func (w *world) field(t *testing.T, body map[string]any) issue.FieldDef {
	t.Helper()
	return decode[issue.FieldDef](t, w.api.As(w.ada).Do("POST", "/v1/projects/default/fields", body), http.StatusCreated)
}

// fields defines one field of each type in the default project.
func (w *world) fields(t *testing.T) map[string]string {
	ids := map[string]string{}
	for _, f := range []map[string]any{
		{"name": "Customer", "type": "text"},
		{"name": "Revenue", "type": "number"},
		{"name": "Launch", "type": "date"},
		{"name": "Severity", "type": "select", "options": []string{"S1", "S2", "S3"}},
		{"name": "Platforms", "type": "multi_select", "options": []string{"ios", "android", "web"}},
		{"name": "Reviewer", "type": "user"},
	} {
		ids[f["type"].(string)] = w.field(t, f).ID
	}
	return ids
}

func TestCustomFieldValuesAreValidatedOnWrite(t *testing.T) {
	w := newWorld(t)
	ids := w.fields(t)
	good := map[string]any{ids["text"]: "Initech", ids["number"]: 1200.5, ids["date"]: "2026-03-01", ids["select"]: "S2",
		ids["multi_select"]: []string{"web", "ios", "web"}, ids["user"]: "ada"}
	i := decode[issue.Issue](t, w.api.As(w.ann).Do("POST", "/v1/issues", map[string]any{"title": "x", "fields": good}), http.StatusCreated)
	assert.Equal(t, []any{"ios", "web"}, anySlice(i.Fields[ids["multi_select"]]), "options deduplicated, in option order")
	got := decode[issue.Issue](t, w.api.As(w.ann).Do("GET", "/v1/issues/"+i.ID, nil), http.StatusOK)
	assert.Equal(t, "Initech", got.Fields[ids["text"]])
	assert.Equal(t, 1200.5, got.Fields[ids["number"]])

	for _, c := range []struct {
		id    string
		value any
	}{
		{ids["text"], 12}, {ids["number"], "12"}, {ids["date"], "2026-02-30"}, {ids["date"], 20260201},
		{ids["select"], "S9"}, {ids["select"], []string{"S1"}}, {ids["multi_select"], "web"}, {ids["multi_select"], []string{"mac"}},
		{ids["user"], "nobody"}, {ids["user"], "gus"}, // gus is globex's
	} {
		code, field := problem(t, w.api.As(w.ann).Do("PATCH", "/v1/issues/"+i.ID, map[string]any{"fields": map[string]any{c.id: c.value}}), http.StatusUnprocessableEntity)
		assert.Equal(t, []string{"invalid_field_value", "fields." + c.id}, []string{code, field}, "%v", c.value)
	}
	code, field := problem(t, w.api.As(w.ann).Do("PATCH", "/v1/issues/"+i.ID, map[string]any{"fields": map[string]any{ids["text"]: "bad\x07"}}), http.StatusBadRequest)
	assert.Equal(t, []string{"invalid_text", "fields." + ids["text"]}, []string{code, field}, "the body's text check names the field")
	code, field = problem(t, w.api.As(w.ann).Do("PATCH", "/v1/issues/"+i.ID, map[string]any{"fields": map[string]any{"01J00000000000000000000000": "x"}}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"unknown_field", "fields.01J00000000000000000000000"}, []string{code, field})
	after := decode[issue.Issue](t, w.api.As(w.ann).Do("GET", "/v1/issues/"+i.ID, nil), http.StatusOK)
	assert.Equal(t, got.Version, after.Version, "refused writes change nothing")

	// A merge patch: null removes one value, others stay.
	p := decode[issue.Issue](t, w.api.As(w.ann).Do("PATCH", "/v1/issues/"+i.ID, map[string]any{"fields": map[string]any{ids["text"]: nil, ids["select"]: "S1"}}), http.StatusOK)
	assert.NotContains(t, p.Fields, ids["text"])
	assert.Equal(t, "S1", p.Fields[ids["select"]])
	assert.Equal(t, "2026-03-01", p.Fields[ids["date"]])
}

func anySlice(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	return nil
}

func TestCustomFieldDefinitions(t *testing.T) {
	w := newWorld(t)
	sev := w.field(t, map[string]any{"name": "Severity", "type": "select", "options": []string{"S1", "S2"}})
	for _, c := range []struct {
		body   map[string]any
		status int
		field  string
	}{
		{map[string]any{"name": "severity", "type": "text"}, 409, "name"},
		{map[string]any{"name": "", "type": "text"}, 400, "name"},
		{map[string]any{"name": "X", "type": "formula"}, 400, "type"},
		{map[string]any{"name": "X", "type": "select"}, 400, "options"},
		{map[string]any{"name": "X", "type": "text", "options": []string{"a"}}, 400, "options"},
		{map[string]any{"name": "X", "type": "select", "options": []string{"a", "A"}}, 400, "options"},
		{map[string]any{"name": "X"}, 400, "type"},
	} {
		_, field := problem(t, w.api.As(w.ada).Do("POST", "/v1/projects/default/fields", c.body), c.status)
		assert.Equal(t, c.field, field, c.body)
	}
	code, _ := problem(t, w.api.As(w.ann).Do("POST", "/v1/projects/default/fields", map[string]any{"name": "Y", "type": "text"}), http.StatusForbidden)
	assert.Equal(t, "role_forbidden", code)
	// Options are added, never removed; the type never changes.
	up := decode[issue.FieldDef](t, w.api.As(w.ada).Do("PATCH", "/v1/projects/default/fields/"+sev.ID, map[string]any{"name": "Sev", "options": []string{"S1", "S2", "S3"}}), http.StatusOK)
	assert.Equal(t, []string{"S1", "S2", "S3"}, up.Options)
	_, field := problem(t, w.api.As(w.ada).Do("PATCH", "/v1/projects/default/fields/"+sev.ID, map[string]any{"options": []string{"S1"}}), http.StatusBadRequest)
	assert.Equal(t, "options", field)
	_, field = problem(t, w.api.As(w.ada).Do("PATCH", "/v1/projects/default/fields/"+sev.ID, map[string]any{"type": "text"}), http.StatusBadRequest)
	assert.Equal(t, "type", field)
	// The old name is free again after a rename.
	w.field(t, map[string]any{"name": "Severity", "type": "text"})
	pg := decode[list.Page[issue.FieldDef]](t, w.api.As(w.ann).Do("GET", "/v1/projects/default/fields", nil), http.StatusOK)
	assert.Len(t, pg.Items, 2)

	// Another tenant: its default project has no such field; its fields
	// list of acme's project WEB is a 404 like a missing project.
	decode[map[string]any](t, w.api.As(w.ada).Do("POST", "/v1/projects", map[string]any{"key": "WEB", "name": "Web"}), http.StatusCreated)
	code, _ = problem(t, w.api.As(w.gus).Do("GET", "/v1/projects/WEB/fields", nil), http.StatusNotFound)
	code2, _ := problem(t, w.api.As(w.gus).Do("GET", "/v1/projects/NOPE/fields", nil), http.StatusNotFound)
	assert.Equal(t, code2, code)
	code, _ = problem(t, w.api.As(w.gus).Do("PATCH", "/v1/projects/default/fields/"+sev.ID, map[string]any{"name": "mine"}), http.StatusNotFound)
	assert.Equal(t, "field_not_found", code)
	gi := decode[issue.Issue](t, w.api.As(w.gus).Do("POST", "/v1/issues", map[string]any{"title": "theirs"}), http.StatusCreated)
	code, field = problem(t, w.api.As(w.gus).Do("PATCH", "/v1/issues/"+gi.ID, map[string]any{"fields": map[string]any{sev.ID: "S1"}}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"unknown_field", "fields." + sev.ID}, []string{code, field})
}

func TestCustomFieldFiltersAndSorts(t *testing.T) {
	w := newWorld(t)
	ids := w.fields(t)
	mk := func(title string, f map[string]any) string {
		return decode[issue.Issue](t, w.api.As(w.ann).Do("POST", "/v1/issues", map[string]any{"title": title, "fields": f}), http.StatusCreated).ID
	}
	a := mk("aa", map[string]any{ids["select"]: "S1", ids["number"]: 10, ids["multi_select"]: []string{"web"}})
	b := mk("bb", map[string]any{ids["select"]: "S2", ids["number"]: -3, ids["multi_select"]: []string{"ios", "web"}})
	c := mk("cc", map[string]any{ids["select"]: "S1", ids["number"]: 2.5})
	d := mk("dd", nil)
	titles := func(target string) []string {
		t.Helper()
		pg := decode[list.Page[issue.Issue]](t, w.api.As(w.ann).Do("GET", target, nil), http.StatusOK)
		var out []string
		for _, i := range pg.Items {
			out = append(out, i.Title)
		}
		return out
	}
	_ = []string{a, c, d}
	assert.Equal(t, []string{"cc", "aa"}, titles("/v1/issues?field."+ids["select"]+"=S1"))
	assert.Equal(t, []string{"dd"}, titles("/v1/issues?field."+ids["select"]+"=none"))
	assert.Equal(t, []string{"bb", "aa"}, titles("/v1/issues?field."+ids["multi_select"]+"=web"))
	assert.Equal(t, []string{"cc"}, titles("/v1/issues?field."+ids["number"]+"=2.5&project=default"))
	hits := decode[list.Page[issue.Hit]](t, w.api.As(w.ann).Do("GET", "/v1/search?q=bb&field."+ids["select"]+"=S2", nil), http.StatusOK)
	require.Len(t, hits.Items, 1)
	assert.Equal(t, b, hits.Items[0].Issue.ID)
	// Sorts: numbers by value, absent last in either order; a cursor pages.
	assert.Equal(t, []string{"bb", "cc", "aa", "dd"}, titles("/v1/issues?sort=field."+ids["number"]))
	assert.Equal(t, []string{"aa", "cc", "bb", "dd"}, titles("/v1/issues?sort=field."+ids["number"]+"&order=desc"))
	pg := decode[list.Page[issue.Issue]](t, w.api.As(w.ann).Do("GET", "/v1/issues?limit=3&sort=field."+ids["number"], nil), http.StatusOK)
	require.NotEmpty(t, pg.NextCursor)
	assert.Equal(t, []string{"dd"}, titles("/v1/issues?limit=3&sort=field."+ids["number"]+"&cursor="+pg.NextCursor))
	problem(t, w.api.As(w.ann).Do("GET", "/v1/issues?limit=3&sort=field."+ids["select"]+"&cursor="+pg.NextCursor, nil), http.StatusBadRequest)
	for _, bad := range []string{"/v1/issues?field.=x", "/v1/issues?field.bad%20id=x", "/v1/issues?sort=field.", "/v1/issues?fields=x"} {
		problem(t, w.api.As(w.ann).Do("GET", bad, nil), http.StatusBadRequest)
	}
	// A field that is none of the workspace's (a typo, another tenant's)
	// is a 400 naming the parameter, as a team or label filter naming
	// nothing is, with or without a project filter: never the empty list,
	// nor the list unsorted (both until audit11). Another tenant's field
	// answers as one that never existed.
	theirs := decode[customfield.Field](t, w.api.As(w.gus).Do("POST", "/v1/projects/default/fields", map[string]any{"name": "Theirs", "type": "number"}), http.StatusCreated)
	for _, id := range []string{"01NOSUCHFIELD0000000000000", theirs.ID} {
		for target, param := range map[string]string{
			"/v1/issues?field." + id + "=1":                    "field." + id,
			"/v1/issues?field." + id + "=1&project=default":    "field." + id,
			"/v1/issues?sort=field." + id:                      "sort",
			"/v1/issues?sort=field." + id + "&project=default": "sort",
			"/v1/search?q=bb&field." + id + "=1":               "field." + id,
		} {
			code, field := problem(t, w.api.As(w.ann).Do("GET", target, nil), http.StatusBadRequest)
			assert.Equal(t, []string{"validation_failed", param}, []string{code, field}, target)
		}
	}
	// A field of the workspace that matches nothing is still the empty list.
	assert.Empty(t, titles("/v1/issues?field."+ids["select"]+"=S3"))
}

// Deleting a field: Admins only, another tenant's or project's field is a
// 404; the field leaves the project at once (writes naming it are 422s, its
// name is free again) and issues' values of it are dropped by their next
// custom-field write.
func TestDeletingACustomField(t *testing.T) {
	w := newWorld(t)
	ids := w.fields(t)
	i := decode[issue.Issue](t, w.api.As(w.ann).Do("POST", "/v1/issues", map[string]any{"title": "x",
		"fields": map[string]any{ids["text"]: "Initech", ids["number"]: 3}}), http.StatusCreated)
	path := "/v1/projects/default/fields/" + ids["text"]

	code, _ := problem(t, w.api.As(w.ann).Do("DELETE", path, nil), http.StatusForbidden)
	assert.NotEmpty(t, code)
	for _, c := range []struct {
		name string
		as   tenancy.Principal
		path string
	}{
		{"another tenant's field", w.gus, path},
		{"a missing field", w.ada, "/v1/projects/default/fields/01J00000000000000000000000"},
		{"a missing project", w.ada, "/v1/projects/NOPE/fields/" + ids["text"]},
	} {
		problem(t, w.api.As(c.as).Do("DELETE", c.path, nil), http.StatusNotFound)
	}
	web := decode[map[string]any](t, w.api.As(w.ada).Do("POST", "/v1/projects", map[string]any{"key": "WEB", "name": "Web"}), http.StatusCreated)
	problem(t, w.api.As(w.ada).Do("DELETE", "/v1/projects/"+web["id"].(string)+"/fields/"+ids["text"], nil), http.StatusNotFound)

	require.Equal(t, http.StatusNoContent, w.api.As(w.ada).Do("DELETE", path, nil).Status)
	problem(t, w.api.As(w.ada).Do("DELETE", path, nil), http.StatusNotFound)
	left := decode[list.Page[issue.FieldDef]](t, w.api.As(w.ann).Do("GET", "/v1/projects/default/fields", nil), http.StatusOK)
	assert.Len(t, left.Items, 5)
	for _, f := range left.Items {
		assert.NotEqual(t, ids["text"], f.ID)
	}
	code, field := problem(t, w.api.As(w.ann).Do("PATCH", "/v1/issues/"+i.ID, map[string]any{"fields": map[string]any{ids["text"]: "Hooli"}}), http.StatusUnprocessableEntity)
	assert.Equal(t, []string{"unknown_field", "fields." + ids["text"]}, []string{code, field})
	w.field(t, map[string]any{"name": "Customer", "type": "text"}) // the name is free again

	got := decode[issue.Issue](t, w.api.As(w.ann).Do("PATCH", "/v1/issues/"+i.ID, map[string]any{"fields": map[string]any{ids["number"]: 4}}), http.StatusOK)
	assert.Equal(t, map[string]any{ids["number"]: 4.0}, got.Fields, "the deleted field's value is dropped by the next write")
}

// A field's PATCH and DELETE honour If-Match like the project's other
// versioned writes: a stale version is a 412 version_mismatch and changes
// nothing; a malformed one a 400 invalid_if_match; the current one (or
// none) goes through.
func TestFieldWritesHonourIfMatch(t *testing.T) {
	w := newWorld(t)
	ada := w.api.As(w.ada)
	f := w.field(t, map[string]any{"name": "Team", "type": "text"})
	path := "/v1/projects/default/fields/" + f.ID
	res := ada.Do("PATCH", path, map[string]any{"name": "Squad"}, "If-Match", `"1"`)
	up := decode[issue.FieldDef](t, res, http.StatusOK)
	assert.Equal(t, int64(2), up.Version)
	assert.Equal(t, `"2"`, res.Header.Get("ETag"))

	code, _ := problem(t, ada.Do("PATCH", path, map[string]any{"name": "Crew"}, "If-Match", `"1"`), http.StatusPreconditionFailed)
	assert.Equal(t, "version_mismatch", code)
	code, field := problem(t, ada.Do("PATCH", path, map[string]any{"name": "Crew"}, "If-Match", "1"), http.StatusBadRequest)
	assert.Equal(t, []string{"invalid_if_match", "If-Match"}, []string{code, field})
	code, _ = problem(t, ada.Do("DELETE", path, nil, "If-Match", `"1"`), http.StatusPreconditionFailed)
	assert.Equal(t, "version_mismatch", code)
	code, _ = problem(t, ada.Do("DELETE", path, nil, "If-Match", `W/"x"`), http.StatusBadRequest)
	assert.Equal(t, "invalid_if_match", code)
	assert.Equal(t, "Squad", w.fieldsByName(t)["Squad"].Name, "nothing changed")

	require.Equal(t, http.StatusNoContent, ada.Do("DELETE", path, nil, "If-Match", `"2"`).Status)
	assert.NotContains(t, w.fieldsByName(t), "Squad")
}

func (w *world) fieldsByName(t *testing.T) map[string]issue.FieldDef {
	t.Helper()
	out := map[string]issue.FieldDef{}
	for _, f := range decode[list.Page[issue.FieldDef]](t, w.api.As(w.ann).Do("GET", "/v1/projects/default/fields", nil), http.StatusOK).Items {
		out[f.Name] = f
	}
	return out
}
