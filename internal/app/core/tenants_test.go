package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// The scheduled jobs that run for every active tenant (the notification
// mail, the upload sweep) skip one the directory places in another cell:
// its record here is a move's source, active until its tombstone, and its
// home here is no longer its data. One the directory does not hold is
// this cell's (a platform of one cell, or a tenant from before cells).
func TestEachActiveTenantSkipsATenantHousedInAnotherCell(t *testing.T) {
	ctx := context.Background()
	db, names := testenv.Tables(t)
	reg := tenantdb.New(db, names)
	for _, id := range []string{"acme", "umbrella", "hooli"} {
		require.NoError(t, reg.Create(ctx, tenant.Tenant{ID: id, Name: id, Tier: tiers.Standard, Status: tenant.StatusActive,
			Table: names.App(), APIKey: "key-" + id, CreatedAt: time.Now()}))
	}
	dir := cells.Directory{DB: db, Table: testenv.DirectoryTable(t)}
	require.NoError(t, dir.Register(ctx, cells.For("acme", tiers.Standard, cells.Cell{ID: "cell-1"})))
	require.NoError(t, dir.Register(ctx, cells.For("umbrella", tiers.Standard, cells.Cell{ID: "cell-2"})))
	run := func(d core.Deps) []string {
		var seen []string
		_, err := core.EachActiveTenant(ctx, d, func(_ context.Context, sc tenancy.Scope, _ tenant.Tenant) (int, error) {
			seen = append(seen, sc.TenantID)
			return 1, nil
		})
		require.NoError(t, err)
		return seen
	}
	d := core.Deps{DB: db, ControlDB: db, Names: names}
	assert.ElementsMatch(t, []string{"acme", "umbrella", "hooli"}, run(d), "one cell: every active tenant")
	d.Cell, d.CellDirectory = "cell-1", &dir
	assert.ElementsMatch(t, []string{"acme", "hooli"}, run(d), "umbrella is cell-2's")
}
