package peopleapi_test

import (
	"net/http"
	"testing"

	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheSuperAdminsChangesAreAudited(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	u := w.invite("owner@acme.test", "audited@acme.test", roles.User)
	owner := w.as("owner@acme.test")
	require.Equal(t, http.StatusOK, owner.Do("PUT", "/v1/users/"+u.ID+"/role", map[string]any{"role": "admin"}).Status)
	require.Equal(t, http.StatusOK, owner.Do("POST", "/v1/users/"+u.ID+"/disable", nil).Status)
	refused := w.as("user@acme.test").Do("POST", "/v1/users", map[string]any{"email": "nope@acme.test", "role": "user"})
	require.Equal(t, http.StatusForbidden, refused.Status)

	root := w.api.As(tenancy.Principal{UserID: "root-1", Email: "root@provider.test", Role: roles.Root})
	res := root.Do("GET", "/v1/admin/tenants/acme/audit", nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var page struct {
		Records []struct {
			Action string `json:"action"`
			Actor  struct {
				Email string `json:"email"`
			} `json:"actor"`
			Detail map[string]string `json:"detail"`
		} `json:"items"`
	}
	res.JSON(t, &page)
	got := map[string]string{}
	for _, r := range page.Records {
		got[r.Action] = r.Actor.Email
		if r.Action == "people.changeUserRole" {
			assert.Equal(t, u.ID, r.Detail["user_id"], "the record names whom it changed")
		}
	}
	for _, action := range []string{"people.inviteUser", "people.changeUserRole", "people.disableUser"} {
		assert.Equal(t, "owner@acme.test", got[action], "%s is recorded with who did it", action)
	}
	assert.Len(t, got, 3, "a refused change records nothing: %v", got)
}
