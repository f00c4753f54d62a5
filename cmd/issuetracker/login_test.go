package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type cli struct {
	t    *testing.T
	file string
}

// run runs `issuetracker login args...` with stdin and returns the token
// printed on stdout, what went to stderr, and the error.
func (c cli) run(stdin string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := login(context.Background(), args, console{In: strings.NewReader(stdin), Out: &out, Err: &errOut, PlatformFile: c.file})
	return strings.TrimSpace(out.String()), errOut.String(), err
}

func claimsOf(t *testing.T, jwt string) map[string]any {
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3, "a JWT on stdout")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

// Issue 9 item 11: the CLI signs real users in: an invited user's first
// sign-in, a user with MFA, and a Platinum user whose pool the workspace
// lookup finds; and it blames `make dev` only when nothing answers.
func TestLoginAnswersChallengesAndFindsAnyWorkspace(t *testing.T) {
	_, e := testenv.AWS(t)
	root, err := testenv.Root()
	require.NoError(t, err)
	m := testenv.Mail(t)
	prefix := testenv.UniquePrefix(t)
	s, err := devstack.Start(context.Background(), devstack.Config{Root: root, GatewayAddr: "127.0.0.1:0", Endpoints: e,
		Mail: &devstack.MailEndpoints{SMTPAddr: m.SMTPAddr, UIURL: m.API}, Prefix: prefix, StateDir: t.TempDir(),
		StripeAPIBase: testenv.StripeMock(t)})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	pl := s.Platform
	c := cli{t: t, file: filepath.Join(t.TempDir(), "platform.json")}
	require.NoError(t, devstack.WritePlatform(c.file, pl))
	ctx := context.Background()
	pools := cognito.Pools{C: testenv.Cognito(t)}

	t.Run("a demo user gets an ID token of the shared pool", func(t *testing.T) {
		tok, _, err := c.run("", "--user", "user@acme.test")
		require.NoError(t, err)
		assert.Equal(t, "acme", claimsOf(t, tok)["custom:tenant_id"])
		assert.Equal(t, "id", claimsOf(t, tok)["token_use"])
	})
	t.Run("the demo root signs in to the provider pool", func(t *testing.T) {
		tok, _, err := c.run("", "--user", devstack.Demo.Root.Email)
		require.NoError(t, err)
		assert.True(t, strings.HasSuffix(claimsOf(t, tok)["iss"].(string), "/"+pl.ProviderPoolID))
	})
	t.Run("a wrong password says so, and does not blame make dev", func(t *testing.T) {
		_, _, err := c.run("", "--user", "user@acme.test", "--password", "Wrong-Passw0rd!")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "wrong email or password")
		assert.NotContains(t, err.Error(), "make dev")
	})

	invited := "invited@" + prefix + ".test"
	inv, err := pools.Invite(ctx, pl.TenantPoolID, cognito.UserSpec{Email: invited, TenantID: "acme", Role: "user", Tier: "standard"})
	require.NoError(t, err)
	t.Run("an invited user without --new-password and nobody to ask is told what to pass", func(t *testing.T) {
		_, _, err := c.run("", "--user", invited, "--password", inv.TemporaryPassword)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "--new-password")
	})
	t.Run("NEW_PASSWORD_REQUIRED is answered from a prompt, then the chosen password works", func(t *testing.T) {
		inv, err := pools.Invite(ctx, pl.TenantPoolID, cognito.UserSpec{Email: invited, TenantID: "acme", Role: "user", Tier: "standard"})
		require.NoError(t, err)
		tok, prompts, err := c.run(inv.TemporaryPassword+"\nChosen-Passw0rd!\n", "--user", invited)
		require.NoError(t, err)
		assert.Contains(t, prompts, "Password for "+invited)
		assert.Contains(t, prompts, "New password:")
		assert.Equal(t, invited, claimsOf(t, tok)["email"])
		_, _, err = c.run("", "--user", invited, "--password", "Chosen-Passw0rd!")
		assert.NoError(t, err)
	})
	t.Run("NEW_PASSWORD_REQUIRED is answered by --new-password", func(t *testing.T) {
		other := "flagged@" + prefix + ".test"
		inv, err := pools.Invite(ctx, pl.TenantPoolID, cognito.UserSpec{Email: other, TenantID: "acme", Role: "user", Tier: "standard"})
		require.NoError(t, err)
		_, _, err = c.run("", "--user", other, "--password", inv.TemporaryPassword, "--new-password", "Flagged-Passw0rd!")
		require.NoError(t, err)
	})

	t.Run("SOFTWARE_TOKEN_MFA is answered by --totp or a prompt", func(t *testing.T) {
		first, err := cognitotest.PasswordLogin(ctx, pools.C, pl.TenantClientID, invited, "Chosen-Passw0rd!")
		require.NoError(t, err)
		secret, err := pools.AssociateTOTP(ctx, first.AccessToken)
		require.NoError(t, err)
		code, err := totp.GenerateCode(secret, time.Now())
		require.NoError(t, err)
		require.NoError(t, pools.VerifyTOTP(ctx, first.AccessToken, code, "cli"))

		_, _, err = c.run("", "--user", invited, "--password", "Chosen-Passw0rd!")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "--totp")
		code, _ = totp.GenerateCode(secret, time.Now())
		tok, _, err := c.run("", "--user", invited, "--password", "Chosen-Passw0rd!", "--totp", code)
		require.NoError(t, err)
		assert.NotEmpty(t, tok)
		code, _ = totp.GenerateCode(secret, time.Now())
		tok, prompts, err := c.run(code+"\n", "--user", invited, "--password", "Chosen-Passw0rd!")
		require.NoError(t, err)
		assert.Contains(t, prompts, "authenticator")
		assert.NotEmpty(t, tok)
	})

	t.Run("a Platinum user signs in to the workspace's own pool found by --workspace", func(t *testing.T) {
		// A Platinum tenant as onboarding leaves it: its own pool and client, active.
		pool, err := cognitotest.EnsurePool(ctx, pools.C, prefix+"-tenant-bigco")
		require.NoError(t, err)
		client, err := cognitotest.EnsureClient(ctx, pools.C, pool, "web")
		require.NoError(t, err)
		names := schema.Names{Prefix: prefix}
		now := time.Now().UTC()
		require.NoError(t, tenantdb.New(testenv.DynamoDB(t), names).Create(ctx, tenant.Tenant{ID: "bigco", Name: "Big Co",
			Tier: "platinum", Status: tenant.StatusActive, Table: names.App(), UserPoolID: pool, ClientIDs: []string{client},
			Issuer: e.Cognito + "/" + pool, APIKey: "key-bigco", CreatedAt: now, UpdatedAt: now}))
		owner := "owner@bigco.test"
		sub, err := pools.EnsureUser(ctx, pool, cognito.UserSpec{Email: owner, Password: "Bigco-Passw0rd!", TenantID: "bigco", Role: "super_admin"})
		require.NoError(t, err)
		require.NoError(t, peopledb.UserDB{DB: testenv.DynamoDB(t)}.Put(tenancy.WithTenant(ctx, "bigco"), tenancy.Scope{Table: names.App(), TenantID: "bigco"}, people.User{ID: sub,
			TenantID: "bigco", Username: owner, Email: owner, Role: roles.SuperAdmin, Status: people.UserActive, CreatedAt: now, UpdatedAt: now}))

		_, _, err = c.run("", "--user", owner, "--password", "Bigco-Passw0rd!")
		require.Error(t, err, "the shared pool does not know a Platinum user")
		tok, _, err := c.run("", "--user", owner, "--password", "Bigco-Passw0rd!", "--workspace", "bigco")
		require.NoError(t, err)
		cl := claimsOf(t, tok)
		assert.True(t, strings.HasSuffix(cl["iss"].(string), "/"+pool), "issued by the dedicated pool")
		assert.Equal(t, client, cl["aud"])

		_, _, err = c.run("", "--user", owner, "--password", "x", "--workspace", "nobody")
		require.Error(t, err)
		assert.Contains(t, err.Error(), `no workspace "nobody"`)
	})

	t.Run("only an unreachable local platform is blamed on make dev", func(t *testing.T) {
		gone := pl
		gone.CognitoEndpoint = "http://127.0.0.1:1"
		file := filepath.Join(t.TempDir(), "platform.json")
		require.NoError(t, devstack.WritePlatform(file, gone))
		_, _, err := cli{t: t, file: file}.run("", "--user", "user@acme.test")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "make dev")
	})
}
