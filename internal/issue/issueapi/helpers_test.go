package issueapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/require"
)

// world is two tenants on fresh tables: acme (ann: user, bob: user,
// ada: admin, team "core") and globex (gus: user).
type world struct {
	api           *apitest.API
	ann, bob, ada tenancy.Principal
	gus           tenancy.Principal
	dir           issuedb.Directory
	table         string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, names := testenv.Tables(t)
	ctx := context.Background()
	p := func(tenant, id string, r roles.Role) tenancy.Principal {
		require.NoError(t, peopledb.UserDB{DB: db}.Put(ctx, tenancy.Scope{Table: names.App(), TenantID: tenant}, people.User{ID: id, TenantID: tenant,
			Username: id, Email: id + "@" + tenant + ".test", Role: r, Status: people.UserActive}))
		return tenancy.Principal{TenantID: tenant, UserID: id, Username: id, Role: r, Tier: tiers.Standard, Table: names.App()}
	}
	w := &world{api: apitest.New(t, app.Deps{DB: db, Names: names, Now: time.Now}),
		ann: p("acme", "ann", roles.User), bob: p("acme", "bob", roles.User), ada: p("acme", "ada", roles.Admin),
		gus: p("globex", "gus", roles.User), dir: issuedb.Directory{DB: db}, table: names.App()}
	_, err := peopledb.TeamDB{UserDB: peopledb.UserDB{DB: db}}.Put(ctx, tenancy.Scope{Table: names.App(), TenantID: "acme"},
		people.Team{ID: "core", TenantID: "acme", Name: "Core"})
	require.NoError(t, err)
	return w
}

// create posts an issue as p and returns it.
func (w *world) create(t *testing.T, p tenancy.Principal, body map[string]any) issue.Issue {
	t.Helper()
	res := w.api.As(p).Do("POST", "/v1/issues", body)
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	var i issue.Issue
	res.JSON(t, &i)
	return i
}

func (w *world) label(t *testing.T, name string) issue.Label {
	t.Helper()
	res := w.api.As(w.ada).Do("POST", "/v1/labels", map[string]any{"name": name, "color": "#FF0000"})
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	var l issue.Label
	res.JSON(t, &l)
	return l
}

func ifMatch(v int64) string { return fmt.Sprintf(`"%d"`, v) }

// problem asserts a problem+json answer and returns its code and first field.
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

func list[T any](t *testing.T, c apitest.Caller, target string) page[T] {
	t.Helper()
	res := c.Do("GET", target, nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var p page[T]
	res.JSON(t, &p)
	return p
}
