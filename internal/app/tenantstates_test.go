package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Every route that names a tenant in its path answers a tenant in any
// lifecycle state (waiting for verification, approval or payment, being
// provisioned, failed, suspended, offboarded: several without a table)
// with a 2xx or a 4xx problem, never a 5xx. An offboarded tenant's support
// routes once answered 500 (an empty table name reached DynamoDB).
func TestRoutesNamingATenantAnswerEveryLifecycleState(t *testing.T) {
	t.Parallel()
	w := apitest.NewWorld(t)
	c := w.SeedContent()
	examples := w.Examples(c)
	reg := tenantdb.New(w.Deps.DB, w.Deps.Names)
	now := time.Now().UTC()
	type state struct {
		status tenant.Status
		table  bool
	}
	states := map[string]state{
		"st-verify":   {tenant.StatusPendingVerification, false},
		"st-approval": {tenant.StatusPendingApproval, false},
		"st-payment":  {tenant.StatusPendingPayment, false},
		"st-prov":     {tenant.StatusProvisioning, false},
		"st-failed":   {tenant.StatusFailed, false},
		"st-susp":     {tenant.StatusSuspended, true},
		"st-gone":     {tenant.StatusDeleted, false},
	}
	for id, s := range states {
		tn := tenant.Tenant{ID: id, Name: id, Tier: tiers.Standard, Status: s.status, APIKey: "key-" + id, CreatedAt: now, UpdatedAt: now}
		if s.table {
			tn.Table = w.Deps.Names.App()
		}
		require.NoError(t, reg.Create(context.Background(), tn))
	}
	n := 0
	for _, rt := range routes.All() {
		if !strings.Contains(rt.Path, "{tenantId}") {
			continue
		}
		ex, ok := examples[rt.OperationID]
		require.True(t, ok, "no example request for %s", rt.OperationID)
		for id := range states {
			n++
			path := c.Path(strings.ReplaceAll(rt.Path, "{tenantId}", id))
			res := w.Call(ex, rt.Method, path, ex.Body, "Idempotency-Key", "states-"+rt.OperationID+"-"+id)
			assert.Less(t, res.Status, http.StatusInternalServerError, "%s %s (%s): %s", rt.Method, path, states[id].status, res.Body)
		}
	}
	require.NotZero(t, n)
	t.Logf("%d calls checked", n)
}
