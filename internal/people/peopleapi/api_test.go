package peopleapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetMe(t *testing.T) {
	t.Parallel()
	db, names := testenv.Tables(t)
	ctx := context.Background()
	now := time.Now().UTC()
	require.NoError(t, tenantdb.New(db, names).Create(ctx, tenant.Tenant{ID: "acme", Name: "Acme Corp",
		Tier: tiers.Standard, Status: tenant.StatusActive, Table: names.App(), CreatedAt: now, UpdatedAt: now}))
	require.NoError(t, peopledb.UserDB{DB: db}.Put(ctx, tenancy.Scope{Table: names.App(), TenantID: "acme"}, people.User{ID: "u-1", TenantID: "acme",
		Username: "ann", Email: "ann@acme.test", DisplayName: "Ann", Role: roles.Admin, Status: people.UserActive}))
	api := apitest.New(t, app.Deps{DB: db, Names: names})
	ann := tenancy.Principal{TenantID: "acme", UserID: "u-1", Username: "ann", Email: "ann@acme.test",
		Role: roles.Admin, Tier: tiers.Standard, Table: names.App()}

	t.Run("a tenant user sees their user, tenant and tier limits", func(t *testing.T) {
		res := api.As(ann).Do("GET", "/v1/me", nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		var me people.Me
		res.JSON(t, &me)
		assert.Equal(t, "ann", me.User.Username)
		assert.Equal(t, "Ann", me.User.DisplayName)
		assert.Equal(t, "admin", me.User.Role)
		assert.Equal(t, "Acme Corp", me.Tenant.Name)
		assert.Equal(t, tiers.MustGet(tiers.Standard), me.Limits)
	})
	t.Run("an anonymous call is a 401 problem", func(t *testing.T) {
		res := api.Anonymous().Do("GET", "/v1/me", nil)
		assert.Equal(t, http.StatusUnauthorized, res.Status)
		assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
		assert.Equal(t, "unauthenticated", res.Map(t)["code"])
	})
	t.Run("a root user may not call a tenant route", func(t *testing.T) {
		res := api.As(tenancy.Principal{UserID: "r", Role: roles.Root}).Do("GET", "/v1/me", nil)
		assert.Equal(t, http.StatusForbidden, res.Status)
	})
	t.Run("a tenant user may not call a root route", func(t *testing.T) {
		res := api.As(ann).Do("GET", "/v1/admin/me", nil)
		assert.Equal(t, http.StatusForbidden, res.Status)
		assert.Equal(t, "role_forbidden", res.Map(t)["code"])
	})
}

// Issue 9 item 11: /v1/me and /v1/users show one identity. The authorizer's
// principal carries the token's cognito:username, which is the sub in pools
// that sign in by email; both answers come from the directory record.
func TestMeAndTheUserListShowOneIdentity(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	u := w.users["user@acme.test"]
	p := tenancy.Principal{TenantID: "acme", UserID: u.ID, Username: u.ID /* what Cognito puts in cognito:username */, Email: u.Email,
		Role: roles.User, Tier: tiers.Standard, Table: w.names.App()}
	var me people.Me
	res := w.api.As(p).Do("GET", "/v1/me", nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	res.JSON(t, &me)
	var listed people.User
	w.api.As(p).Do("GET", "/v1/users/"+u.ID, nil).JSON(t, &listed)
	assert.Equal(t, listed.ID, me.User.ID)
	assert.Equal(t, listed.Username, me.User.Username)
	assert.Equal(t, listed.Email, me.User.Email)
	assert.Equal(t, "user@acme.test", me.User.Username, "the username is the email, not the sub")
}
