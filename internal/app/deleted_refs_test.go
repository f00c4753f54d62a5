package app_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Writes that name an object deleted meanwhile (an issue, a label, a team,
// a cycle, a view) answer a 4xx problem+json naming the field or the path,
// and change nothing: a deleted object is as missing as one that never was.
func TestWritesNamingDeletedObjectsAreRefused(t *testing.T) {
	t.Parallel()
	w := apitest.NewWorld(t)
	c := w.SeedContent()
	acme := w.As("owner@acme.test")
	gone := func(path string, headers ...string) {
		t.Helper()
		res := acme.Do("DELETE", path, nil, headers...)
		require.Equal(t, http.StatusNoContent, res.Status, "DELETE %s: %s", path, res.Body)
	}
	issue := created(t, acme, "/v1/issues", map[string]any{"title": "to be deleted"})
	gone("/v1/issues/"+issue, "If-Match", `"1"`)
	label := created(t, acme, "/v1/labels", map[string]any{"name": "short-lived", "color": "#aabbcc"})
	gone("/v1/labels/" + label)
	team := created(t, acme, "/v1/teams", map[string]any{"name": "Short-lived team"})
	gone("/v1/teams/" + team)
	cyc := created(t, acme, "/v1/cycles", map[string]any{"name": "Short sprint", "project_id": "default", "starts_on": "2099-08-01", "ends_on": "2099-08-14"})
	gone("/v1/cycles/" + cyc)
	view := created(t, acme, "/v1/views", map[string]any{"name": "Short view"})
	gone("/v1/views/" + view)
	before := tables(t, w)

	live := "/v1/issues/" + c["issueId"]
	for _, p := range []struct {
		method, path string
		body         any
		headers      []string
	}{
		{"POST", "/v1/issues", map[string]any{"title": "x", "labels": []string{label}}, nil},
		{"POST", "/v1/issues", map[string]any{"title": "x", "parent_id": issue}, nil},
		{"POST", "/v1/issues", map[string]any{"title": "x", "team_id": team}, nil},
		{"POST", "/v1/issues", map[string]any{"title": "x", "cycle_id": cyc}, nil},
		{"PATCH", live, map[string]any{"labels": []string{label}}, []string{"If-Match", "*"}},
		{"PATCH", live, map[string]any{"team_id": team}, []string{"If-Match", "*"}},
		{"PATCH", live, map[string]any{"cycle_id": cyc}, []string{"If-Match", "*"}},
		{"PATCH", live, map[string]any{"parent_id": issue}, []string{"If-Match", "*"}},
		{"POST", live + "/relations", map[string]any{"type": "blocks", "issue_id": issue}, nil},
		{"POST", "/v1/issues/" + issue + "/comments", map[string]any{"body": "hello"}, nil},
		{"PATCH", "/v1/issues/" + issue, map[string]any{"title": "back?"}, []string{"If-Match", "*"}},
		{"POST", "/v1/issues/" + issue + "/transitions", map[string]any{"to": "done"}, nil},
		{"PATCH", "/v1/labels/" + label, map[string]any{"name": "again"}, nil},
		{"PATCH", "/v1/teams/" + team, map[string]any{"name": "again"}, []string{"If-Match", "*"}},
		{"PATCH", "/v1/cycles/" + cyc, map[string]any{"name": "again"}, []string{"If-Match", "*"}},
		{"PATCH", "/v1/views/" + view, map[string]any{"name": "again"}, nil},
		{"PUT", "/v1/teams/" + team + "/members/" + w.Users["user@acme.test"].ID, nil, nil},
		{"PUT", "/v1/issues/" + issue + "/watchers/me", nil, nil},
		{"POST", "/v1/issues/bulk", map[string]any{"issues": []any{map[string]any{"id": c["issueId"]}}, "changes": map[string]any{"cycle_id": cyc}}, nil},
		{"POST", "/v1/issues/bulk", map[string]any{"issues": []any{map[string]any{"id": c["issueId"]}}, "changes": map[string]any{"team_id": team}}, nil},
	} {
		t.Run(fmt.Sprintf("%s %s %v", p.method, p.path, p.body), func(t *testing.T) {
			res := acme.Do(p.method, p.path, p.body, p.headers...)
			if p.path == "/v1/issues/bulk" && res.Status == http.StatusOK {
				// bulk answers per issue
				assert.Contains(t, string(res.Body), `"status":4`, "%s", res.Body)
				return
			}
			assert.GreaterOrEqual(t, res.Status, 400, "%s", res.Body)
			assert.Less(t, res.Status, 500, "%s", res.Body)
			assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"), "%d %s", res.Status, res.Body)
		})
	}
	after := tables(t, w)
	assert.Equal(t, before, after, "a refused write changed the tables")
}
