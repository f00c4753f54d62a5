package issueapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/issue"
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

// meteredWorld is acme (ann, bob, cat, ada the admin; teams core and web, ann in core) on
// fresh tables whose DynamoDB client counts round trips.
func meteredWorld(t *testing.T) (*apitest.API, *meter, map[string]tenancy.Principal) {
	t.Helper()
	_, names := testenv.Tables(t)
	cfg, e := testenv.AWS(t)
	m := &meter{next: awshttp.NewBuildableClient()}
	cfg.HTTPClient = m
	cfg.APIOptions = append(cfg.APIOptions, m.countOperations)
	db := awsx.DynamoDB(cfg, e)
	ctx := context.Background()
	users := map[string]tenancy.Principal{}
	acme := tenancy.Scope{Table: names.App(), TenantID: "acme"}
	for u, r := range map[string]roles.Role{"ann": roles.User, "bob": roles.User, "cat": roles.User, "ada": roles.Admin} {
		require.NoError(t, peopledb.UserDB{DB: db}.Put(ctx, acme, people.User{ID: u, TenantID: "acme", Username: u,
			Email: u + "@acme.test", Role: r, Status: people.UserActive}))
		users[u] = tenancy.Principal{TenantID: "acme", UserID: u, Username: u, Role: r, Tier: tiers.Standard, Table: names.App()}
	}
	teams := peopledb.TeamDB{UserDB: peopledb.UserDB{DB: db}}
	for _, team := range []string{"core", "web"} {
		_, err := teams.Put(ctx, acme, people.Team{ID: team, TenantID: "acme", Name: team})
		require.NoError(t, err)
	}
	_, err := teams.AddMember(ctx, acme,
		people.Member{TeamID: "core", UserID: "ann", AddedAt: time.Now()})
	require.NoError(t, err)
	// The control table (the route guard's read of the tenant's home, at
	// most once a second per process) has its own, unmetered client: the
	// meter counts what a list costs in the tenant's data.
	control, ce := testenv.AWS(t)
	return apitest.New(t, app.Deps{DB: db, ControlDB: awsx.DynamoDB(control, ce), Names: names, Now: time.Now}), m, users
}

// pageAll pages through target with limit 4 and returns the ids in order,
// failing on an id seen twice.
func pageAll(t *testing.T, c apitest.Caller, target string) []string {
	t.Helper()
	ids := []string{}
	cursor := ""
	for range 50 {
		p := list[issue.Issue](t, c, target+"&limit=4&cursor="+url.QueryEscape(cursor))
		for _, i := range p.Items {
			require.NotContains(t, ids, i.ID, "an issue came twice")
			ids = append(ids, i.ID)
		}
		if cursor = p.NextCursor; cursor == "" {
			return ids
		}
	}
	t.Fatal("too many pages")
	return nil
}

func TestIndexedFilters(t *testing.T) {
	t.Parallel()
	api, m, u := meteredWorld(t)
	ann := api.As(u["ann"])
	type made struct {
		id             string
		assignee, team string
		status         issue.Status
		priority       string
	}
	var all []made // oldest first
	assignees, teams := []string{"", "ann", "bob", "cat", "bob"}, []string{"", "core", "web"}
	for k := range 30 {
		body := map[string]any{"title": fmt.Sprintf("issue %d", k)}
		mk := made{assignee: assignees[k%5], status: issue.Open, priority: []string{"high", "medium", "low", "urgent"}[k%4]}
		body["priority"] = mk.priority
		if mk.assignee == "" { // an issue is assigned to a user or a team, not both
			mk.team = teams[k%3]
		}
		if mk.assignee != "" {
			body["assignee_id"] = mk.assignee
		}
		if mk.team != "" {
			body["team_id"] = mk.team
		}
		res := ann.Do("POST", "/v1/issues", body)
		require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
		mk.id = res.Map(t)["id"].(string)
		if k%4 == 1 {
			mk.status = issue.InProgress
			require.Equal(t, http.StatusOK, ann.Do("POST", "/v1/issues/"+mk.id+"/transitions", `{"to":"in_progress"}`).Status)
		}
		all = append(all, mk)
	}
	// want lists the ids matching pred, most recently updated first.
	want := func(pred func(made) bool) []string {
		var ids []string
		for _, mk := range slices.Backward(all) {
			if pred(mk) {
				ids = append(ids, mk.id)
			}
		}
		return ids
	}
	// Transitions update an issue after later ones were created: order by
	// the unfiltered list instead of creation.
	order := pageAll(t, ann, "/v1/issues?sort=updated")
	byUpdate := func(pred func(made) bool) []string {
		set := want(pred)
		return slices.DeleteFunc(slices.Clone(order), func(id string) bool { return !slices.Contains(set, id) })
	}
	cases := []struct {
		query string
		pred  func(made) bool
	}{
		{"assignee=bob", func(mk made) bool { return mk.assignee == "bob" }},
		{"assignee=me", func(mk made) bool { return mk.assignee == "ann" }},
		{"assignee=none", func(mk made) bool { return mk.assignee == "" }},
		{"assignee=cat,none", func(mk made) bool { return mk.assignee == "cat" || mk.assignee == "" }},
		{"team=core", func(mk made) bool { return mk.team == "core" }},
		{"team=core,web", func(mk made) bool { return mk.team != "" }},
		{"team=mine", func(mk made) bool { return mk.team == "core" }},
		{"status=in_progress", func(mk made) bool { return mk.status == issue.InProgress }},
		{"status=open,in_progress", func(mk made) bool { return true }},
		{"category=started", func(mk made) bool { return mk.status == issue.InProgress }},
		{"category=unstarted&status=in_progress", func(made) bool { return false }},
		{"assignee=bob&status=open", func(mk made) bool { return mk.assignee == "bob" && mk.status == issue.Open }},
		{"team=web&category=unstarted", func(mk made) bool { return mk.team == "web" && mk.status == issue.Open }},
		{"priority=high", func(mk made) bool { return mk.priority == "high" }},
		{"priority=urgent,low,urgent", func(mk made) bool { return mk.priority == "urgent" || mk.priority == "low" }},
		{"priority=medium&category=started", func(mk made) bool { return mk.priority == "medium" && mk.status == issue.InProgress }},
	}
	for _, c := range cases {
		t.Run("paging "+c.query+" returns exactly its issues once, newest update first", func(t *testing.T) {
			assert.Equal(t, byUpdate(c.pred), pageAll(t, ann, "/v1/issues?sort=updated&"+c.query))
		})
		t.Run("paging "+c.query+" oldest first returns the same issues reversed", func(t *testing.T) {
			got := pageAll(t, ann, "/v1/issues?sort=updated&order=asc&"+c.query)
			slices.Reverse(got)
			assert.Equal(t, byUpdate(c.pred), got)
		})
	}
	t.Run("a caller in no team gets no issues for team=mine", func(t *testing.T) {
		assert.Empty(t, list[issue.Issue](t, api.As(u["bob"]), "/v1/issues?team=mine").Items)
	})
	t.Run("team=mine with another team id selects both", func(t *testing.T) {
		got := pageAll(t, api.As(u["bob"]), "/v1/issues?team=mine,web")
		assert.ElementsMatch(t, want(func(mk made) bool { return mk.team == "web" }), got)
	})

	calls := func(target string) int64 {
		m.reset()
		list[issue.Issue](t, ann, target)
		return m.calls.Load()
	}
	t.Run("a page of one indexed value costs one Query", func(t *testing.T) {
		for _, q := range []string{"assignee=bob", "team=web", "status=in_progress", "assignee=bob&priority=medium", "priority=high"} {
			assert.EqualValues(t, 1, calls("/v1/issues?limit=5&"+q), q)
		}
	})
	t.Run("a page of several values costs one Query per value, in parallel", func(t *testing.T) {
		// A category also reads the tenant's stored workflows (one Query):
		// their custom statuses of the category are partitions too.
		assert.EqualValues(t, 3, calls("/v1/issues?limit=5&category=started"), "workflows, then in_progress and in_review")
		assert.EqualValues(t, 3, calls("/v1/issues?limit=5&assignee=ann,bob,cat"))
		assert.EqualValues(t, 2, calls("/v1/issues?limit=5&priority=high,urgent"), "a prefix of gsi3 per priority")
	})
	t.Run("team=mine costs the membership Query and one per team", func(t *testing.T) {
		assert.EqualValues(t, 2, calls("/v1/issues?limit=5&team=mine"))
	})
	t.Run("a contradictory status and category costs nothing", func(t *testing.T) {
		assert.EqualValues(t, 0, calls("/v1/issues?category=completed&status=open"))
	})

	moved := all[2] // bob's, open
	require.Equal(t, "bob", moved.assignee)
	inList := func(c apitest.Caller, q string) bool {
		return slices.Contains(pageAll(t, c, "/v1/issues?sort=updated&"+q), moved.id)
	}
	t.Run("a reassigned issue moves from the old assignee's index to the new one's", func(t *testing.T) {
		require.Equal(t, http.StatusOK, ann.Do("PATCH", "/v1/issues/"+moved.id, `{"assignee_id":"cat"}`).Status)
		assert.False(t, inList(ann, "assignee=bob"))
		assert.True(t, inList(ann, "assignee=cat"))
	})
	t.Run("an issue handed to a team moves to the team's index", func(t *testing.T) {
		require.Equal(t, http.StatusOK, ann.Do("PATCH", "/v1/issues/"+moved.id, `{"assignee_id":null,"team_id":"core"}`).Status)
		assert.False(t, inList(ann, "assignee=cat"))
		assert.True(t, inList(ann, "team=core"))
		assert.True(t, inList(ann, "team=mine"))
		assert.True(t, inList(ann, "assignee=none"))
	})
	t.Run("a transitioned issue moves to its new status's index", func(t *testing.T) {
		require.Equal(t, http.StatusOK, ann.Do("POST", "/v1/issues/"+moved.id+"/transitions", `{"to":"in_progress"}`).Status)
		assert.False(t, inList(ann, "status=open"))
		assert.True(t, inList(ann, "status=in_progress"))
		assert.True(t, inList(ann, "category=started"))
	})
	t.Run("a deleted issue leaves every index", func(t *testing.T) {
		require.Equal(t, http.StatusNoContent, api.As(u["ada"]).Do("DELETE", "/v1/issues/"+moved.id, nil).Status)
		for _, q := range []string{"assignee=none", "team=core", "team=mine", "status=in_progress", "category=started", "assignee=cat"} {
			assert.False(t, inList(ann, q), q)
		}
	})
}

// TestIndexedFilterCostDoesNotGrowWithTheTenant compares the filter indexes
// with the sort-index path on a tenant where the filter is selective.
func TestIndexedFilterCostDoesNotGrowWithTheTenant(t *testing.T) {
	t.Parallel()
	api, m, u := meteredWorld(t)
	ann := api.As(u["ann"])
	for k := range 520 {
		body := map[string]any{"title": fmt.Sprintf("issue %d", k)}
		if k%100 == 0 {
			body["assignee_id"] = "bob"
		}
		require.Equal(t, http.StatusCreated, ann.Do("POST", "/v1/issues", body).Status)
	}
	calls := func(target string) (int64, page[issue.Issue]) {
		m.reset()
		p := list[issue.Issue](t, ann, target)
		return m.calls.Load(), p
	}
	t.Run("bob's 6 of 520 issues come in one Query through his index", func(t *testing.T) {
		n, p := calls("/v1/issues?assignee=bob&limit=25")
		assert.EqualValues(t, 1, n)
		assert.Len(t, p.Items, 6)
		assert.Empty(t, p.NextCursor)
	})
	t.Run("sorted by creation they come through the sort index, one page beyond the first at most", func(t *testing.T) {
		n, p := calls("/v1/issues?assignee=bob&limit=25&sort=created")
		assert.EqualValues(t, 2, n)
		assert.NotEmpty(t, p.NextCursor, "a short page after the read budget")
	})
}
