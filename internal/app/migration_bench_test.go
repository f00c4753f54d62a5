package app_test

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/benchseed"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/require"
)

// TestMigrationFigures measures a migration of N issues
// (ITR_MIGRATION_ISSUES) in the directions ITR_MIGRATION_DIRECTIONS names
// ("up": pooled -> Platinum, "down": Platinum -> pooled; default
// "up,down", one after the other in one DynamoDB Local). make
// migration-bench runs each size and direction in a process of its own on
// a DynamoDB Local started for it: one that holds an earlier run's tables
// and streams writes many times slower (docs/performance.md).
//
// Each issue is seeded as five items of its real shapes (issue, key
// alias, status change, activity entry, search posting;
// benchseed.Issues), BatchWriteItem straight into the tenant's home:
// seeding through the API would take longer than the migration it
// measures. They carry no migration mark, as the API's items do not, so
// the stream consumers handle them as the tenant's writes; the bench
// waits until both consumers have read every seeded record
// (streampoller.Drain) before the migration starts, as a tenant's
// consumers have long passed its old issues. ITR_MIGRATION_SEED=marked
// seeds them with the migration's mark instead, so the consumers skip
// them (benchseed.IssuesMarked): at 10,000 issues the local pollers would
// otherwise spend longer on the seed than the migration takes. The migration itself treats
// an item by its key family and bytes, not by who wrote it.
//
// "down" alone first moves the tenant, unseeded, to Platinum (not
// measured), then seeds its own table. ITR_MIGRATION_RETIRE=off leaves
// the last direction's old home in its grace period (retire not measured).
func TestMigrationFigures(t *testing.T) {
	sizes := os.Getenv("ITR_MIGRATION_ISSUES")
	if sizes == "" {
		t.Skip("ITR_MIGRATION_ISSUES=1000,10000 (make migration-bench)")
	}
	dirs := strings.Split(cmp.Or(os.Getenv("ITR_MIGRATION_DIRECTIONS"), "up,down"), ",")
	tierOf := map[string]string{"up": "platinum", "down": "basic"}
	for _, d := range dirs {
		require.Contains(t, tierOf, d, "ITR_MIGRATION_DIRECTIONS: up, down or up,down")
	}
	// The change stream's two consumers run as in make dev (their local
	// pollers), and the migration waits for them (freeze barriers).
	w := apitest.NewStreamWorld(t)
	svc := app.Lifecycle(w.Deps)
	svc.Migration = onboarding.MigrationOptions{Settle: 2 * time.Second, Grace: time.Millisecond,
		StreamConsumers: changes.StreamConsumers(), ConsumerWait: 2 * time.Minute}
	ctx := context.Background()
	cfg, e := testenv.AWS(t)
	pollers := devstack.ChangeConsumers(w.Deps.DB, awsconfig.Streams(cfg, e), w.Deps.Names, time.Hour, nil, w.Deps.Attachments, nil, io.Discard)
	stopPollers := func() {}
	startPollers := func() {
		pctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, p := range pollers {
			wg.Add(1)
			go func() { defer wg.Done(); _ = p.Run(pctx) }()
		}
		stopPollers = func() { cancel(); wg.Wait() }
	}
	defer func() { stopPollers() }()
	id := "globex"
	reg := tenantdb.New(w.Deps.DB, w.Deps.Names)
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		if dirs[0] == "down" {
			// A Platinum tenant to start from: the unseeded tenant moved.
			startPollers()
			start := time.Now()
			res := w.Root().Do("POST", "/v1/admin/tenants/"+id+"/migration", map[string]any{"tier": "platinum"})
			require.Equal(t, 202, res.Status, string(res.Body))
			st, err := svc.States.Get(ctx, id)
			require.NoError(t, err)
			require.Empty(t, st.Error)
			stopPollers()
			fmt.Printf("migration-figures setup: the unseeded tenant moved to Platinum in %s (not measured), load %s\n", time.Since(start).Round(time.Millisecond), benchseed.LoadAverage())
		}
		tn, err := reg.Get(ctx, id)
		require.NoError(t, err)
		seeded := time.Now()
		seedMark := ""
		if os.Getenv("ITR_MIGRATION_SEED") == "marked" {
			seedMark = keylog.NewMarkNonce()
		}
		benchseed.IssuesMarked(t, w.Deps.DB, tn.Table, id, n, seedMark)
		seedTook := time.Since(seeded)
		drained := time.Now()
		for _, p := range pollers {
			require.NoError(t, p.Drain(ctx), p.Name)
		}
		items := n * benchseed.ItemsPerIssue
		fmt.Printf("migration-figures seeded %d issues (%d items%s) into %s in %s (%.0f items/s; BatchWriteItem), consumers caught up in %s, load %s\n",
			n, items, map[bool]string{true: ", marked: the consumers skip them"}[seedMark != ""], tn.Table, seedTook.Round(time.Millisecond), float64(items)/seedTook.Seconds(), time.Since(drained).Round(time.Millisecond), benchseed.LoadAverage())
		startPollers()
		for i, dir := range dirs {
			// ITR_MIGRATION_RETIRE=off keeps the old home of the last
			// direction (grace 24 h): the run ends after the switch.
			svc.Migration.Grace = time.Millisecond
			if os.Getenv("ITR_MIGRATION_RETIRE") == "off" && i == len(dirs)-1 {
				svc.Migration.Grace = 24 * time.Hour
			}
			report(t, ctx, w, svc, id, n, dir, tierOf[dir])
		}
		stopPollers()
		stopPollers = func() {}
		if len(strings.Split(sizes, ",")) > 1 {
			// Empty the tenant for the next size.
			tn, err := reg.Get(ctx, id)
			require.NoError(t, err)
			_, err = app.Lifecycle(w.Deps).Move.Drop(ctx, id, onboarding.Home{Table: tn.Table})
			require.NoError(t, err)
		}
	}
}

// report runs one migration of the tenant to tier while a writer keeps
// writing, printing each step as it ends, then the figures per phase.
func report(t *testing.T, ctx context.Context, w *apitest.World, svc *onboarding.Service, id string, n int, dir, tier string) {
	// One user keeps writing meanwhile (a write every 50 ms at most), so
	// the key log and the drain have something to do.
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
	fmt.Printf("migration-figures issues=%d %s (to %s): started, load %s\n", n, dir, tier, benchseed.LoadAverage())
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
	took := map[onboarding.Step]time.Duration{}
	for _, r := range st.Done {
		took[r.Step] += r.Duration
	}
	ms := func(s onboarding.Step) string { return took[s].Round(time.Millisecond).String() }
	mg := st.Migration
	perSec := 0.0
	if c := took[onboarding.StepCopy]; c > 0 {
		perSec = float64(mg.Copied) / c.Seconds()
	}
	fmt.Printf("migration-figures issues=%d %s (to %s) items=%d total=%s load=%s\n", n, dir, tier, items, time.Since(start).Round(time.Millisecond), benchseed.LoadAverage())
	fmt.Printf("migration-figures   provision %s | copy %s (%d items, %.0f items/s) | catch-up %s | freeze %d ms | retire %s\n",
		ms(onboarding.StepProvisionTarget), ms(onboarding.StepCopy), mg.Copied, perSec, ms(onboarding.StepCatchUp), mg.FreezeMS, ms(onboarding.StepRetire))
	fmt.Printf("migration-figures   catch-up rounds (writes / ms): %v / %v; waves (keys / ms): %v / %v\n", mg.CatchUp, mg.CatchUpMS, mg.Barriers, mg.BarriersMS)
	fmt.Printf("migration-figures   freeze: freeze_writes %s (settle %s + home cache %s, a wave of %d keys put meanwhile; the freeze's rounds (writes / ms) %v / %v, the first beside the settle; then a wave of %d keys, consumers %d ms after the settle) + drain %s (%d writes) + verify %s + switch %s\n",
		ms(onboarding.StepFreeze), svc.Migration.Settle, onboarding.HomeCacheTTL, mg.SettleBarriers, mg.FreezeRounds, mg.FreezeRoundsMS, mg.FreezeBarriers, mg.ConsumersMS,
		ms(onboarding.StepDrain), mg.Drained, ms(onboarding.StepVerify), ms(onboarding.StepSwitch))
	fmt.Printf("migration-figures   writer: %d writes acknowledged, %d met the freeze (503, retried)\n", acked, wr.frozen)
}
