package peopleapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRootSupport(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	root := w.api.As(tenancy.Principal{UserID: "root-1", Username: "root@provider.test", Role: roles.Root})
	t.Run("Root lists and reads any tenant's users", func(t *testing.T) {
		res := root.Do("GET", "/v1/admin/tenants/globex/users", nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		assert.Len(t, res.Map(t)["items"], 2)
		u := w.users["user@acme.test"]
		assert.Equal(t, "user@acme.test", root.Do("GET", "/v1/admin/tenants/acme/users/"+u.ID, nil).Map(t)["email"])
		assert.Equal(t, http.StatusNotFound, root.Do("GET", "/v1/admin/tenants/globex/users/"+u.ID, nil).Status, "acme's user is not globex's")
		assert.Equal(t, http.StatusNotFound, root.Do("GET", "/v1/admin/tenants/nope/users", nil).Status)
	})
	t.Run("a tenant without data (offboarded, or not provisioned yet) has none to show: 404, not 500", func(t *testing.T) {
		for _, path := range []string{"/v1/admin/tenants/gone/users", "/v1/admin/tenants/gone/users/u-1", "/v1/admin/tenants/gone/support-access"} {
			res := root.Do("GET", path, nil)
			assert.Equal(t, http.StatusNotFound, res.Status, path+": "+string(res.Body))
			assert.Equal(t, "tenant_data_not_found", res.Map(t)["code"], path)
		}
	})
	t.Run("support access is off until a Super Admin grants it, for a bounded time, and revocable", func(t *testing.T) {
		granted := func() bool {
			ok, err := (&people.Service{Users: w.dir}).SupportAccessGranted(context.Background(), tenancy.Scope{Table: w.names.App(), TenantID: "acme"}, time.Now())
			require.NoError(t, err)
			return ok
		}
		assert.False(t, granted())
		assert.Equal(t, false, root.Do("GET", "/v1/admin/tenants/acme/support-access", nil).Map(t)["granted"])
		res := w.as("owner@acme.test").Do("PUT", "/v1/settings/support-access", map[string]any{"hours": 100})
		assert.Equal(t, http.StatusBadRequest, res.Status)
		res = w.as("owner@acme.test").Do("PUT", "/v1/settings/support-access", map[string]any{"hours": 2})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		assert.True(t, granted())
		assert.Equal(t, true, root.Do("GET", "/v1/admin/tenants/acme/support-access", nil).Map(t)["granted"])
		assert.False(t, func() bool {
			ok, _ := (&people.Service{Users: w.dir}).SupportAccessGranted(context.Background(), tenancy.Scope{Table: w.names.App(), TenantID: "acme"}, time.Now().Add(3*time.Hour))
			return ok
		}(), "the grant expires")
		require.Equal(t, http.StatusOK, w.as("owner@acme.test").Do("DELETE", "/v1/settings/support-access", nil).Status)
		assert.False(t, granted())
	})
	t.Run("an Admin cannot grant support access", func(t *testing.T) {
		assert.Equal(t, http.StatusForbidden, w.as("admin@acme.test").Do("PUT", "/v1/settings/support-access", map[string]any{"hours": 1}).Status)
	})
}
