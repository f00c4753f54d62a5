package app_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
)

var param = regexp.MustCompile(`\{[^}]+\}`)

// Every route × every caller, generated from the route table: a caller the
// matrix allows is never refused for their role, and a caller it refuses
// always is (403 role_forbidden; 401 without a token). Handlers run for real
// on DynamoDB Local and cognito-local, so an allowed call may still be a
// 400 or 404 for the made-up path and empty body: only the role verdict is
// asserted here; behaviour is tested with each domain.
func TestEveryRouteAgainstEveryRole(t *testing.T) {
	t.Parallel()
	db, names := testenv.Tables(t)
	api := apitest.New(t, app.Deps{DB: db, Cognito: cognito.Pools{C: testenv.Cognito(t)}, Names: names})
	principal := func(r roles.Role) *tenancy.Principal {
		switch {
		case r == "":
			return nil
		case r == roles.Root:
			return &tenancy.Principal{UserID: "root-1", Username: "root", Role: roles.Root}
		}
		return &tenancy.Principal{TenantID: "matrix", UserID: "u-" + string(r), Username: string(r),
			Role: r, Tier: tiers.Standard, Table: names.App()}
	}
	for _, rt := range routes.All() {
		path := param.ReplaceAllString(rt.Path, "unknown-id")
		for _, c := range routes.Callers {
			allowed := rt.Access.AllowsCaller(c)
			verdict := "is refused"
			if allowed {
				verdict = "is allowed"
			}
			t.Run(routes.CallerName(c)+" "+verdict+" "+rt.Method+" "+rt.Path, func(t *testing.T) {
				caller := api.Anonymous()
				if p := principal(c); p != nil {
					caller = api.As(*p)
				}
				res := caller.Do(rt.Method, path, nil)
				code := ""
				if res.Header.Get("Content-Type") == "application/problem+json" {
					code, _ = res.Map(t)["code"].(string)
				}
				switch {
				case allowed:
					assert.NotEqual(t, http.StatusUnauthorized, res.Status, string(res.Body))
					assert.NotEqual(t, "role_forbidden", code, string(res.Body))
				case c == "":
					assert.Equal(t, http.StatusUnauthorized, res.Status, string(res.Body))
				default:
					assert.Equal(t, http.StatusForbidden, res.Status, string(res.Body))
					assert.Equal(t, "role_forbidden", code)
				}
			})
		}
	}
}
