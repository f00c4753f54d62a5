package devstack_test

import (
	"context"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/testing/eventually"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The local platform runs the analytics consumer on the change stream: a
// backdated history seeded through the issue handlers shows up in the
// figures of the tenant, a team and a user, read through the gateway.
func TestTheLocalPlatformFeedsTheAnalyticsFromTheStream(t *testing.T) {
	t.Parallel()
	w := startPlatform(t)
	db := testenv.DynamoDB(t)
	n, err := devstack.SeedHistory(w.ctx, db, schema.Names{Prefix: w.prefix}, devstack.HistorySeed{TenantID: "acme", Days: 20, PerDay: 2, Seed: 5})
	require.NoError(t, err)
	require.Positive(t, n)
	tok := w.tenantLogin("admin@acme.test")

	// The poller started by devstack catches up by itself, within seconds.
	deadline := time.Now().Add(eventually.Deadline)
	var created float64
	for time.Now().Before(deadline) {
		code, rep := w.call("GET", "/v1/analytics/issues?bucket=week&from="+time.Now().UTC().AddDate(0, 0, -25).Format("2006-01-02"), tok, nil)
		require.Equal(t, 200, code, rep)
		if created = rep["totals"].(map[string]any)["created"].(float64); int(created) == n {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	assert.Equal(t, float64(n), created, "every seeded issue is counted once")
	require.NoError(t, w.s.DrainChanges(context.Background()))
	code, wl := w.call("GET", "/v1/analytics/workload?group_by=category", tok, nil)
	require.Equal(t, 200, code, wl)
	code, me := w.call("GET", "/v1/analytics/users/me", w.tenantLogin("user@acme.test"), nil)
	require.Equal(t, 200, code, me)
}
