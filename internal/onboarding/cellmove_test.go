package onboarding_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/audit/auditdb"
	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/billing/billingdb"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/onboarding/apikeys"
	"github.com/issuetracker/issuetracker/internal/onboarding/onboardingdb"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// cellDirectory is the global directory in memory; failSwitch fails that
// many switches.
type cellDirectory struct {
	mu         sync.Mutex
	cell       map[string]string
	entry      map[string]onboarding.CellEntry
	failSwitch int
}

func (d *cellDirectory) CellOf(_ context.Context, id string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.cell[id]
	if !ok {
		return "", errs.NotFound("workspace")
	}
	return c, nil
}

func (d *cellDirectory) Switch(_ context.Context, id, from string, to onboarding.CellEntry) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failSwitch > 0 {
		d.failSwitch--
		return errInjected
	}
	if d.cell[id] != from {
		return errs.Conflict("tenant_not_in_cell", "not in "+from)
	}
	d.cell[id], d.entry[id] = to.Cell, to
	return nil
}

type cellWorld struct {
	svc      *onboarding.Service
	bill     [2]billingdb.Store // the two cells' billing accounts
	here     *tenantdb.Store
	there    *tenantdb.Store
	dir      *cellDirectory
	store    tenantdata.Store
	from, to string // the two cells' pooled tables
}

// twoCellWorld: acme, Standard, active in cell-1 with 12 items; cell-2
// reachable on the same DynamoDB. Nothing writes the tenant while its move
// runs (the tests write before it or after its switch), so its freeze
// waits NoWriteInFlight's settle (a millisecond), not keylog.Bound's 2 s
// and the key log's slack after it, in every run.
func twoCellWorld(t *testing.T) *cellWorld {
	ctx := context.Background()
	db, one := testenv.Tables(t)
	_, two := testenv.Tables(t)
	w := &cellWorld{here: tenantdb.New(db, one), there: tenantdb.New(db, two), store: tenantdata.Store{DB: db, Platform: db},
		dir: &cellDirectory{cell: map[string]string{"acme": "cell-1"}, entry: map[string]onboarding.CellEntry{}}, from: one.App(), to: two.App()}
	w.bill = [2]billingdb.Store{billingdb.New(db, one), billingdb.New(db, two)}
	m := &onboarding.Machine{Tenants: w.here, States: onboardingdb.New(db, one), Audit: auditdb.New(db, one), Billing: billingdb.Mover{DB: db, Table: one.Control()},
		Pooled: onboarding.Pooled{Table: one.App(), UserPoolID: "pool-1"}, Keys: apikeys.Local{}, Move: w.store,
		Migration: onboarding.MigrationOptions{Settle: time.Millisecond, Grace: time.Millisecond, NoWriteInFlight: true},
		Cell:      "cell-1", Cells: &onboarding.Cells{}, CellDirectory: w.dir,
		CellPool: tenant.FormerPool{ID: "pool-1", Issuer: "https://idp.test/pool-1", ClientIDs: []string{"client-1"}}}
	m.Cells.Add(onboarding.Cell{ID: "cell-2", Tenants: w.there, Pooled: onboarding.Pooled{Table: two.App(), UserPoolID: "pool-2"},
		Keys: apikeys.Local{}, APIURL: "https://cell-2.test", Region: "us-east-1", UserPoolID: "pool-2", ClientID: "client-2", Control: two.Control()})
	w.svc = &onboarding.Service{Machine: m, Driver: onboarding.Inline{M: m}}
	require.NoError(t, w.here.Create(ctx, tenant.Tenant{ID: "acme", Name: "Acme", Tier: tiers.Standard, Status: tenant.StatusActive,
		Table: one.App(), UserPoolID: "pool-1", APIKeyID: "local-acme", APIKey: "v1", CreatedAt: time.Now()}))
	_, err := w.bill[0].Put(ctx, billing.Account{TenantID: "acme", Tier: tiers.Standard, Status: billing.StatusActive, CustomerID: "cus_acme",
		SubscriptionID: "sub_acme", AmountCents: 4900, Currency: "usd", UpdatedAt: time.Now()})
	require.NoError(t, err)
	var puts []types.WriteRequest
	for i := range 12 {
		puts = append(puts, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			schema.PK: &types.AttributeValueMemberS{Value: schema.TenantKeyPrefix("acme") + fmt.Sprintf("ISSUE#%d", i)},
			schema.SK: &types.AttributeValueMemberS{Value: "ISSUE"},
			"title":   &types.AttributeValueMemberS{Value: fmt.Sprintf("issue %d", i)},
		}}})
	}
	for len(puts) > 0 {
		n := min(len(puts), 25)
		_, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{one.App(): puts[:n]}})
		require.NoError(t, err)
		puts = puts[n:]
	}
	return w
}

func (w *cellWorld) items(t *testing.T, table string) int {
	d, err := w.store.Digest(context.Background(), "acme", onboarding.Home{Table: table})
	require.NoError(t, err)
	n := 0
	for _, f := range d {
		n += f.Items
	}
	return n
}

// billedIn checks that the tenant's billing account is live in cell i
// only (0: cell-1), whole: the same customer found by its lookup, in that
// cell's figures (the accounts' list) with its amount, and the other cell
// holds no live account (a moved one there is in no list).
func (w *cellWorld) billedIn(t *testing.T, i int, cents int64) {
	t.Helper()
	ctx := context.Background()
	a, err := w.bill[i].ByCustomer(ctx, "cus_acme")
	require.NoError(t, err)
	assert.Equal(t, "acme", a.TenantID)
	assert.Empty(t, a.MovedTo)
	assert.Equal(t, cents, a.AmountCents)
	assert.Equal(t, "sub_acme", a.SubscriptionID)
	listed, err := w.bill[i].List(ctx)
	require.NoError(t, err)
	assert.Len(t, listed, 1, "cell %d lists the account", i+1)
	other, err := w.bill[1-i].List(ctx)
	require.NoError(t, err)
	assert.Empty(t, other, "cell %d lists no account of acme", 2-i)
	if a, err := w.bill[1-i].Get(ctx, "acme"); err == nil {
		assert.Equal(t, fmt.Sprintf("cell-%d", i+1), a.MovedTo, "cell %d's account is a tombstone", 2-i)
	}
}

var root = audit.Actor{Kind: audit.ActorRoot, ID: "root-1"}

// A switch that fails after the target record was written leaves the
// tenant working in cell-1 (the directory still places it there, its
// freeze lifted); the retry freezes, drains and verifies again and
// switches: directory, target record with cell-1's pool as the users'
// source, source tombstoned and its copy retired.
func TestACellMoveResumesAfterAFailedDirectorySwitch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := twoCellWorld(t)
	w.dir.failSwitch = 1
	st, err := w.svc.MoveCell(ctx, "acme", "cell-2", root)
	require.NoError(t, err)
	st, err = w.svc.States.Get(ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, onboarding.StepSwitch, st.FailedStep, "%+v", st)
	src, err := w.here.Get(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, tenant.StatusActive, src.Status)
	assert.False(t, src.WritesFrozen, "the tenant writes in cell-1 meanwhile")
	at, _ := w.dir.CellOf(ctx, "acme")
	assert.Equal(t, "cell-1", at)
	w.billedIn(t, 0, 4900) // the account stays with the tenant, here

	_, err = w.svc.Retry(ctx, "acme", root)
	require.NoError(t, err)
	st, err = w.svc.States.Get(ctx, "acme")
	require.NoError(t, err)
	require.False(t, st.FinishedAt.IsZero(), "%+v", st)
	require.Empty(t, st.FailedStep)
	assert.Equal(t, "cell-2", w.dir.cell["acme"])
	assert.Equal(t, onboarding.CellEntry{Cell: "cell-2", APIURL: "https://cell-2.test", Region: "us-east-1", UserPoolID: "pool-2",
		ClientID: "client-2", Tier: tiers.Standard}, w.dir.entry["acme"])
	dst, err := w.there.Get(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, tenant.StatusActive, dst.Status)
	assert.Equal(t, w.to, dst.Table)
	assert.Equal(t, "pool-2", dst.UserPoolID)
	assert.Equal(t, &tenant.FormerPool{ID: "pool-1", Issuer: "https://idp.test/pool-1", ClientIDs: []string{"client-1"}}, dst.FormerPool)
	assert.NotEmpty(t, dst.APIKey, "a key on cell-2's usage plan")
	assert.False(t, dst.HomeSince.IsZero())
	src, err = w.here.Get(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, tenant.StatusDeleted, src.Status)
	assert.True(t, src.WritesFrozen, "a request still reaching cell-1 writes nothing")
	assert.Equal(t, 12, w.items(t, w.to))
	assert.Zero(t, w.items(t, w.from), "retired after the grace period")
	w.billedIn(t, 1, 4900)
	_, err = w.bill[0].Get(ctx, "acme")
	assert.Equal(t, "account_not_found", errs.As(err).Code, "cell-1's account deleted at the retirement")
	_, err = w.bill[0].ByCustomer(ctx, "cus_acme")
	assert.Equal(t, "account_not_found", errs.As(err).Code, "and its customer lookup")
	assert.True(t, st.Migration.BillingMoved)
	_, err = w.svc.MoveCell(ctx, "acme", "cell-1", root)
	assert.Equal(t, "tenant_not_found", errs.As(err).Code, "cell-1 no longer has it")
}

// A move rolled back before its switch leaves nothing in cell-2 but a
// tombstoned record, which the next move reuses.
func TestACellMoveRolledBackBeforeItsSwitchLeavesTheTenantInItsCell(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := twoCellWorld(t)
	fail := true
	w.svc.BeforeStep = func(_ context.Context, _ string, _ onboarding.Phase, s onboarding.Step) error {
		if s == onboarding.StepDrain && fail {
			fail = false
			return errInjected
		}
		return nil
	}
	_, err := w.svc.MoveCell(ctx, "acme", "cell-2", root)
	require.NoError(t, err)
	require.Equal(t, 12, w.items(t, w.to), "copied before the failure")
	st, err := w.svc.RollbackMigration(ctx, "acme", root)
	require.NoError(t, err)
	assert.True(t, st.Migration.RolledBack)
	assert.Zero(t, w.items(t, w.to), "cell-2's copy deleted")
	assert.Equal(t, 12, w.items(t, w.from))
	dst, err := w.there.Get(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, tenant.StatusDeleted, dst.Status)
	assert.Empty(t, dst.APIKeyID)
	src, err := w.here.Get(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, tenant.StatusActive, src.Status)
	assert.False(t, src.WritesFrozen)
	assert.Equal(t, "cell-1", w.dir.cell["acme"])
	w.billedIn(t, 0, 4900) // a rollback before the directory: the account never left

	_, err = w.svc.MoveCell(ctx, "acme", "cell-2", root)
	require.NoError(t, err)
	dst, err = w.there.Get(ctx, "acme")
	require.NoError(t, err)
	assert.Equal(t, tenant.StatusActive, dst.Status, "the second move reuses the record")
	assert.Equal(t, "cell-2", w.dir.cell["acme"])
	assert.Equal(t, 12, w.items(t, w.to))
}
