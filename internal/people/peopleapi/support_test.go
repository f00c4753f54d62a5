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

// Granting support access while a grant is active renews it: the new grant
// replaces the old, its expiry the new hours from now (later or earlier
// than the old one's, never past 72 hours from now), its granter the
// caller; the tenant's audit log records each grant with its expiry, and a
// renewal with the expiry it replaced.
func TestGrantingSupportAccessAgainRenewsIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	second := w.seed("second-owner@acme.test", "acme", roles.SuperAdmin)
	grant := func(email string, hours int) (until time.Time, body map[string]any) {
		t.Helper()
		before := time.Now()
		res := w.as(email).Do("PUT", "/v1/settings/support-access", map[string]any{"hours": hours})
		after := time.Now()
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		body = res.Map(t)
		until, err := time.Parse(time.RFC3339Nano, body["until"].(string))
		require.NoError(t, err)
		d := time.Duration(hours) * time.Hour
		assert.WithinRange(t, until, before.Add(d).Truncate(time.Second), after.Add(d), "the expiry is %d hours from the grant", hours)
		return until, body
	}
	first, _ := grant("owner@acme.test", 2)
	renewed, body := grant("second-owner@acme.test", 72)
	assert.True(t, renewed.After(first), "a longer renewal moves the expiry on")
	assert.Equal(t, second.ID, body["granted_by"], "the renewal's granter is the caller")
	shortened, body := grant("owner@acme.test", 1)
	assert.True(t, shortened.Before(renewed), "a shorter renewal brings the expiry in: the grant is the last one's, not a sum")
	assert.Equal(t, w.users["owner@acme.test"].ID, body["granted_by"])

	got := w.as("owner@acme.test").Do("GET", "/v1/settings/support-access", nil).Map(t)
	assert.Equal(t, true, got["granted"])
	assert.Equal(t, shortened.Format(time.RFC3339Nano), got["until"], "the grant in force is the last one")

	root := w.api.As(tenancy.Principal{UserID: "root-1", Email: "root@provider.test", Role: roles.Root})
	res := root.Do("GET", "/v1/admin/tenants/acme/audit", nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var page struct {
		Records []struct {
			Action string            `json:"action"`
			Detail map[string]string `json:"detail"`
		} `json:"items"`
	}
	res.JSON(t, &page)
	var grants []map[string]string
	for _, r := range page.Records {
		if r.Action == "people.grantSupportAccess" {
			grants = append(grants, r.Detail)
		}
	}
	require.Len(t, grants, 3, "each grant is recorded")
	byUntil := map[string]map[string]string{}
	for _, d := range grants {
		byUntil[d["until"]] = d
	}
	at := func(ts time.Time) string { return ts.UTC().Format(time.RFC3339) }
	require.Contains(t, byUntil, at(first))
	assert.NotContains(t, byUntil[at(first)], "renewed_until", "the first grant renews nothing")
	require.Contains(t, byUntil, at(renewed))
	assert.Equal(t, at(first), byUntil[at(renewed)]["renewed_until"])
	require.Contains(t, byUntil, at(shortened))
	assert.Equal(t, at(renewed), byUntil[at(shortened)]["renewed_until"])
}
