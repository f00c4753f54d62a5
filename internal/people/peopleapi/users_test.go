package peopleapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInviteUser(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()

	t.Run("a Super Admin invites a user who then signs in with the invitation", func(t *testing.T) {
		u := w.invite("owner@acme.test", "new@acme.test", roles.Admin)
		assert.Equal(t, "acme", u.TenantID)
		assert.Equal(t, roles.Admin, u.Role)
		assert.Equal(t, people.UserActive, u.Status)
		got, err := w.pools.C.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(w.pool), Username: aws.String(u.ID)})
		require.NoError(t, err)
		attrs := map[string]string{}
		for _, a := range got.UserAttributes {
			attrs[*a.Name] = *a.Value
		}
		assert.Equal(t, "acme", attrs["custom:tenant_id"])
		assert.Equal(t, "admin", attrs["custom:role"])
		assert.Equal(t, "FORCE_CHANGE_PASSWORD", string(got.UserStatus), "Cognito sent an invitation with a temporary password")

		tok := w.acceptInvitation("new@acme.test")
		p, _, err := w.az.Authorize(ctx, "Bearer "+tok.IDToken)
		require.NoError(t, err)
		assert.Equal(t, "acme", p.TenantID)
		assert.Equal(t, roles.Admin, p.Role)

		res := w.as("user@acme.test").Do("GET", "/v1/users?limit=2", nil)
		require.Equal(t, http.StatusOK, res.Status)
		var page list.Page[people.User]
		res.JSON(t, &page)
		assert.Len(t, page.Items, 2)
		require.NotEmpty(t, page.NextCursor)
		var all []string
		for cursor := ""; ; {
			res := w.as("user@acme.test").Do("GET", "/v1/users?limit=2&cursor="+cursor, nil)
			require.Equal(t, http.StatusOK, res.Status, string(res.Body))
			var page list.Page[people.User]
			res.JSON(t, &page)
			for _, u := range page.Items {
				all = append(all, u.Email)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		assert.Equal(t, []string{"admin@acme.test", "new@acme.test", "owner@acme.test", "user@acme.test"}, all, "every user once, email order, this tenant only")
	})

	t.Run("the platform mails the invitation: subject, sign-in page of the workspace, temporary password", func(t *testing.T) {
		box := testenv.NewMailbox(t, "mailed@acme.test")
		w.invite("owner@acme.test", "mailed@acme.test", roles.User)
		msg := box.Next("You're invited to")
		assert.Equal(t, "You're invited to Acme on IssueTracker", msg.Subject)
		assert.Contains(t, msg.Text, "http://web.test/w/acme/signin")
		assert.Contains(t, msg.HTML, `href="http://web.test/w/acme/signin"`)
		assert.Len(t, msg.TemporaryPassword(), 16)
		got, err := w.pools.C.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(w.pool), Username: aws.String("mailed@acme.test")})
		require.NoError(t, err)
		assert.Equal(t, "FORCE_CHANGE_PASSWORD", string(got.UserStatus))
	})

	for _, c := range []struct {
		name, code string
		status     int
		body       any
	}{
		{"an invalid email", "validation_failed", 400, map[string]any{"email": "not-an-email", "role": "user"}},
		{"an email with a display name", "validation_failed", 400, map[string]any{"email": "Ann <ann@acme.test>", "role": "user"}},
		{"an email with a non-ASCII local part", "validation_failed", 400, map[string]any{"email": "jörg@acme.test", "role": "user"}},
		{"an email with a non-ASCII domain", "validation_failed", 400, map[string]any{"email": "ann@bücher.test", "role": "user"}},
		{"an email with a 65-character local part", "validation_failed", 400, map[string]any{"email": strings.Repeat("a", 65) + "@acme.test", "role": "user"}},
		{"an unknown role", "validation_failed", 400, map[string]any{"email": "x@acme.test", "role": "owner"}},
		{"the root role", "validation_failed", 400, map[string]any{"email": "x@acme.test", "role": "root"}},
		{"an unknown field", "unknown_field", 400, map[string]any{"email": "x@acme.test", "role": "user", "tenant_id": "globex"}},
		{"a duplicate invitation", "user_exists", 409, map[string]any{"email": "user@acme.test", "role": "user"}},
		{"a duplicate in another case", "user_exists", 409, map[string]any{"email": "USER@acme.test", "role": "user"}},
	} {
		t.Run(c.name+" is a "+fmt.Sprint(c.status)+" "+c.code, func(t *testing.T) {
			before, _, err := w.dir.Counters(ctx, tenancy.Scope{Table: w.names.App(), TenantID: "acme"})
			require.NoError(t, err)
			res := w.as("owner@acme.test").Do("POST", "/v1/users", c.body)
			assert.Equal(t, c.status, res.Status, string(res.Body))
			assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
			assert.Equal(t, c.code, res.Map(t)["code"])
			assert.NotEmpty(t, res.Map(t)["detail"])
			after, _, err := w.dir.Counters(ctx, tenancy.Scope{Table: w.names.App(), TenantID: "acme"})
			require.NoError(t, err)
			assert.Equal(t, before, after, "no seat taken")
		})
	}

	t.Run("an address of another workspace's user is answered like any invitation, and that user is untouched", func(t *testing.T) {
		// A Super Admin (a Basic sign-up is free) must not learn which
		// addresses have accounts elsewhere: same status, same fields, a
		// seat, listed; the invitee gets a notice, not a password.
		fresh := w.invite("owner@acme.test", "fresh@acme.test", roles.User)
		box := testenv.NewMailbox(t, "owner@globex.test")
		before, _, err := w.dir.Counters(ctx, tenancy.Scope{Table: w.names.App(), TenantID: "acme"})
		require.NoError(t, err)
		res := w.as("owner@acme.test").Do("POST", "/v1/users", map[string]any{"email": "owner@globex.test", "role": "user"})
		require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
		got, want := res.Map(t), w.as("owner@acme.test").Do("GET", "/v1/users/"+fresh.ID, nil).Map(t)
		assert.ElementsMatch(t, keysOf(want), keysOf(got), "the answer has the fields of any invitation")
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, got["id"], "an id shaped like a Cognito sub")
		assert.NotEqual(t, w.users["owner@globex.test"].ID, got["id"], "not the other workspace's user")
		assert.Equal(t, "active", got["status"])
		after, _, err := w.dir.Counters(ctx, tenancy.Scope{Table: w.names.App(), TenantID: "acme"})
		require.NoError(t, err)
		assert.Equal(t, before+1, after, "a seat, as for any invitation")
		id := got["id"].(string)
		assert.Equal(t, 200, w.as("owner@acme.test").Do("GET", "/v1/users/"+id, nil).Status)

		msg := box.Next("You're invited to")
		assert.Contains(t, msg.Text, "account was created and nothing changed in yours")
		assert.NotContains(t, msg.Text, "Temporary password")

		again := w.as("owner@acme.test").Do("POST", "/v1/users", map[string]any{"email": "owner@globex.test", "role": "user"})
		assert.Equal(t, http.StatusConflict, again.Status)
		assert.Equal(t, "user_exists", again.Map(t)["code"], "a repeat is answered as for any invited address")

		// the other workspace's user: same tenant, role, and still signs in
		cu, err := w.pools.C.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(w.pool), Username: aws.String(w.users["owner@globex.test"].ID)})
		require.NoError(t, err)
		for _, a := range cu.UserAttributes {
			switch *a.Name {
			case "custom:tenant_id":
				assert.Equal(t, "globex", *a.Value)
			case "custom:role":
				assert.Equal(t, "super_admin", *a.Value)
			}
		}
		assert.True(t, cu.Enabled)
		tok := signInAs(t, w, "owner@globex.test")
		p, _, err := w.az.Authorize(ctx, "Bearer "+tok.IDToken)
		require.NoError(t, err)
		assert.Equal(t, "globex", p.TenantID)

		// the invitation is managed like any: role, disable, remove (no Cognito user of acme)
		res = w.as("owner@acme.test").Do("PUT", "/v1/users/"+id+"/role", map[string]any{"role": "admin"})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		res = w.as("owner@acme.test").Do("POST", "/v1/users/"+id+"/disable", nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		require.Equal(t, http.StatusNoContent, w.as("owner@acme.test").Do("DELETE", "/v1/users/"+id, nil).Status)
		cu, err = w.pools.C.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(w.pool), Username: aws.String(w.users["owner@globex.test"].ID)})
		require.NoError(t, err, "globex's user stays")
		assert.True(t, cu.Enabled)
	})

	t.Run("an invitation that stopped after the Cognito user was created completes on retry", func(t *testing.T) {
		// the first attempt reserved the email and created the Cognito user, then failed
		_, err := w.dir.Reserve(ctx, tenancy.Scope{Table: w.names.App(), TenantID: "acme"}, people.Invitation{Email: "half@acme.test", Role: "user"}, 0, time.Now())
		require.NoError(t, err)
		_, err = w.pools.Invite(ctx, w.pool, identityUser("half@acme.test", "acme"))
		require.NoError(t, err)
		u := w.invite("owner@acme.test", "half@acme.test", roles.User)
		assert.Equal(t, people.UserActive, u.Status)
		res := w.as("owner@acme.test").Do("POST", "/v1/users", map[string]any{"email": "half@acme.test", "role": "user"})
		assert.Equal(t, http.StatusConflict, res.Status, "and then it is done")
	})
}

func TestUserLimit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	limit := tiers.MustGet(tiers.Basic).MaxUsers
	// globex (Basic) has 2 users; fill it to one seat short of the limit
	for i := 2; i < limit-1; i++ {
		w.seed(fmt.Sprintf("u%d@globex.test", i), "globex", roles.User)
	}
	t.Run("parallel invitations for the last seat: exactly one wins, the others name the limit", func(t *testing.T) {
		var mu sync.Mutex
		codes := map[int]int{}
		var detail string
		var wg sync.WaitGroup
		for i := range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := w.as("owner@globex.test").Do("POST", "/v1/users", map[string]any{"email": fmt.Sprintf("race%d@globex.test", i), "role": "user"})
				mu.Lock()
				defer mu.Unlock()
				codes[res.Status]++
				if res.Status == 422 {
					detail, _ = res.Map(t)["detail"].(string)
					assert.Equal(t, "user_limit_reached", res.Map(t)["code"])
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, map[int]int{201: 1, 422: 4}, codes)
		assert.Contains(t, detail, fmt.Sprintf("%d users", limit))
		users, _, err := w.dir.Counters(ctx, tenancy.Scope{Table: w.names.App(), TenantID: "globex"})
		require.NoError(t, err)
		assert.Equal(t, limit, users)
	})
	t.Run("removing a user frees a seat", func(t *testing.T) {
		res := w.as("owner@globex.test").Do("DELETE", "/v1/users/"+w.users["u2@globex.test"].ID, nil)
		require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
		w.invite("owner@globex.test", "after@globex.test", roles.User)
	})
}

func TestRolesAndLastSuperAdmin(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	owner, user := w.users["owner@acme.test"], w.users["user@acme.test"]
	role := func(by, id, r string) (int, string) {
		res := w.as(by).Do("PUT", "/v1/users/"+id+"/role", map[string]any{"role": r})
		code, _ := res.Map(t)["code"].(string)
		return res.Status, code
	}
	t.Run("the last Super Admin cannot demote themselves", func(t *testing.T) {
		status, code := role("owner@acme.test", owner.ID, "admin")
		assert.Equal(t, 409, status)
		assert.Equal(t, "last_super_admin", code)
	})
	t.Run("nor disable or remove themselves", func(t *testing.T) {
		for _, req := range [][2]string{{"POST", "/v1/users/" + owner.ID + "/disable"}, {"DELETE", "/v1/users/" + owner.ID}} {
			res := w.as("owner@acme.test").Do(req[0], req[1], nil)
			assert.Equal(t, 409, res.Status, req)
			assert.Equal(t, "last_super_admin", res.Map(t)["code"])
		}
	})
	t.Run("an unknown role is a 400", func(t *testing.T) {
		status, code := role("owner@acme.test", user.ID, "boss")
		assert.Equal(t, 400, status)
		assert.Equal(t, "validation_failed", code)
	})
	t.Run("User becomes Admin then Super Admin, and the authorizer gives the new role", func(t *testing.T) {
		tok, err := cognitotest.SignIn(context.Background(), w.pools.C, w.client, "user@acme.test", password, "", nil)
		require.NoError(t, err)
		for _, r := range []roles.Role{roles.Admin, roles.SuperAdmin} {
			status, _ := role("owner@acme.test", user.ID, string(r))
			require.Equal(t, 200, status)
			time.Sleep(2 * cacheTTL)
			p, _, err := w.az.Authorize(context.Background(), "Bearer "+tok.IDToken)
			require.NoError(t, err)
			assert.Equal(t, r, p.Role, "the unexpired token carries the new role")
		}
	})
	t.Run("two Super Admins demoting each other at once: exactly one succeeds", func(t *testing.T) {
		w.users["user@acme.test"] = people.User{ID: user.ID, TenantID: "acme", Email: "user@acme.test", Role: roles.SuperAdmin}
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i, pair := range [][2]string{{"owner@acme.test", user.ID}, {"user@acme.test", owner.ID}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i], _ = role(pair[0], pair[1], "user")
			}()
		}
		wg.Wait()
		assert.ElementsMatch(t, []int{200, 409}, statuses)
		_, sas, err := w.dir.Counters(context.Background(), tenancy.Scope{Table: w.names.App(), TenantID: "acme"})
		require.NoError(t, err)
		assert.Equal(t, 1, sas)
	})
}

func TestRevocation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	u := w.invite("owner@acme.test", "leaver@acme.test", roles.User)
	tok := w.acceptInvitation("leaver@acme.test")
	authorize := func() (string, error) {
		p, _, err := w.az.Authorize(ctx, "Bearer "+tok.IDToken)
		return string(p.Role), err
	}
	_, err := authorize()
	require.NoError(t, err)
	// the team membership must go with the user
	res := w.as("admin@acme.test").Do("POST", "/v1/teams", map[string]any{"name": "Ops"})
	require.Equal(t, 201, res.Status, string(res.Body))
	team := res.Map(t)["id"].(string)
	require.Equal(t, 200, w.as("admin@acme.test").Do("PUT", "/v1/teams/"+team+"/members/"+u.ID, nil).Status)

	t.Run("a disabled user's unexpired token is refused within the cache time", func(t *testing.T) {
		res := w.as("owner@acme.test").Do("POST", "/v1/users/"+u.ID+"/disable", nil)
		require.Equal(t, 200, res.Status, string(res.Body))
		assert.Equal(t, "disabled", res.Map(t)["status"])
		time.Sleep(2 * cacheTTL)
		_, err := authorize()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "user_disabled")
		got, err := w.pools.C.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(w.pool), Username: aws.String(u.ID)})
		require.NoError(t, err)
		assert.False(t, got.Enabled, "the Cognito user is disabled too (cognito-local does not refuse its sign-in; Cognito does)")
	})
	t.Run("enabling lets the user sign in again, not a token from before the disable", func(t *testing.T) {
		require.Equal(t, 200, w.as("owner@acme.test").Do("POST", "/v1/users/"+u.ID+"/enable", nil).Status)
		time.Sleep(2 * cacheTTL)
		_, err := authorize()
		require.Error(t, err, "a token copied before the disable stays dead")
		assert.Contains(t, err.Error(), "session_ended")
		tok = w.signInAfterTheEnd(u.ID, "leaver@acme.test")
		_, err = authorize()
		assert.NoError(t, err)
	})
	t.Run("a re-roled user's unexpired token carries the new role within the cache time", func(t *testing.T) {
		// the role is the directory's, never the token's custom:role
		for _, role := range []roles.Role{roles.Admin, roles.User} {
			res := w.as("owner@acme.test").Do("PUT", "/v1/users/"+u.ID+"/role", map[string]any{"role": role})
			require.Equal(t, 200, res.Status, string(res.Body))
			time.Sleep(2 * cacheTTL)
			got, err := authorize()
			require.NoError(t, err)
			assert.Equal(t, string(role), got, "the token was issued as a user")
		}
	})
	t.Run("a removed user is unknown, gone from Cognito, their teams and the seat count", func(t *testing.T) {
		before, _, _ := w.dir.Counters(ctx, tenancy.Scope{Table: w.names.App(), TenantID: "acme"})
		res := w.as("owner@acme.test").Do("DELETE", "/v1/users/"+u.ID, nil)
		require.Equal(t, 204, res.Status, string(res.Body))
		time.Sleep(2 * cacheTTL)
		_, err := authorize()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "user_unknown")
		_, err = w.pools.C.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(w.pool), Username: aws.String(u.ID)})
		assert.Error(t, err)
		after, _, _ := w.dir.Counters(ctx, tenancy.Scope{Table: w.names.App(), TenantID: "acme"})
		assert.Equal(t, before-1, after)
		members := w.as("admin@acme.test").Do("GET", "/v1/teams/"+team+"/members", nil).Map(t)["items"].([]any)
		assert.Empty(t, members)
		assert.Equal(t, 404, w.as("owner@acme.test").Do("GET", "/v1/users/"+u.ID, nil).Status)
		assert.Equal(t, 404, w.as("owner@acme.test").Do("DELETE", "/v1/users/"+u.ID, nil).Status)
	})
	t.Run("the removed person can be invited again as a new user", func(t *testing.T) {
		again := w.invite("owner@acme.test", "leaver@acme.test", roles.Admin)
		assert.NotEqual(t, u.ID, again.ID)
		// the removed identity's token does not come back with the email
		time.Sleep(2 * cacheTTL)
		_, err := authorize()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "user_unknown")
	})
}

// Removing a user honours If-Match (the user's version when the removal
// starts): a stale one is a 412 version_mismatch and changes nothing; a
// removal interrupted after its first step (the user marked removing, one
// version later) completes on a retry with the same If-Match.
func TestRemoveUserHonoursIfMatch(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	sc := tenancy.Scope{Table: w.names.App(), TenantID: "acme"}
	owner := w.as("owner@acme.test")
	etag := func(v int64) string { return fmt.Sprintf("%q", fmt.Sprint(v)) }

	u := w.invite("owner@acme.test", "stale@acme.test", roles.User)
	res := owner.Do("PUT", "/v1/users/"+u.ID+"/role", map[string]any{"role": "admin"})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var up people.User
	res.JSON(t, &up)
	require.Equal(t, u.Version+1, up.Version)

	res = owner.Do("DELETE", "/v1/users/"+u.ID, nil, "If-Match", etag(u.Version))
	require.Equal(t, http.StatusPreconditionFailed, res.Status, string(res.Body))
	assert.Equal(t, "version_mismatch", res.Map(t)["code"])
	res = owner.Do("DELETE", "/v1/users/"+u.ID, nil, "If-Match", "2")
	require.Equal(t, http.StatusBadRequest, res.Status, string(res.Body))
	assert.Equal(t, "invalid_if_match", res.Map(t)["code"])
	got, err := w.dir.Get(ctx, sc, u.ID)
	require.NoError(t, err)
	assert.Equal(t, people.UserActive, got.Status, "nothing changed")
	assert.Equal(t, up.Version, got.Version)
	require.Equal(t, http.StatusNoContent, owner.Do("DELETE", "/v1/users/"+u.ID, nil, "If-Match", etag(up.Version)).Status)
	assert.Equal(t, http.StatusNotFound, owner.Do("GET", "/v1/users/"+u.ID, nil).Status)

	t.Run("a retry of an interrupted removal with the same If-Match completes it", func(t *testing.T) {
		v := w.invite("owner@acme.test", "retry@acme.test", roles.User)
		// the first attempt marked the user removing, then failed
		mark := v
		mark.Status, mark.UpdatedAt = people.UserRemoving, time.Now()
		_, err := w.dir.Change(ctx, sc, v, mark)
		require.NoError(t, err)
		res := owner.Do("DELETE", "/v1/users/"+v.ID, nil, "If-Match", etag(v.Version+2))
		require.Equal(t, http.StatusPreconditionFailed, res.Status, "neither the start nor the mark: %s", res.Body)
		res = owner.Do("DELETE", "/v1/users/"+v.ID, nil, "If-Match", etag(v.Version))
		require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
		assert.Equal(t, http.StatusNotFound, owner.Do("GET", "/v1/users/"+v.ID, nil).Status)
	})
	t.Run("so does one that read the removing user again", func(t *testing.T) {
		v := w.invite("owner@acme.test", "reread@acme.test", roles.User)
		mark := v
		mark.Status, mark.UpdatedAt = people.UserRemoving, time.Now()
		marked, err := w.dir.Change(ctx, sc, v, mark)
		require.NoError(t, err)
		res := owner.Do("DELETE", "/v1/users/"+v.ID, nil, "If-Match", etag(marked.Version))
		require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
	})
}

// Changing a user's role and disabling or enabling them honour If-Match
// (the user's version): a stale one is a 412 version_mismatch and changes
// nothing, except for the retry of the same change (its Cognito step
// failed after the directory moved one version on), which completes it.
func TestUserChangesHonourIfMatch(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	owner := w.as("owner@acme.test")
	etag := func(v int64) string { return fmt.Sprintf("%q", fmt.Sprint(v)) }
	u := w.invite("owner@acme.test", "changed@acme.test", roles.User)
	path := "/v1/users/" + u.ID
	version := func(res *apitest.Response) int64 {
		t.Helper()
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		var got people.User
		res.JSON(t, &got)
		return got.Version
	}
	v := version(owner.Do("PUT", path+"/role", map[string]any{"role": "admin"}, "If-Match", etag(u.Version)))
	require.Equal(t, u.Version+1, v)
	for _, c := range []struct {
		method, path string
		body         any
	}{{"PUT", path + "/role", map[string]any{"role": "user"}}, {"POST", path + "/disable", nil}} {
		res := owner.Do(c.method, c.path, c.body, "If-Match", etag(u.Version))
		require.Equal(t, http.StatusPreconditionFailed, res.Status, "%s %s: %s", c.method, c.path, res.Body)
		assert.Equal(t, "version_mismatch", res.Map(t)["code"])
	}
	res := owner.Do("POST", path+"/enable", nil, "If-Match", "v2")
	require.Equal(t, http.StatusBadRequest, res.Status, string(res.Body))
	assert.Equal(t, "invalid_if_match", res.Map(t)["code"])
	got := owner.Do("GET", path, nil).Map(t)
	assert.Equal(t, "admin", got["role"], "nothing changed")
	assert.Equal(t, "active", got["status"])

	v2 := version(owner.Do("POST", path+"/disable", nil, "If-Match", etag(v)))
	require.Equal(t, v+1, v2)
	assert.Equal(t, v2, version(owner.Do("POST", path+"/disable", nil, "If-Match", etag(v))), "the same change again completes, nothing moves")
	res = owner.Do("POST", path+"/enable", nil, "If-Match", etag(v))
	require.Equal(t, http.StatusPreconditionFailed, res.Status, "another change from the old version: %s", res.Body)
	assert.Equal(t, v2+1, version(owner.Do("POST", path+"/enable", nil, "If-Match", etag(v2))))
}

// Sign-out ends the session's tokens at the authorizer, not only the
// refresh token: an ID token copied before is refused within the cache
// time (authorizer.RevocationDelay deployed), on every device of the user,
// and a new sign-in works.
func TestSignOutEndsTheSessionsTokens(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	u := w.users["user@acme.test"]
	signIn := func() cognito.Tokens {
		tok, err := cognitotest.SignIn(ctx, w.pools.C, w.client, "user@acme.test", password, "", nil)
		require.NoError(t, err)
		return tok
	}
	here, there := signIn(), signIn() // two devices
	authorize := func(tok cognito.Tokens) error {
		_, _, err := w.az.Authorize(ctx, "Bearer "+tok.IDToken)
		return err
	}
	require.NoError(t, authorize(here))
	require.NoError(t, authorize(there))
	other := signInAs(t, w, "admin@acme.test")
	require.NoError(t, authorize(other))

	res := w.as("user@acme.test").Do("POST", "/v1/me/sign-out", nil)
	require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
	time.Sleep(2 * cacheTTL)
	for _, tok := range []cognito.Tokens{here, there} {
		err := authorize(tok)
		require.Error(t, err, "the ID token outlives the sign-out")
		assert.Contains(t, err.Error(), "session_ended")
	}
	assert.NoError(t, authorize(other), "another user's session goes on")
	// The other device refreshes its tokens: they keep its sign-in time
	// (auth_time; Cognito's do, and cognito-local's through the local
	// cloud's preload), so the session stays ended.
	refreshed, err := w.pools.C.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(w.client),
		AuthFlow: ciptypes.AuthFlowTypeRefreshTokenAuth, AuthParameters: map[string]string{"REFRESH_TOKEN": there.RefreshToken}})
	require.NoError(t, err)
	err = authorize(cognito.Tokens{IDToken: aws.ToString(refreshed.AuthenticationResult.IdToken)})
	require.Error(t, err, "a refresh after the sign-out is not a new session")
	assert.Contains(t, err.Error(), "session_ended")

	// A second sign-out is fine; the end never moves back.
	got, err := w.dir.Get(ctx, tenancy.Scope{Table: w.names.App(), TenantID: "acme"}, u.ID)
	require.NoError(t, err)
	require.NoError(t, w.dir.EndSessions(ctx, tenancy.Scope{Table: w.names.App(), TenantID: "acme"}, u.ID, got.SessionsEndedAt.Add(-time.Hour)))
	again, err := w.dir.Get(ctx, tenancy.Scope{Table: w.names.App(), TenantID: "acme"}, u.ID)
	require.NoError(t, err)
	assert.True(t, again.SessionsEndedAt.Equal(got.SessionsEndedAt), "an earlier end changed nothing")
	assert.Equal(t, got.Version, again.Version, "no If-Match-guarded change")

	fresh := signIn() // the sign-out answered once its end had passed
	assert.NoError(t, authorize(fresh), "a sign-in after the sign-out works")
}

func signInAs(t *testing.T, w *world, email string) cognito.Tokens {
	tok, err := cognitotest.SignIn(context.Background(), w.pools.C, w.client, email, password, "", nil)
	require.NoError(t, err)
	return tok
}

// signInAfterTheEnd waits until the user's sessions_ended_at has passed
// (tokens carry whole seconds: the end is the next whole second) and signs
// the user in again.
func (w *world) signInAfterTheEnd(userID, email string) cognito.Tokens {
	w.t.Helper()
	got, err := w.dir.Get(context.Background(), tenancy.Scope{Table: w.names.App(), TenantID: "acme"}, userID)
	require.NoError(w.t, err)
	require.False(w.t, got.SessionsEndedAt.IsZero(), "the sessions were ended")
	time.Sleep(time.Until(got.SessionsEndedAt))
	return signInAs(w.t, w, email)
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
