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
	"github.com/issuetracker/issuetracker/internal/billing/stripebilling"
	"github.com/issuetracker/issuetracker/internal/cells"
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
