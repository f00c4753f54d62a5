package app_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/access"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/cells/placement"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Every directory call the functions make, wired as in AWS (the function's
// own client, a placer that knows its own cell only: cellsFromEnv), is one
// its grant on the directory allows (access.Directory, which the platform
// stack turns into IAM with LeadingKeys conditions).
func TestFunctionsStayWithinTheirDirectoryGrants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, names := testenv.Tables(t)
	dir := schema.Names{Prefix: names.Prefix}.Directory()
	require.NoError(t, dynamo.EnsureTable(ctx, db, schema.Directory, dir))
	t.Cleanup(func() { _ = dynamo.DeleteTable(context.Background(), db, dir) })
	cog := testenv.Cognito(t)
	pool, err := cognitotest.EnsurePool(ctx, cog, names.Prefix+"-tenants")
	require.NoError(t, err)
	client, err := cognitotest.EnsureClient(ctx, cog, pool, "web")
	require.NoError(t, err)

	rec := &controlRecorder{table: dir}
	here := cells.Cell{ID: "cell-1", Region: "us-east-1", APIURL: "https://one.example/prod", UserPoolID: pool, ClientID: client}
	directoryAs := func(fn routes.Function) *cells.Directory {
		return &cells.Directory{DB: rec.client(db, fn), Table: dir}
	}
	base := app.Deps{DB: tenantcreds.RequireTenant(db), ControlDB: db, Cognito: cognito.Pools{C: cog}, Names: names, Now: time.Now,
		TenantPoolID: pool, TenantClientID: client, Region: "us-east-1", RegistrationsPerHour: 1000, LookupsPerMinute: 1000,
		Mail: testenv.MailSender(t), WebBaseURL: "http://web.test", Cell: here.ID}
	queue := &runQueue{}
	api := apitest.New(t, base).PerFunction(func(fn routes.Function, d app.Deps) app.Deps {
		d.CellDirectory = directoryAs(fn)
		d.CellPlacement = &placement.Placer{Directory: *d.CellDirectory, Cells: []cells.Cell{here}, Unmodelled: true}
		if fn == routes.FnRegistration {
			d.Lifecycle = app.NewLifecycle(d, app.LifecycleOptions{Driver: func(*onboarding.Machine) onboarding.Driver { return queue }})
		}
		return d
	})
	anon := api.Anonymous()
	reg := func(slug, email string) map[string]string {
		return map[string]string{"company_name": slug, "slug": slug, "admin_email": email, "tier": "standard"}
	}
	const id = "dirgrant"
	res := anon.Do("POST", "/v1/registrations", reg(id, "owner-"+id+"@"+names.Prefix+".test"))
	require.Equal(t, http.StatusAccepted, res.Status, string(res.Body))
	e, err := directoryAs("").Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, here.APIURL, e.APIURL, "the entry names this cell's API (ITR_CELL_API_URL)")
	// Its verification makes the claim permanent (a wrong code undoes it),
	// and a registration replaces an expired claim and moves its count.
	undo, err := directoryAs(routes.FnRegistration).Confirm(ctx, id, "cell-1")
	require.NoError(t, err)
	require.NoError(t, undo())
	stale, past := cells.For("dirgrant3", tiers.Standard, here), time.Now().Add(-time.Minute)
	stale.ClaimExpiresAt = &past
	require.NoError(t, directoryAs("").Register(ctx, stale))
	require.NoError(t, directoryAs(routes.FnRegistration).Register(ctx, cells.For("dirgrant3", tiers.Basic, here)))
	// Refused after its slug was claimed: the claim is removed again.
	res = anon.Do("POST", "/v1/registrations", reg("dirgrant2", "not an address"))
	require.Equal(t, http.StatusBadRequest, res.Status, string(res.Body))
	_, err = directoryAs("").Get(ctx, "dirgrant2")
	require.Error(t, err, "the failed registration's claim is released")
	res = anon.Do("GET", "/v1/workspaces/"+id, nil)
	require.Equal(t, http.StatusNotFound, res.Status, "pending: no workspace to sign in to yet (%s)", res.Body)
	// The authorizer's read, and a move's switch as the onboarding function runs it.
	_, err = directoryAs(routes.FnAuthorizer).Get(ctx, id)
	require.NoError(t, err)
	// A tier migration's switch into Platinum, then the move's.
	require.NoError(t, directoryAs(routes.FnOnboarding).SetHome(ctx, id, "cell-1", tiers.Platinum, "own-pool", "own-client"))
	require.NoError(t, directoryAs(routes.FnOnboarding).Switch(ctx, id, "cell-1", cells.Entry{Cell: "cell-2", Tier: tiers.Platinum}))

	byFn := map[routes.Function]map[string]bool{}
	for _, c := range rec.calls {
		if c.fn == "" {
			continue // the test's own reads
		}
		if byFn[c.fn] == nil {
			byFn[c.fn] = map[string]bool{}
		}
		byFn[c.fn][c.action] = true
		assert.True(t, access.AllowsDirectory(c.fn, c.action, c.pk), "not granted: %s", c)
	}
	assert.Equal(t, map[string]bool{"GetItem": true, "PutItem": true, "UpdateItem": true, "DeleteItem": true}, byFn[routes.FnRegistration])
	assert.Equal(t, map[string]bool{"GetItem": true}, byFn[routes.FnAuthorizer])
	assert.Equal(t, map[string]bool{"GetItem": true, "UpdateItem": true}, byFn[routes.FnOnboarding])
}
