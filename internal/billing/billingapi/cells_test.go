package billingapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/billing/billingdb"
	"github.com/issuetracker/issuetracker/internal/billing/stripebilling"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/usage/usagedb"
)

// A cell's hourly job skips a tenant the directory places in another
// cell: here its record is what a move left (active and frozen between
// the directory's switch and its tombstone, then deleted), and its home is
// no longer its data. Neither its seats are counted from the old home nor
// its overdue account suspended here; placed back in this cell, both are.
func TestTheHourlyJobSkipsATenantHousedInAnotherCell(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	a := w.paidTenant(t, "pied", "standard")
	res, _, _ := w.event(t, billing.EventInvoicePaymentFailed, stripebilling.InvoiceObject("in_1", a.CustomerID, a.SubscriptionID, "pied", 4900, false, time.Now().Add(720*time.Hour)))
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	w.clock.Advance(2 * time.Hour) // past the grace period

	dir := cells.Directory{DB: testenv.DynamoDB(t), Table: testenv.DirectoryTable(t)}
	two := cells.Cell{ID: "cell-2", Region: "us-east-1", APIURL: "https://two.test"}
	require.NoError(t, dir.Register(ctx, cells.For("pied", tiers.Standard, two)))
	d := w.deps
	d.Cell, d.CellDirectory = "cell-1", &dir
	d.BillingService = app.NewBilling(d)

	job, err := app.RunJob(ctx, d, app.JobHourly)
	require.NoError(t, err)
	assert.Empty(t, job.Suspended, "cell-2's tenant is not suspended by cell-1")
	assert.Zero(t, job.Seats, "no seats counted from the home it left")
	months, err := usagedb.New(w.deps.DB, w.deps.Names).Months(ctx, usage.MonthKey(w.clock.Now()))
	require.NoError(t, err)
	assert.Empty(t, months)
	tn, err := w.reg.Get(ctx, "pied")
	require.NoError(t, err)
	assert.Equal(t, tenant.StatusActive, tn.Status)

	// Placed in this cell, the same job counts and suspends it.
	require.NoError(t, dir.Switch(ctx, "pied", "cell-2", cells.Entry{TenantID: "pied", Cell: "cell-1", Tier: tiers.Standard}))
	job, err = app.RunJob(ctx, d, app.JobHourly)
	require.NoError(t, err)
	assert.Equal(t, []string{"pied"}, job.Suspended)
	assert.Equal(t, 1, job.Seats)
}

// A billing account that moved with its tenant to another cell
// (billingdb.Mover, a move's switch) is that cell's: Stripe sends each
// event to both cells' webhooks; the cell it left answers 200 and changes
// nothing, the cell it moved to acts on it; each cell's figures count its
// MRR once (the one it is live in); the retirement's Drop leaves the cell
// it left nothing of it, and then a new event there is an unknown
// customer's.
func TestABillingAccountMovedToAnotherCellIsActedOnThereOnly(t *testing.T) {
	t.Parallel()
	one, two := newWorld(t), newWorld(t)
	ctx := context.Background()
	a := one.paidTenant(t, "pied", "standard")
	before, err := one.svc.Figures(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(4900), before.MRRCents)

	mv := billingdb.Mover{DB: one.deps.DB, Table: one.deps.Names.Control()}
	moved, err := mv.Move(ctx, "pied", "cell-2", two.deps.Names.Control())
	require.NoError(t, err)
	require.True(t, moved)
	moved, err = mv.Move(ctx, "pied", "cell-2", two.deps.Names.Control())
	require.NoError(t, err)
	assert.True(t, moved, "a retry finds it moved")

	for i, w := range []*world{one, two} {
		f, err := w.svc.Figures(ctx)
		require.NoError(t, err)
		assert.Equal(t, []int64{0, 4900}[i], f.MRRCents, "cell-%d's MRR", i+1)
	}
	// One event, as Stripe sends it to every endpoint: the same payload
	// and signature to both cells.
	res, payload, sig := one.event(t, billing.EventInvoicePaymentFailed, stripebilling.InvoiceObject("in_2", a.CustomerID, a.SubscriptionID, "pied", 4900, false, time.Now().Add(720*time.Hour)))
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	res = two.post(payload, sig)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	left, err := one.store.Get(ctx, "pied")
	require.NoError(t, err)
	assert.Equal(t, billing.StatusActive, left.Status, "the cell it left did not act on it")
	assert.Equal(t, "cell-2", left.MovedTo)
	there, err := two.store.ByCustomer(ctx, a.CustomerID)
	require.NoError(t, err)
	assert.Equal(t, billing.StatusPastDue, there.Status, "the cell it moved to did")
	assert.Equal(t, a.SubscriptionID, there.SubscriptionID)

	require.NoError(t, mv.Drop(ctx, "pied"))
	require.NoError(t, mv.Drop(ctx, "pied"), "again: nothing")
	_, err = one.store.Get(ctx, "pied")
	assert.True(t, errs.Is(err, errs.KindNotFound), "%v", err)
	_, err = one.store.ByCustomer(ctx, a.CustomerID)
	assert.True(t, errs.Is(err, errs.KindNotFound), "%v", err)
	res, _, _ = one.event(t, billing.EventInvoicePaid, stripebilling.InvoiceObject("in_3", a.CustomerID, a.SubscriptionID, "pied", 4900, true, time.Now().Add(720*time.Hour)))
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	_, err = one.store.Get(ctx, "pied")
	assert.True(t, errs.Is(err, errs.KindNotFound), "an unknown customer's event creates nothing: %v", err)
	// A live account is never dropped.
	b := one.paidTenant(t, "hooli", "standard")
	err = mv.Drop(ctx, "hooli")
	assert.Equal(t, "billing_account_live", errs.As(err).Code)
	_, err = one.store.ByCustomer(ctx, b.CustomerID)
	assert.NoError(t, err)
}
