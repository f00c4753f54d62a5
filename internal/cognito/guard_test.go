package cognito_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/passwordpolicy"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func pool(t *testing.T) (cognito.Pools, string, string) {
	p := cognito.Pools{C: testenv.Cognito(t)}
	ctx := context.Background()
	id, err := cognitotest.EnsurePool(ctx, p.C, testenv.UniquePrefix(t)+"-tenants")
	require.NoError(t, err)
	client, err := cognitotest.EnsureClient(ctx, p.C, id, "web")
	require.NoError(t, err)
	return p, id, client
}

func attrs(t *testing.T, p cognito.Pools, poolID, email string) map[string]string {
	got, err := p.C.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(email)})
	require.NoError(t, err)
	m := map[string]string{"enabled": "false"}
	if got.Enabled {
		m["enabled"] = "true"
	}
	for _, a := range got.UserAttributes {
		m[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	return m
}

// Issue 9 item 1, the class: any identity write to a user whose
// custom:tenant_id is another tenant is refused, and the user is unchanged.
func TestNoIdentityWriteReachesAUserOfAnotherTenant(t *testing.T) {
	p, poolID, client := pool(t)
	ctx := context.Background()
	victim := cognito.UserSpec{Email: "victim@acme.test", Password: "Victim-Passw0rd!", TenantID: "acme", Role: "super_admin", Tier: "basic"}
	sub, err := p.EnsureUser(ctx, poolID, victim)
	require.NoError(t, err)
	before := attrs(t, p, poolID, victim.Email)

	for _, tc := range []struct {
		name  string
		write func() error
	}{
		{"EnsureUser (onboarding's admin user)", func() error {
			_, err := p.EnsureUser(ctx, poolID, cognito.UserSpec{Email: victim.Email, TenantID: "evil", Role: "super_admin", Tier: "premium"})
			return err
		}},
		{"EnsureUser with a password", func() error {
			_, err := p.EnsureUser(ctx, poolID, cognito.UserSpec{Email: victim.Email, Password: "Attacker-Passw0rd!", TenantID: "evil"})
			return err
		}},
		{"Invite", func() error {
			_, err := p.Invite(ctx, poolID, cognito.UserSpec{Email: victim.Email, TenantID: "evil", Role: "user", Tier: "basic"})
			return err
		}},
		{"SetRole", func() error { return p.SetRole(ctx, poolID, "evil", sub, "user") }},
		{"SetEnabled", func() error { return p.SetEnabled(ctx, poolID, "evil", sub, false) }},
		{"DeleteUser by email (offboarding)", func() error { return p.DeleteUser(ctx, poolID, "evil", victim.Email) }},
		{"DeleteUser by sub", func() error { return p.DeleteUser(ctx, poolID, "evil", sub) }},
		{"a write for the provider (no tenant)", func() error { return p.DeleteUser(ctx, poolID, "", victim.Email) }},
	} {
		t.Run(tc.name+" is refused with ErrOtherTenant", func(t *testing.T) {
			assert.ErrorIs(t, tc.write(), cognito.ErrOtherTenant)
			assert.Equal(t, before, attrs(t, p, poolID, victim.Email), "the user is unchanged")
		})
	}
	t.Run("the victim still signs in with their own password", func(t *testing.T) {
		tok, err := cognitotest.PasswordLogin(ctx, p.C, client, victim.Email, victim.Password)
		require.NoError(t, err)
		assert.Equal(t, "acme", claims(t, tok.IDToken)["custom:tenant_id"])
	})
	t.Run("the owning tenant may still change and delete its user", func(t *testing.T) {
		require.NoError(t, p.SetRole(ctx, poolID, "acme", sub, "admin"))
		assert.Equal(t, "admin", attrs(t, p, poolID, victim.Email)["custom:role"])
		require.NoError(t, p.DeleteUser(ctx, poolID, "acme", victim.Email))
		require.NoError(t, p.DeleteUser(ctx, poolID, "acme", victim.Email), "deleting twice is fine")
	})
}

func TestInviteGivesATemporaryPasswordAndResetsItUntilFirstSignIn(t *testing.T) {
	p, poolID, client := pool(t)
	ctx := context.Background()
	spec := cognito.UserSpec{Email: "new@acme.test", TenantID: "acme", Role: "user", Tier: "basic"}
	first, err := p.Invite(ctx, poolID, spec)
	require.NoError(t, err)
	require.NotEmpty(t, first.Sub)
	require.Len(t, first.TemporaryPassword, cognito.TemporaryPasswordLength)

	again, err := p.Invite(ctx, poolID, spec)
	require.NoError(t, err)
	assert.Equal(t, first.Sub, again.Sub, "a retried invitation keeps the user")
	assert.NotEqual(t, first.TemporaryPassword, again.TemporaryPassword, "and gives a fresh temporary password")

	// (That the replaced one stops working is Cognito's behaviour; cognito-local
	// 5.3.0 does not check the password of a FORCE_CHANGE_PASSWORD user at all.)
	// A new password the pool's policy refuses is refused locally too
	// (cognito-local keeps the policy but does not enforce it), and the
	// temporary password still works.
	for _, weak := range []string{"short", "password1234", "Passw0rd1234"} {
		_, err = cognitotest.SignIn(ctx, p.C, client, spec.Email, again.TemporaryPassword, weak, nil)
		require.ErrorIs(t, err, cognito.ErrPasswordPolicy, weak)
	}
	tok, err := cognitotest.SignIn(ctx, p.C, client, spec.Email, again.TemporaryPassword, "Chosen-Passw0rd!", nil)
	require.NoError(t, err, "NEW_PASSWORD_REQUIRED is answered with the chosen password")
	assert.Equal(t, first.Sub, claims(t, tok.IDToken)["sub"])

	after, err := p.Invite(ctx, poolID, spec)
	require.NoError(t, err)
	assert.Empty(t, after.TemporaryPassword, "a user who signed in keeps their password")
	_, err = cognitotest.PasswordLogin(ctx, p.C, client, spec.Email, "Chosen-Passw0rd!")
	assert.NoError(t, err)
}

func TestTemporaryPasswordsSatisfyThePoolPolicy(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		pw, err := cognito.TemporaryPassword()
		require.NoError(t, err)
		assert.Len(t, pw, 16)
		assert.NoError(t, passwordpolicy.Pools.Check(pw))
		for _, class := range []string{"abcdefghijkmnopqrstuvwxyz", "ABCDEFGHJKLMNPQRSTUVWXYZ", "23456789", "!#%+-=?@_"} {
			assert.True(t, strings.ContainsAny(pw, class), "%q lacks one of %q", pw, class)
		}
		assert.False(t, seen[pw])
		seen[pw] = true
	}
}
