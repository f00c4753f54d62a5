package peopleapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/authorizer"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/idtoken"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/require"
)

const password = "Correct-Horse-9"

// world: tenants acme (Standard) and globex (Basic) in a shared pool on
// cognito-local, their tables on DynamoDB Local, the API in-process and an
// authorizer with a tiny cache (revocation is seen after cacheTTL).
type world struct {
	t      *testing.T
	db     *dynamodb.Client
	names  schema.Names
	pools  cognito.Pools
	pool   string
	client string
	api    *apitest.API
	az     *authorizer.Authorizer
	dir    peopledb.UserDB
	users  map[string]people.User // by email
	// boxes are the mailboxes of invited people, opened before the invitation.
	boxes map[string]*testenv.Mailbox
}

const cacheTTL = 50 * time.Millisecond

func newWorld(t *testing.T) *world {
	ctx := context.Background()
	db, names := testenv.Tables(t)
	_, e := testenv.AWS(t)
	w := &world{t: t, db: db, names: names, pools: cognito.Pools{C: testenv.Cognito(t)}, dir: peopledb.UserDB{DB: db}, users: map[string]people.User{},
		boxes: map[string]*testenv.Mailbox{}}
	var err error
	w.pool, err = cognitotest.EnsurePool(ctx, w.pools.C, names.Prefix+"-tenants")
	require.NoError(t, err)
	w.client, err = cognitotest.EnsureClient(ctx, w.pools.C, w.pool, "web")
	require.NoError(t, err)
	reg := tenantdb.New(db, names)
	now := time.Now().UTC()
	for _, tn := range []tenant.Tenant{
		{ID: "acme", Name: "Acme", Tier: tiers.Standard, Status: tenant.StatusActive, APIKey: "key-acme"},
		{ID: "globex", Name: "Globex", Tier: tiers.Basic, Status: tenant.StatusActive, APIKey: "key-globex"},
		{ID: "initech", Name: "Initech", Tier: tiers.Premium, Status: tenant.StatusActive, APIKey: "key-initech"},
	} {
		tn.Table, tn.CreatedAt, tn.UpdatedAt = names.App(), now, now
		require.NoError(t, reg.Create(ctx, tn))
	}
	// An offboarded tenant keeps its record, without a table.
	require.NoError(t, reg.Create(ctx, tenant.Tenant{ID: "gone", Name: "Gone", Tier: tiers.Basic, Status: tenant.StatusDeleted,
		APIKey: "key-gone", CreatedAt: now, UpdatedAt: now}))
	w.seed("owner@acme.test", "acme", roles.SuperAdmin)
	w.seed("admin@acme.test", "acme", roles.Admin)
	w.seed("user@acme.test", "acme", roles.User)
	w.seed("owner@globex.test", "globex", roles.SuperAdmin)
	w.seed("admin@globex.test", "globex", roles.Admin)
	w.seed("owner@initech.test", "initech", roles.SuperAdmin)
	w.api = apitest.New(t, app.Deps{DB: db, Cognito: w.pools, Names: names, Now: time.Now, TenantPoolID: w.pool,
		Mail: testenv.MailSender(t), WebBaseURL: "http://web.test"})
	w.az = authorizer.New(authorizer.Config{
		TenantPool:   authorizer.PoolFor(e.Cognito, w.pool, idtoken.PoolTenant, w.client),
		ProviderPool: authorizer.PoolFor(e.Cognito, "none", idtoken.PoolProvider),
		CacheTTL:     cacheTTL,
		MFAEnabled:   w.pools.MFAEnabled,
	}, reg, w.dir)
	return w
}

// seed creates a Cognito user with a permanent password and its record.
func (w *world) seed(email, tenantID string, role roles.Role) people.User {
	ctx := context.Background()
	sub, err := w.pools.EnsureUser(ctx, w.pool, cognito.UserSpec{Email: email, Password: password, TenantID: tenantID, Role: string(role)})
	require.NoError(w.t, err)
	now := time.Now().UTC()
	u := people.User{ID: sub, TenantID: tenantID, Username: email, Email: email, Role: role, Status: people.UserActive, CreatedAt: now, UpdatedAt: now, Version: 1}
	require.NoError(w.t, w.dir.Put(ctx, tenancy.Scope{Table: w.names.App(), TenantID: tenantID}, u))
	w.users[email] = u
	return u
}

// as is the principal the authorizer would give the seeded user.
func (w *world) as(email string) apitest.Caller {
	u, ok := w.users[email]
	require.True(w.t, ok, email)
	tier := map[string]tiers.Name{"acme": tiers.Standard, "globex": tiers.Basic, "initech": tiers.Premium}[u.TenantID]
	return w.api.As(tenancy.Principal{TenantID: u.TenantID, UserID: u.ID, Username: u.Email, Email: u.Email,
		Role: u.Role, Tier: tier, Table: w.names.App()})
}

// acceptInvitation is what the invited person does: the temporary password
// from the invitation mail (read from mailpit), then a sign-in that answers
// NEW_PASSWORD_REQUIRED.
func (w *world) acceptInvitation(email string) cognito.Tokens {
	w.t.Helper()
	box, ok := w.boxes[email]
	require.True(w.t, ok, "invite %s first", email)
	msg := box.Next("You're invited to")
	require.NotEmpty(w.t, msg.TemporaryPassword(), msg.Text)
	tok, err := cognitotest.SignIn(context.Background(), w.pools.C, w.client, email, msg.TemporaryPassword(), password, nil)
	require.NoError(w.t, err)
	return tok
}

func (w *world) invite(by, email string, role roles.Role) people.User {
	w.t.Helper()
	if w.boxes[email] == nil {
		w.boxes[email] = testenv.NewMailbox(w.t, email)
	}
	res := w.as(by).Do("POST", "/v1/users", map[string]any{"email": email, "role": role})
	require.Equal(w.t, http.StatusCreated, res.Status, string(res.Body))
	var u people.User
	res.JSON(w.t, &u)
	w.users[email] = u
	return u
}

func identityUser(email, tenantID string) cognito.UserSpec {
	return cognito.UserSpec{Email: email, TenantID: tenantID, Role: "user", Tier: "standard"}
}
