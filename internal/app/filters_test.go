package app_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/oklog/ulid/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A filter of the issue list or the search that names nothing in the
// workspace (an unknown id, another tenant's, a deleted one: alike) is a
// 400 problem+json naming the parameter, as a label name or a project key
// it cannot resolve is: never the empty list, which reads as "no issue
// matches" (README, "Query parameters"). An id the workspace holds that
// selects no issue answers the empty list. Before, ?team=, ?cycle=,
// ?assignee=, and the ids of ?project= and ?label= answered an empty 200
// for any well-formed id; ?status= for any status until audit11.
func TestListFiltersNamingNothingAreRefused(t *testing.T) {
	t.Parallel()
	w := apitest.NewWorld(t)
	c := w.SeedContent()
	acme, globex := w.As("owner@acme.test"), w.As("owner@globex.test")
	others := map[string]string{
		"team":     created(t, globex, "/v1/teams", map[string]any{"name": "Globex team"}),
		"label":    created(t, globex, "/v1/labels", map[string]any{"name": "globex-only", "color": "#aabbcc"}),
		"project":  created(t, globex, "/v1/projects", map[string]any{"key": "GLOB", "name": "Globex project"}),
		"cycle":    created(t, globex, "/v1/cycles", map[string]any{"name": "Globex sprint", "project_id": "default", "starts_on": "2099-07-01", "ends_on": "2099-07-14"}),
		"assignee": w.Principal("owner@globex.test").UserID,
	}
	deletedTeam := created(t, acme, "/v1/teams", map[string]any{"name": "Short-lived"})
	res := acme.Do("DELETE", "/v1/teams/"+deletedTeam, nil)
	require.Equal(t, http.StatusNoContent, res.Status, "%s", res.Body)
	unknown := ulid.Make().String()

	type probe struct{ name, param, value string }
	var probes []probe
	for param, id := range others {
		probes = append(probes, probe{"another tenant's " + param, param, id}, probe{"an unknown " + param, param, unknown})
	}
	probes = append(probes, probe{"a deleted team", "team", deletedTeam},
		// a status of no workflow of the workspace (since audit11)
		probe{"an unknown status", "status", "nosuchstatus"})
	for _, route := range []string{"/v1/issues", "/v1/search"} {
		for _, p := range probes {
			t.Run(route+"/"+p.name, func(t *testing.T) {
				q := url.Values{p.param: {p.value}}
				if route == "/v1/search" {
					q.Set("q", "zebra")
				}
				res := acme.Do("GET", route+"?"+q.Encode(), nil)
				require.Equal(t, http.StatusBadRequest, res.Status, "%s", res.Body)
				assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
				errs, _ := res.Map(t)["errors"].([]any)
				require.Len(t, errs, 1, "%s", res.Body)
				assert.Equal(t, p.param, errs[0].(map[string]any)["field"], "%s", res.Body)
			})
		}
		// acme's own: a team of no issue, the seeded cycle and label, the caller
		for param, id := range map[string]string{"team": c["teamId"], "cycle": c["cycleId"], "label": c["labelId"], "project": "default",
			"assignee": w.Principal("user@acme.test").UserID, "status": "in_review"} {
			q := url.Values{param: {id}}
			if route == "/v1/search" {
				q.Set("q", "zebra")
			}
			res := acme.Do("GET", route+"?"+q.Encode(), nil)
			assert.Equal(t, http.StatusOK, res.Status, "%s %s=%s: %s", route, param, id, res.Body)
		}
	}
}

// created POSTs body to path as caller and answers the new object's id
// (201 required).
func created(t *testing.T, caller apitest.Caller, path string, body any) string {
	t.Helper()
	res := caller.Do("POST", path, body)
	require.Equal(t, http.StatusCreated, res.Status, "%s: %s", path, res.Body)
	return res.Map(t)["id"].(string)
}
