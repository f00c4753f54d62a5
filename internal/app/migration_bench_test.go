package app_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/benchseed"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/require"
)

// TestMigrationFigures measures a migration of N issues to Platinum and
// back (make migration-bench: ITR_MIGRATION_ISSUES=1000,10000). Each issue
// is seeded as five items of its real shapes (issue, key alias, status
// change, activity entry, search posting), written straight into the
// pooled table: seeding through the API would take longer than the
// migration it measures.
func TestMigrationFigures(t *testing.T) {
	sizes := os.Getenv("ITR_MIGRATION_ISSUES")
	if sizes == "" {
		t.Skip("ITR_MIGRATION_ISSUES=1000,10000 (make migration-bench)")
	}
	// The change stream's two consumers run as in make dev (their local
	// pollers), and the migration waits for them (freeze barriers).
	w := apitest.NewStreamWorld(t)
	svc := app.Lifecycle(w.Deps)
	svc.Migration = onboarding.MigrationOptions{Settle: 2 * time.Second, Grace: time.Millisecond,
		StreamConsumers: changes.StreamConsumers(), ConsumerWait: 2 * time.Minute}
	ctx := context.Background()
	cfg, e := testenv.AWS(t)
	pctx, stopPollers := context.WithCancel(ctx)
	defer stopPollers()
	for _, p := range devstack.ChangeConsumers(w.Deps.DB, awsconfig.Streams(cfg, e), w.Deps.Names, time.Hour, nil, w.Deps.Attachments, nil, io.Discard) {
		go func() { _ = p.Run(pctx) }()
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		id := "globex"
		seeded := time.Now()
		benchseed.Issues(t, w.Deps.DB, w.Deps.Names.App(), id, n)
		fmt.Printf("migration-figures seeded %d issues in %s, load %s\n", n, time.Since(seeded).Round(time.Millisecond), benchseed.LoadAverage())
		for _, tier := range []string{"platinum", "basic"} {
			// One user keeps writing meanwhile (a write every 50 ms at
			// most), so the key log and the drain have something to do.
			wr := newWriter(w.As("owner@globex.test"))
			wctx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			acked := 0
			go func() {
				defer close(done)
				for wctx.Err() == nil {
					if wr.do("POST", "/v1/issues", map[string]any{"title": "written during the migration"}) != nil {
						acked++
					}
					time.Sleep(50 * time.Millisecond)
				}
			}()
			start := time.Now()
			fmt.Printf("migration-figures issues=%d to=%s: started, load %s\n", n, tier, benchseed.LoadAverage())
			// Each step as it ends (the run is one request).
			progress := make(chan struct{})
			go func() {
				defer close(progress)
				printed := 0
				for wctx.Err() == nil {
					if st, err := svc.States.Get(ctx, id); err == nil && st.Migration != nil && st.StartedAt.After(start.Add(-time.Second)) {
						for _, r := range st.Done[min(printed, len(st.Done)):] {
							fmt.Printf("migration-figures   ... %s done in %s (at %s, load %s)\n", r.Step, r.Duration.Round(time.Millisecond), time.Since(start).Round(time.Second), benchseed.LoadAverage())
						}
						printed = max(printed, len(st.Done))
					}
					select {
					case <-wctx.Done():
					case <-time.After(2 * time.Second):
					}
				}
			}()
			res := w.Root().Do("POST", "/v1/admin/tenants/"+id+"/migration", map[string]any{"tier": tier})
			stop()
			<-done
			<-progress
			require.Equal(t, 202, res.Status, string(res.Body))
			require.Empty(t, wr.other)
			st, err := svc.States.Get(ctx, id)
			require.NoError(t, err)
			require.Empty(t, st.Error)
			items := 0
			for _, d := range st.Migration.Target {
				items += d.Items
			}
			var steps []string
			var copyTook time.Duration
			for _, r := range st.Done {
				steps = append(steps, fmt.Sprintf("%s %s", r.Step, r.Duration.Round(time.Millisecond)))
				if r.Step == onboarding.StepCopy {
					copyTook = r.Duration
				}
			}
			mg := st.Migration
			perSec := 0.0
			if copyTook > 0 {
				perSec = float64(mg.Copied) / copyTook.Seconds()
			}
			fmt.Printf("migration-figures issues=%d to=%s items=%d total=%s load=%s\n", n, tier, items, time.Since(start).Round(time.Millisecond), benchseed.LoadAverage())
			fmt.Printf("migration-figures   steps: %s\n", strings.Join(steps, ", "))
			fmt.Printf("migration-figures   copy: %d items in %s (%.0f items/s)\n", mg.Copied, copyTook.Round(time.Millisecond), perSec)
			fmt.Printf("migration-figures   catch_up rounds (writes / ms): %v / %v; waves (keys / ms): %v / %v\n", mg.CatchUp, mg.CatchUpMS, mg.Barriers, mg.BarriersMS)
			fmt.Printf("migration-figures   freeze_ms=%d (settle %s with a wave of %d keys; then a wave of %d keys, consumers %d ms) drained=%d writes_during=%d met_freeze=%d\n",
				mg.FreezeMS, svc.Migration.Settle, mg.SettleBarriers, mg.FreezeBarriers, mg.ConsumersMS, mg.Drained, acked, wr.frozen)
		}
		// Empty the tenant for the next size.
		_, err = app.Lifecycle(w.Deps).Move.Drop(ctx, id, onboarding.Home{Table: w.Deps.Names.App()})
		require.NoError(t, err)
	}
}
