package usermigration_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/authorizer"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/cognito/usermigration"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/idtoken"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// triggerCognito starts a cognito-local of this test whose UserMigration
// trigger is the real trigger, served in process behind a local Lambda
// Invoke API (cognito-local's triggers are per instance, so the shared
// test cognito-local is left alone). Its port is ITR_TEST_COGNITO_TRIGGERS_PORT,
// or one the system picks.
func triggerCognito(t *testing.T, tr *usermigration.Trigger) (*cip.Client, string) {
	t.Helper()
	cfg, _ := testenv.AWS(t)
	root, err := testenv.Root()
	require.NoError(t, err)
	invoke := httptest.NewServer(localcloud.InvokeAPI(map[string]localcloud.Handler{string(routes.FnUserMigration): func(ctx context.Context, ev json.RawMessage) (any, error) { return tr.Local(ctx, ev) }}))
	t.Cleanup(invoke.Close)
	dir := t.TempDir()
	require.NoError(t, localcloud.CognitoTriggers(dir, invoke.URL, map[string]string{"UserMigration": string(routes.FnUserMigration)}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := func(port int) (*localcloud.Process, error) {
		return localcloud.CognitoLocal(ctx, localcloud.Options{Root: root, Port: port, DataDir: dir})
	}
	port, _ := strconv.Atoi(os.Getenv("ITR_TEST_COGNITO_TRIGGERS_PORT"))
	var p *localcloud.Process
	if port != 0 {
		p, err = start(port)
	} else {
		p, port, err = localcloud.OnFreePorts(1, start)
	}
	require.NoError(t, err)
	t.Cleanup(p.Stop)
	endpoint := "http://localhost:" + strconv.Itoa(port)
	return cognito.NewClient(cfg, awsx.Endpoints{Cognito: endpoint}), endpoint
}

func signIn(ctx context.Context, c *cip.Client, client, email, password string, meta map[string]string) (string, error) {
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(client),
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password}, ClientMetadata: meta,
	})
	if err != nil {
		return "", err
	}
	return "Bearer " + aws.ToString(out.AuthenticationResult.IdToken), nil
}

func code(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// In the local platform's cognito-local, which really calls the trigger:
// acme moves to Platinum and its Super Admin signs in to acme's new pool
// with the OLD password, gets tokens of acme with their role and keeps
// their user id; globex's Super Admin, password right, is refused there;
// the old pool's token gets 403 session_moved. Back to a pooled tier, the
// dedicated pool's token gets session_moved and the shared pool serves
// acme again. A tenant born Platinum (initech, users only in its own pool)
// downgrades and its user moves into the shared pool on first sign-in,
// naming the workspace; a wrong workspace gets nothing.
func TestUsersFollowTheirTenantBetweenPoolsWithTheirPasswords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tr := &usermigration.Trigger{}
	c, endpoint := triggerCognito(t, tr)
	w := apitest.NewWorldWith(t, apitest.WorldOptions{Cognito: c, CognitoEndpoint: endpoint})
	svc := app.Lifecycle(w.Deps)
	// Sign-ins between the runs, no write during one: none in flight.
	svc.Migration = onboarding.MigrationOptions{Settle: 10 * time.Millisecond, Grace: time.Millisecond, NoWriteInFlight: true}
	reg := tenantdb.New(w.Deps.DB, w.Deps.Names)
	*tr = usermigration.Trigger{C: c, Tenants: reg, SharedPool: w.Pool, SharedClient: w.Client, IssuerBase: endpoint}
	dir := peopledb.UserDB{DB: w.Deps.DB}
	az := authorizer.New(authorizer.Config{
		TenantPool:   authorizer.PoolFor(endpoint, w.Pool, idtoken.PoolTenant, w.Client),
		ProviderPool: authorizer.PoolFor(endpoint, "provider-none", idtoken.PoolProvider),
		CacheTTL:     time.Nanosecond,
	}, reg, dir)
	owner := w.Users["owner@acme.test"]
	// The global directory: each switch names the pool that now serves the
	// tenant in its entry (cells.Directory.SetPool), which the workspace
	// lookup sends its users to.
	entries := cells.Directory{DB: w.Deps.Control(), Table: w.Deps.Names.Directory()}
	require.NoError(t, dynamo.EnsureTable(ctx, entries.DB, schema.Directory, entries.Table))
	t.Cleanup(func() { _ = dynamo.DeleteTable(context.Background(), entries.DB, entries.Table) })
	here := cells.Cell{ID: "cell-1", Region: "us-east-1", APIURL: "https://api.test", UserPoolID: w.Pool, ClientID: w.Client}
	require.NoError(t, entries.Register(ctx, cells.For("acme", tiers.Standard, here)))
	svc.Machine.Cell, svc.Machine.PoolDirectory = here.ID, entries
	entryPool := func(id string) [3]string {
		t.Helper()
		e, err := entries.Get(ctx, id)
		require.NoError(t, err)
		return [3]string{string(e.Tier), e.UserPoolID, e.ClientID}
	}
	counted := func(tier tiers.Name) float64 {
		t.Helper()
		c, err := entries.Counts(ctx)
		require.NoError(t, err)
		return c[here.ID][tier]
	}

	old, err := signIn(ctx, c, w.Client, "owner@acme.test", apitest.Password, nil)
	require.NoError(t, err)
	p, _, err := az.Authorize(ctx, old)
	require.NoError(t, err)
	require.Equal(t, owner.ID, p.UserID)

	migrate := func(id, tier string) tenant.Tenant {
		t.Helper()
		res := w.Root().Do("POST", "/v1/admin/tenants/"+id+"/migration", map[string]any{"tier": tier})
		require.Equal(t, 202, res.Status, string(res.Body))
		st, err := svc.States.Get(ctx, id)
		require.NoError(t, err)
		require.Empty(t, st.Error)
		require.True(t, !st.FinishedAt.IsZero() || st.Waiting == onboarding.StepRetire, "switched: %+v", st)
		tn, err := reg.Get(ctx, id)
		require.NoError(t, err)
		return tn
	}

	// Up: acme's own pool.
	acme := migrate("acme", "platinum")
	require.NotEmpty(t, acme.Issuer)
	require.Equal(t, &tenant.FormerPool{ID: w.Pool}, acme.FormerPool)
	own := acme.ClientIDs[0]
	assert.Equal(t, [3]string{"platinum", acme.UserPoolID, own}, entryPool("acme"), "the entry names acme's tier and own pool")
	assert.Equal(t, []float64{0, 1}, []float64{counted(tiers.Standard), counted(tiers.Platinum)}, "counted as Platinum in its cell")

	_, _, err = az.Authorize(ctx, old)
	assert.Equal(t, authorizer.SessionMoved, code(err), "the shared pool's token ends: %v", err)

	tok, err := signIn(ctx, c, own, "owner@acme.test", apitest.Password, nil)
	require.NoError(t, err, "the old password works in the new pool")
	p, _, err = az.Authorize(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, "acme", p.TenantID)
	assert.Equal(t, roles.SuperAdmin, p.Role)
	assert.Equal(t, owner.ID, p.UserID, "the same user, though the new pool gave a new sub")
	u, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(acme.UserPoolID), Username: aws.String("owner@acme.test")})
	require.NoError(t, err)
	assert.Equal(t, types.UserStatusTypeConfirmed, u.UserStatus)
	// A second sign-in finds the user (no trigger); a wrong password fails.
	_, err = signIn(ctx, c, own, "owner@acme.test", apitest.Password, nil)
	require.NoError(t, err)
	_, err = signIn(ctx, c, own, "admin@acme.test", "Wrong-Password-9", nil)
	assert.Error(t, err)

	_, err = signIn(ctx, c, own, "owner@globex.test", apitest.Password, nil)
	var na *types.NotAuthorizedException
	assert.True(t, errors.As(err, &na), "another tenant's user is refused like an unknown one: %v", err)
	_, err = signIn(ctx, c, own, "nobody@acme.test", apitest.Password, nil)
	assert.True(t, errors.As(err, &na), "an unknown user: %v", err)

	// While on Platinum the owner changes their password in acme's pool;
	// the shared pool still holds their account of before (the upgrade's
	// grace period ended before they moved, so it was theirs then), and
	// user@acme, who never moved, keeps theirs.
	const changed = "Changed-In-Own-Pool-1!"
	_, err = c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(acme.UserPoolID),
		Username: aws.String("owner@acme.test"), Password: aws.String(changed), Permanent: true})
	require.NoError(t, err)
	inShared := func(email string) bool {
		t.Helper()
		_, found, err := w.Pools.TenantOf(ctx, w.Pool, email)
		require.NoError(t, err)
		return found
	}
	require.True(t, inShared("owner@acme.test"), "the stale account, before the downgrade")

	// Down again: the dedicated pool's token ends; the shared pool serves
	// acme, with the owner's CURRENT password: the downgrade deleted the
	// stale shared account, so the trigger moved the current one.
	svc.Migration.Grace = time.Hour // acme's own pool stays for its grace period (retire_old_home waits)
	acme = migrate("acme", "premium")
	assert.Empty(t, acme.Issuer)
	assert.Equal(t, [3]string{"premium", w.Pool, w.Client}, entryPool("acme"), "the entry names the shared pool again")
	assert.Equal(t, []float64{1, 0}, []float64{counted(tiers.Premium), counted(tiers.Platinum)}, "counted as Premium in its cell")
	_, _, err = az.Authorize(ctx, tok)
	assert.Equal(t, authorizer.SessionMoved, code(err), "the dedicated pool's token ends: %v", err)
	_, err = signIn(ctx, c, w.Client, "owner@acme.test", apitest.Password, map[string]string{usermigration.TenantKey: "acme"})
	assert.True(t, errors.As(err, &na), "the password of before the change is refused: %v", err)
	tok, err = signIn(ctx, c, w.Client, "owner@acme.test", changed, map[string]string{usermigration.TenantKey: "acme"})
	require.NoError(t, err, "the current password works in the shared pool")
	p, _, err = az.Authorize(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, owner.ID, p.UserID)
	assert.Equal(t, roles.SuperAdmin, p.Role)
	_, err = signIn(ctx, c, w.Client, "user@acme.test", apitest.Password, map[string]string{usermigration.TenantKey: "acme"})
	require.NoError(t, err, "a user who never moved still signs in with the account they always had")

	// Born Platinum: initech's users live only in its own pool.
	pl, err := apitest.TablePlatinum{DB: w.Deps.DB, Names: w.Deps.Names, Pools: &w.Pools, IssuerBase: endpoint}.
		Provision(ctx, tenant.Tenant{ID: "initech"})
	require.NoError(t, err)
	now := time.Now().UTC()
	require.NoError(t, reg.Create(ctx, tenant.Tenant{ID: "initech", Name: "Initech", Tier: tiers.Platinum, Status: tenant.StatusActive,
		Table: pl.Table, UserPoolID: pl.UserPoolID, Issuer: pl.Issuer, ClientIDs: pl.ClientIDs, CreatedAt: now, UpdatedAt: now}))
	sub, err := w.Pools.EnsureUser(ctx, pl.UserPoolID, cognito.UserSpec{Email: "ida@initech.test", Password: "Initech-Pass-77!", TenantID: "initech", Role: string(roles.Admin)})
	require.NoError(t, err)
	ida := people.User{ID: sub, TenantID: "initech", Username: "ida@initech.test", Email: "ida@initech.test", Role: roles.Admin,
		Status: people.UserActive, CreatedAt: now, UpdatedAt: now, Version: 1}
	require.NoError(t, dir.Put(tenancy.WithTenant(ctx, "initech"), tenancy.Scope{Table: pl.Table, TenantID: "initech"}, ida))

	// ivan never signs in while initech moves back.
	_, err = w.Pools.EnsureUser(ctx, pl.UserPoolID, cognito.UserSpec{Email: "ivan@initech.test", Password: "Initech-Pass-78!", TenantID: "initech", Role: string(roles.User)})
	require.NoError(t, err)
	ivan := people.User{ID: "ivan-sub", TenantID: "initech", Username: "ivan@initech.test", Email: "ivan@initech.test", Role: roles.User,
		Status: people.UserActive, CreatedAt: now, UpdatedAt: now, Version: 1}
	require.NoError(t, dir.Put(tenancy.WithTenant(ctx, "initech"), tenancy.Scope{Table: pl.Table, TenantID: "initech"}, ivan))

	// The grace period (an hour) ends below, with the clock moved.
	res := w.Root().Do("POST", "/v1/admin/tenants/initech/migration", map[string]any{"tier": "premium"})
	require.Equal(t, 202, res.Status, string(res.Body))
	_, err = signIn(ctx, c, w.Client, "ida@initech.test", "Initech-Pass-77!", map[string]string{usermigration.TenantKey: "acme"})
	assert.True(t, errors.As(err, &na), "naming another workspace gets nothing: %v", err)
	_, err = signIn(ctx, c, w.Client, "ida@initech.test", "Initech-Pass-77!", nil)
	assert.True(t, errors.As(err, &na), "naming none gets nothing: %v", err)
	tok, err = signIn(ctx, c, w.Client, "ida@initech.test", "Initech-Pass-77!", map[string]string{usermigration.TenantKey: "initech"})
	require.NoError(t, err, "the old password works in the shared pool")
	p, _, err = az.Authorize(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, "initech", p.TenantID)
	assert.Equal(t, roles.Admin, p.Role)
	assert.Equal(t, ida.ID, p.UserID)

	// The grace period ends: initech's own pool is destroyed with its
	// stack, and ivan, who never signed in, is invited into the shared
	// pool (a temporary password by mail) with his role; ida, who moved,
	// is left as she is.
	inSharedAs := func(email string) (types.UserStatusType, map[string]string) {
		t.Helper()
		u, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(w.Pool), Username: aws.String(email)})
		require.NoError(t, err, email)
		attrs := map[string]string{}
		for _, a := range u.UserAttributes {
			attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
		}
		return u.UserStatus, attrs
	}
	_, err = c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(w.Pool), Username: aws.String("ivan@initech.test")})
	var unf *types.UserNotFoundException
	require.True(t, errors.As(err, &unf), "not in the shared pool during the grace period: %v", err)
	svc.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	started, err := svc.RetireExpired(ctx)
	svc.Now = nil
	require.NoError(t, err)
	require.Contains(t, started, "initech")
	st, err := svc.States.Get(ctx, "initech")
	require.NoError(t, err)
	require.Empty(t, st.Error)
	require.False(t, st.FinishedAt.IsZero(), "retired: %+v", st)
	status, attrs := inSharedAs("ivan@initech.test")
	assert.Equal(t, types.UserStatusTypeForceChangePassword, status, "invited: a temporary password, a new one at first sign-in")
	assert.Equal(t, "initech", attrs["custom:"+cognito.AttrTenant])
	assert.Equal(t, string(roles.User), attrs["custom:"+cognito.AttrRole])
	status, _ = inSharedAs("ida@initech.test")
	assert.Equal(t, types.UserStatusTypeConfirmed, status, "ida moved with her password and is not invited again")
	_, err = signIn(ctx, c, w.Client, "ida@initech.test", "Initech-Pass-77!", map[string]string{usermigration.TenantKey: "initech"})
	require.NoError(t, err)

	// An upgrade's grace period ends: the background job deletes the
	// pooled copy and the shared-pool accounts of the users who moved.
	res = w.Root().Do("POST", "/v1/admin/tenants/globex/migration", map[string]any{"tier": "platinum"})
	require.Equal(t, 202, res.Status, string(res.Body))
	st, err = svc.States.Get(ctx, "globex")
	require.NoError(t, err)
	require.Equal(t, onboarding.StepRetire, st.Waiting, "the old home is kept for the grace period")
	globex, err := reg.Get(ctx, "globex")
	require.NoError(t, err)
	_, err = signIn(ctx, c, globex.ClientIDs[0], "owner@globex.test", apitest.Password, nil)
	require.NoError(t, err, "globex's owner moves into its own pool")
	require.True(t, inShared("owner@globex.test"), "kept during the grace period (the rollback)")
	svc.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	started, err = svc.RetireExpired(ctx)
	svc.Now = nil
	require.NoError(t, err)
	assert.Contains(t, started, "globex")
	st, err = svc.States.Get(ctx, "globex")
	require.NoError(t, err)
	require.Empty(t, st.Error)
	require.False(t, st.FinishedAt.IsZero(), "retired: %+v", st)
	assert.False(t, inShared("owner@globex.test"), "the stale shared account is gone")
	_, err = signIn(ctx, c, globex.ClientIDs[0], "owner@globex.test", apitest.Password, nil)
	require.NoError(t, err, "and the owner signs in to globex's pool as before")
}
