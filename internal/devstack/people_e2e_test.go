package devstack_test

import (
	"testing"

	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue #4's "done when", through real tokens, the local gateway and the
// authorizer: the demo Super Admin invites a user, the user accepts the
// invitation and signs in, an Admin puts them on a team, they see it,
// and a team issue shows in their issue list (the issues API on main).
func TestInviteSignInAndTeamEndToEnd(t *testing.T) {
	t.Parallel()
	w := startPlatform(t)
	ctx, pl, pools, call := w.ctx, w.pl, w.pools, w.call
	login := w.tenantLogin
	owner, admin, user := login("owner@acme.test"), login("admin@acme.test"), login("user@acme.test")

	newbie := "newbie@" + w.prefix + ".acme.test"
	box := testenv.NewMailbox(t, newbie)
	status, invited := call("POST", "/v1/users", owner, map[string]any{"email": newbie, "role": "user", "display_name": "Newbie"})
	require.Equal(t, 201, status, invited)
	id := invited["id"].(string)

	t.Run("a User cannot invite, change roles or manage teams", func(t *testing.T) {
		for _, c := range []struct{ method, path string }{
			{"POST", "/v1/users"}, {"PUT", "/v1/users/" + id + "/role"}, {"POST", "/v1/teams"},
			{"PUT", "/v1/teams/x/members/" + id},
		} {
			status, body := call(c.method, c.path, user, map[string]any{})
			assert.Equal(t, 403, status, c)
			assert.Equal(t, "role_forbidden", body["code"])
		}
	})
	// The platform mails the invitation (mailpit): a temporary password and
	// the workspace's sign-in page.
	inv := box.Next("You're invited to Acme Corp on IssueTracker")
	assert.Contains(t, inv.Text, pl.GatewayURL+"/w/acme/signin")
	tok, err := cognitotest.SignIn(ctx, pools.C, pl.TenantClientID, newbie, inv.TemporaryPassword(), "Newbie-Passw0rd!", nil)
	require.NoError(t, err, "the invited user signs in and chooses a password")
	newbieTok := tok.IDToken

	t.Run("the invited user is a member of acme with the invited role", func(t *testing.T) {
		status, me := call("GET", "/v1/me", newbieTok, nil)
		require.Equal(t, 200, status, me)
		assert.Equal(t, "acme", me["tenant"].(map[string]any)["id"])
		assert.Equal(t, "user", me["user"].(map[string]any)["role"])
		assert.Equal(t, "Newbie", me["user"].(map[string]any)["display_name"])
	})
	t.Run("an Admin puts them on a team and they see it", func(t *testing.T) {
		status, team := call("POST", "/v1/teams", admin, map[string]any{"name": "Support"})
		require.Equal(t, 201, status, team)
		teamID := team["id"].(string)
		status, body := call("PUT", "/v1/teams/"+teamID+"/members/"+id, admin, nil)
		require.Equal(t, 200, status, body)
		status, mine := call("GET", "/v1/users/"+id+"/teams", newbieTok, nil)
		require.Equal(t, 200, status, mine)
		items := mine["items"].([]any)
		require.Len(t, items, 1)
		assert.Equal(t, teamID, items[0].(map[string]any)["team_id"])

		status, iss := call("POST", "/v1/issues", admin, map[string]any{"title": "Answer the support queue", "team_id": teamID})
		require.Equal(t, 201, status, iss)
		status, list := call("GET", "/v1/issues?team="+teamID, newbieTok, nil)
		require.Equal(t, 200, status, list)
		issues := list["items"].([]any)
		require.Len(t, issues, 1, "the team's issue shows in the new member's list")
		assert.Equal(t, iss["id"], issues[0].(map[string]any)["id"])
	})
	t.Run("globex's Super Admin gets 404 for acme's new user", func(t *testing.T) {
		status, _ := call("GET", "/v1/users/"+id, login("owner@globex.test"), nil)
		assert.Equal(t, 404, status)
	})
}
