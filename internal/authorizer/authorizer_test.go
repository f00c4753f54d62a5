package authorizer_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/issuetracker/issuetracker/internal/authorizer"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/idtoken"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const password = "Correct-Horse-9"

// world is a registry on DynamoDB Local and pools on cognito-local, with
// real tokens issued by cognito-local.
type world struct {
	a      *authorizer.Authorizer
	cfg    authorizer.Config
	dir    peopledb.UserDB
	reg    *tenantdb.Store
	table  string
	tokens map[string]string // email → id token
	login  func(email string) string
	// setRootEnabled enables or disables root@provider.test in the
	// provider pool, as Cognito's console or CLI does.
	setRootEnabled func(on bool)
	// signIn signs in to the provider pool as Cognito's sign-in does.
	signIn func(email string) error
}

func newWorld(t *testing.T) *world {
	ctx := context.Background()
	db, names := testenv.Tables(t)
	_, e := testenv.AWS(t)
	p := cognito.Pools{C: testenv.Cognito(t)}
	prefix := names.Prefix
	mk := func(name string) (string, string) {
		pool, err := cognitotest.EnsurePool(ctx, p.C, prefix+"-"+name)
		require.NoError(t, err)
		client, err := cognitotest.EnsureClient(ctx, p.C, pool, "web")
		require.NoError(t, err)
		return pool, client
	}
	tenantPool, tenantClient := mk("tenants")
	providerPool, providerClient := mk("provider")
	foreignPool, foreignClient := mk("foreign")

	w := &world{dir: peopledb.UserDB{DB: db}, reg: tenantdb.New(db, names), table: names.App(), tokens: map[string]string{}}
	now := time.Now().UTC()
	for _, tn := range []tenant.Tenant{
		{ID: "acme", Name: "Acme", Tier: tiers.Standard, Status: tenant.StatusActive, APIKey: "key-acme"},
		{ID: "sleepy", Name: "Sleepy", Tier: tiers.Basic, Status: tenant.StatusSuspended, APIKey: "key-sleepy"},
		{ID: "newco", Name: "NewCo", Tier: tiers.Basic, Status: tenant.StatusProvisioning},
		// Upgraded to Platinum: its users now sign in through its own pool
		// (no token of it here), and the shared pool is the one it left.
		{ID: "movedco", Name: "MovedCo", Tier: tiers.Platinum, Status: tenant.StatusActive, APIKey: "key-movedco",
			UserPoolID: "movedco-own", Issuer: e.Cognito + "/movedco-own", FormerPool: &tenant.FormerPool{ID: tenantPool}},
	} {
		tn.Table, tn.CreatedAt, tn.UpdatedAt = names.App(), now, now
		require.NoError(t, w.reg.Create(ctx, tn))
	}
	user := func(pool, client, email, tenantID string, role roles.Role, record bool) {
		sub, err := p.EnsureUser(ctx, pool, cognito.UserSpec{Email: email, Password: password, TenantID: tenantID, Role: string(role)})
		require.NoError(t, err)
		if record {
			require.NoError(t, w.dir.Put(ctx, tenancy.Scope{Table: names.App(), TenantID: tenantID}, people.User{ID: sub, TenantID: tenantID, Email: email,
				Username: email, Role: role, Status: people.UserActive}))
		}
		tok, err := cognitotest.PasswordLogin(ctx, p.C, client, email, password)
		require.NoError(t, err)
		w.tokens[email] = tok.IDToken
	}
	user(tenantPool, tenantClient, "ann@acme.test", "acme", roles.Admin, true)
	user(tenantPool, tenantClient, "bob@acme.test", "acme", roles.User, true)
	user(tenantPool, tenantClient, "ghost@acme.test", "acme", roles.User, false)
	user(tenantPool, tenantClient, "zed@sleepy.test", "sleepy", roles.User, true)
	user(tenantPool, tenantClient, "ned@newco.test", "newco", roles.SuperAdmin, true)
	user(tenantPool, tenantClient, "who@nowhere.test", "nowhere", roles.User, false)
	user(tenantPool, tenantClient, "max@movedco.test", "movedco", roles.User, true)
	user(providerPool, providerClient, "root@provider.test", "", roles.Root, false)
	user(foreignPool, foreignClient, "eve@acme.test", "acme", roles.SuperAdmin, false)

	w.login = func(email string) string {
		client := tenantClient
		if strings.HasSuffix(email, "@provider.test") {
			client = providerClient
		}
		tok, err := cognitotest.PasswordLogin(ctx, p.C, client, email, password)
		require.NoError(t, err)
		return tok.IDToken
	}
	w.signIn = func(email string) error {
		_, err := cognitotest.PasswordLogin(ctx, p.C, providerClient, email, password)
		return err
	}
	w.setRootEnabled = func(on bool) {
		require.NoError(t, p.SetEnabled(ctx, providerPool, "", "root@provider.test", on))
	}
	w.cfg = authorizer.Config{
		TenantPool:   authorizer.PoolFor(e.Cognito, tenantPool, idtoken.PoolTenant, tenantClient),
		ProviderPool: authorizer.PoolFor(e.Cognito, providerPool, idtoken.PoolProvider, providerClient),
		CacheTTL:     time.Nanosecond, // see every registry change at once
		UserEnabled:  p.UserEnabled,
	}
	w.a = authorizer.New(w.cfg, w.reg, w.dir)
	return w
}

func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	b := []byte(parts[1])
	if b[10] == 'A' {
		b[10] = 'B'
	} else {
		b[10] = 'A'
	}
	parts[1] = string(b)
	return strings.Join(parts, ".")
}

func TestAuthorizeWithCognitoLocalTokens(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()

	t.Run("a tenant user gets their tenant, directory role, tier, table and the tenant's API key", func(t *testing.T) {
		p, key, err := w.a.Authorize(ctx, "Bearer "+w.tokens["ann@acme.test"])
		require.NoError(t, err)
		assert.Equal(t, "acme", p.TenantID)
		assert.Equal(t, roles.Admin, p.Role)
		assert.Equal(t, tiers.Standard, p.Tier)
		assert.Equal(t, w.table, p.Table)
		assert.Equal(t, "ann@acme.test", p.Email)
		assert.Equal(t, "key-acme", key)
	})
	t.Run("a provider user is root with no tenant and no API key", func(t *testing.T) {
		p, key, err := w.a.Authorize(ctx, "Bearer "+w.tokens["root@provider.test"])
		require.NoError(t, err)
		assert.Equal(t, roles.Root, p.Role)
		assert.Empty(t, p.TenantID)
		assert.Empty(t, key)
	})

	refusals := []struct {
		name, header string
		kind         errs.Kind
		code         string
	}{
		{"no token", "", errs.KindUnauthorized, "token_missing"},
		{"not a bearer token", "Basic abc", errs.KindUnauthorized, "token_malformed"},
		{"a tampered token", "Bearer " + tamper(w.tokens["bob@acme.test"]), errs.KindUnauthorized, ""},
		{"a token from a pool the platform does not know", "Bearer " + w.tokens["eve@acme.test"], errs.KindUnauthorized, "token_issuer_unknown"},
		{"a tenant claim that matches no registered tenant", "Bearer " + w.tokens["who@nowhere.test"], errs.KindUnauthorized, "tenant_unknown"},
		{"a user without a directory record", "Bearer " + w.tokens["ghost@acme.test"], errs.KindUnauthorized, "user_unknown"},
		{"a suspended tenant", "Bearer " + w.tokens["zed@sleepy.test"], errs.KindForbidden, "tenant_suspended"},
		{"a tenant still provisioning", "Bearer " + w.tokens["ned@newco.test"], errs.KindForbidden, "tenant_inactive"},
		{"a token of the pool the tenant moved away from", "Bearer " + w.tokens["max@movedco.test"], errs.KindForbidden, authorizer.SessionMoved},
	}
	for _, c := range refusals {
		t.Run("refuses "+c.name, func(t *testing.T) {
			_, _, err := w.a.Authorize(ctx, c.header)
			require.Error(t, err)
			e := errs.As(err)
			assert.Equal(t, c.kind, e.Kind, e.Error())
			if c.code != "" {
				assert.Equal(t, c.code, e.Code)
			}
		})
	}

	t.Run("a disabled user and a role change take effect with the same token", func(t *testing.T) {
		tok := "Bearer " + w.tokens["bob@acme.test"]
		p, _, err := w.a.Authorize(ctx, tok)
		require.NoError(t, err)
		u, err := w.dir.Get(ctx, tenancy.Scope{Table: w.table, TenantID: "acme"}, p.UserID)
		require.NoError(t, err)
		u.Role = roles.SuperAdmin
		require.NoError(t, w.dir.Put(ctx, tenancy.Scope{Table: w.table, TenantID: u.TenantID}, u))
		p, _, err = w.a.Authorize(ctx, tok)
		require.NoError(t, err)
		assert.Equal(t, roles.SuperAdmin, p.Role)
		u.Status = people.UserDisabled
		require.NoError(t, w.dir.Put(ctx, tenancy.Scope{Table: w.table, TenantID: u.TenantID}, u))
		_, _, err = w.a.Authorize(ctx, tok)
		assert.Equal(t, "user_disabled", errs.As(err).Code)
	})

	t.Run("the Lambda handler allows with context and usage key, denies 403s and fails 401s", func(t *testing.T) {
		arn := "arn:aws:execute-api:us-east-1:123456789012:api123/v1/GET/v1/me"
		ev := events.APIGatewayCustomAuthorizerRequestTypeRequest{MethodArn: arn,
			Headers: map[string]string{"authorization": "Bearer " + w.tokens["ann@acme.test"]}}
		res, err := w.a.Handle(ctx, ev)
		require.NoError(t, err)
		assert.Equal(t, "Allow", res.PolicyDocument.Statement[0].Effect)
		assert.Equal(t, []string{"arn:aws:execute-api:us-east-1:123456789012:api123/v1/*/*"}, res.PolicyDocument.Statement[0].Resource)
		assert.Equal(t, "key-acme", res.UsageIdentifierKey)
		assert.Equal(t, "acme", res.Context["tenantId"])

		ev.Headers["authorization"] = "Bearer " + w.tokens["zed@sleepy.test"]
		res, err = w.a.Handle(ctx, ev)
		require.NoError(t, err)
		assert.Equal(t, "Deny", res.PolicyDocument.Statement[0].Effect)
		assert.Equal(t, "tenant_suspended", res.Context["code"])

		ev.Headers["authorization"] = "Bearer garbage"
		_, err = w.a.Handle(ctx, ev)
		assert.ErrorIs(t, err, authorizer.ErrUnauthorized)
	})
}

// answer is what a client sees of a request the authorizer judged.
type answer struct {
	Status int
	Code   string
}

// inProcess is the local gateway's answer: Authorize's error as problem+json.
func inProcess(err error) answer {
	if err == nil {
		return answer{Status: 200}
	}
	e := errs.As(err)
	return answer{Status: httpapi.Status(e.Kind), Code: e.Code}
}

// inAWS is API Gateway's answer to the Lambda authorizer's: its
// "Unauthorized" error is the UNAUTHORIZED gateway response, a 401 whose
// body API Gateway writes ({"message":"Unauthorized"}: no code); a Deny is
// the ACCESS_DENIED one, whose template renders the context's code
// (constructs/api.AccessDeniedTemplate); another error is a 500.
func inAWS(t *testing.T, res events.APIGatewayCustomAuthorizerResponse, err error) answer {
	t.Helper()
	switch {
	case errors.Is(err, authorizer.ErrUnauthorized):
		return answer{Status: 401}
	case err != nil:
		return answer{Status: 500}
	}
	require.NotEmpty(t, res.PolicyDocument.Statement)
	if res.PolicyDocument.Statement[0].Effect == "Allow" {
		return answer{Status: 200}
	}
	code, _ := res.Context["code"].(string)
	return answer{Status: 403, Code: code}
}

// The web app keys on a refusal's status and, for some, its code
// (web/src/auth/guard.ts: 401 is an ended session, 403 session_moved a
// moved workspace, 403 tenant_suspended...). The local gateway answers
// Authorize's error; AWS answers what API Gateway makes of the Lambda
// authorizer's. Every refusal has the same status both ways, and every code
// the local gateway sends on a 403 reaches the client in AWS too; a 401's
// code never does, so no client may depend on one. A moved workspace's
// old session once got 401 session_moved locally and a plain 401 in AWS
// (and in make dev's template mode): "Your session has ended".
func TestTheLambdaAuthorizerAnswersAsTheLocalGatewayDoes(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	arn := "arn:aws:execute-api:us-east-1:123456789012:api123/v1/GET/v1/me"
	for _, email := range []string{"ann@acme.test", "root@provider.test", "ghost@acme.test", "eve@acme.test",
		"who@nowhere.test", "zed@sleepy.test", "ned@newco.test", "max@movedco.test"} {
		for _, header := range []string{"Bearer " + w.tokens[email], "Bearer " + tamper(w.tokens[email])} {
			_, _, err := w.a.Authorize(ctx, header)
			local := inProcess(err)
			res, herr := w.a.Handle(ctx, events.APIGatewayCustomAuthorizerRequestTypeRequest{MethodArn: arn,
				Headers: map[string]string{"Authorization": header}})
			aws := inAWS(t, res, herr)
			assert.Equal(t, local.Status, aws.Status, "%s: the status", email)
			if local.Status == 403 {
				assert.Equal(t, local.Code, aws.Code, "%s: a 403's code reaches the client in AWS", email)
			}
		}
	}

	_, _, err := w.a.Authorize(ctx, "Bearer "+w.tokens["max@movedco.test"])
	assert.Equal(t, answer{Status: 403, Code: authorizer.SessionMoved}, inProcess(err), "the local gateway")
	res, err := w.a.Handle(ctx, events.APIGatewayCustomAuthorizerRequestTypeRequest{MethodArn: arn,
		Headers: map[string]string{"Authorization": "Bearer " + w.tokens["max@movedco.test"]}})
	assert.Equal(t, answer{Status: 403, Code: authorizer.SessionMoved}, inAWS(t, res, err), "AWS")
}

// cellDirectory is the global tenant directory as the authorizer reads it.
type cellDirectory struct {
	entries map[string]cells.Entry
	err     error
	reads   int
}

func (d *cellDirectory) Get(_ context.Context, tenantID string) (cells.Entry, error) {
	d.reads++
	if d.err != nil {
		return cells.Entry{}, d.err
	}
	e, ok := d.entries[tenantID]
	if !ok {
		return cells.Entry{}, cells.ErrNotFound
	}
	return e, nil
}

func TestATenantTheDirectoryPlacesInAnotherCellIsRefusedWithThatCellsAPI(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	dir := &cellDirectory{entries: map[string]cells.Entry{
		"acme": {TenantID: "acme", Cell: "cell-1", APIURL: "https://one.example/prod"},
	}}
	cfg := w.cfg
	cfg.Cell, cfg.Cells = "cell-1", dir
	a := authorizer.New(cfg, w.reg, w.dir)
	ann := "Bearer " + w.tokens["ann@acme.test"]

	p, _, err := a.Authorize(ctx, ann)
	require.NoError(t, err, "a tenant of this cell")
	assert.Equal(t, "acme", p.TenantID)

	// Moved: this cell still holds acme's registry record and users (the
	// old home, kept for the grace period), the directory says cell-2.
	dir.entries["acme"] = cells.Entry{TenantID: "acme", Cell: "cell-2", APIURL: "https://two.example/prod"}
	_, _, err = a.Authorize(ctx, ann)
	e := errs.As(err)
	assert.Equal(t, errs.KindForbidden, e.Kind)
	assert.Equal(t, authorizer.CodeTenantInOtherCell, e.Code)
	assert.Contains(t, e.Message, "cell-2")
	assert.Contains(t, e.Message, "https://two.example/prod")

	res, err := a.Handle(ctx, events.APIGatewayCustomAuthorizerRequestTypeRequest{
		MethodArn: "arn:aws:execute-api:us-east-1:123456789012:api123/v1/GET/v1/me", Headers: map[string]string{"Authorization": ann}})
	require.NoError(t, err)
	assert.Equal(t, "Deny", res.PolicyDocument.Statement[0].Effect)
	assert.Equal(t, authorizer.CodeTenantInOtherCell, res.Context["code"])

	// A tenant the directory does not hold is the registry's to judge.
	_, _, err = a.Authorize(ctx, "Bearer "+w.tokens["zed@sleepy.test"])
	assert.Equal(t, "tenant_suspended", errs.As(err).Code)

	// Root has no tenant: no directory read.
	reads := dir.reads
	_, _, err = a.Authorize(ctx, "Bearer "+w.tokens["root@provider.test"])
	require.NoError(t, err)
	assert.Equal(t, reads, dir.reads)

	// A directory that cannot be read refuses (500), it does not guess.
	dir.err = errors.New("throttled")
	_, _, err = a.Authorize(ctx, ann)
	assert.Equal(t, errs.KindInternal, errs.As(err).Kind)
	dir.err = nil

	t.Run("the directory's answer is cached like the registry's", func(t *testing.T) {
		dir.entries["acme"] = cells.Entry{TenantID: "acme", Cell: "cell-1"}
		cfg.CacheTTL = time.Hour
		a := authorizer.New(cfg, w.reg, w.dir)
		dir.reads = 0
		for range 3 {
			_, _, err := a.Authorize(ctx, ann)
			require.NoError(t, err)
		}
		assert.Equal(t, 1, dir.reads)
		dir.entries["acme"] = cells.Entry{TenantID: "acme", Cell: "cell-2"}
		_, _, err := a.Authorize(ctx, ann)
		require.NoError(t, err, "within the cache time the old answer holds (RevocationDelay)")
	})
}

// Root signs out everywhere as a tenant user does: every root token of a
// session signed in before is refused (session_ended), however long before
// its expiry, and a new sign-in works. Before, a provider token was
// accepted on its signature alone until its hour was up.
func TestRootsSignOutEndsRootsSessions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	here, there := w.tokens["root@provider.test"], w.login("root@provider.test")
	p, _, err := w.a.Authorize(ctx, "Bearer "+here)
	require.NoError(t, err)
	require.Equal(t, roles.Root, p.Role)

	require.NoError(t, people.SignOutRoot(ctx, w.reg, p, time.Now()))
	for _, tok := range []string{here, there} {
		_, _, err = w.a.Authorize(ctx, "Bearer "+tok)
		require.Error(t, err, "a root token outlives the sign-out")
		assert.Equal(t, authorizer.SessionEnded, errs.As(err).Code)
	}
	// An earlier end changes nothing; a new sign-in is a new session.
	require.NoError(t, w.reg.EndRootSessions(ctx, p.UserID, time.Now().Add(-time.Hour)))
	_, _, err = w.a.Authorize(ctx, "Bearer "+w.login("root@provider.test"))
	assert.NoError(t, err)
}

// A root user disabled in the provider pool (Cognito's console or CLI) is
// refused at once, however long before its expiry their token was issued,
// as a disabled tenant user is (401 user_disabled: the console sends a 401
// to sign-in, where Cognito says the user is disabled). Enabled again,
// their tokens from before the disable stay ended, and a new sign-in works.
// Before, a provider token was accepted on its signature alone until its
// hour was up.
func TestADisabledRootUsersTokensEnd(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tok := w.tokens["root@provider.test"]
	p, _, err := w.a.Authorize(ctx, "Bearer "+tok)
	require.NoError(t, err)
	require.Equal(t, roles.Root, p.Role)

	w.setRootEnabled(false)
	_, _, err = w.a.Authorize(ctx, "Bearer "+tok)
	require.Error(t, err, "a disabled root user's token outlives the disable")
	assert.Equal(t, errs.KindUnauthorized, errs.As(err).Kind)
	assert.Equal(t, authorizer.UserDisabled, errs.As(err).Code)
	// The console sends a 401 to its sign-in, where Cognito refuses the
	// user (cognito-local too, with its preload): the web app shows
	// "This account is disabled." for that message (cognitoMessage).
	err = w.signIn("root@provider.test")
	require.Error(t, err, "a disabled user signs in")
	assert.Contains(t, err.Error(), "NotAuthorizedException")
	assert.Contains(t, err.Error(), "User is disabled.")

	w.setRootEnabled(true)
	_, _, err = w.a.Authorize(ctx, "Bearer "+tok)
	require.Error(t, err, "enabling the user again revives a token from before the disable")
	assert.Equal(t, authorizer.SessionEnded, errs.As(err).Code)

	// A sign-in after the recorded end (the next whole second) is a new session.
	ended, err := w.reg.RootSessionsEnded(ctx, p.UserID)
	require.NoError(t, err)
	time.Sleep(time.Until(ended))
	_, _, err = w.a.Authorize(ctx, "Bearer "+w.login("root@provider.test"))
	assert.NoError(t, err)
}
