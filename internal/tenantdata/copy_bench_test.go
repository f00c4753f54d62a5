package tenantdata_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/testing/benchseed"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// TestCopyFigures measures a migration's copy (Store.Sync into an empty
// new home) at each size of ITR_COPY_ISSUES (make copy-bench): N issues of
// the tenant (benchseed: 5 items each) beside N/2 of another tenant in the
// pooled table (testenv.Tables: no stream), copied into a table of its own
// with the schema's stream, as a migration's new home; then the same Sync again
// (nothing left to write: the reads alone). Items/s at two sizes say
// whether the copy is linear in items.
func TestCopyFigures(t *testing.T) {
	sizes := os.Getenv("ITR_COPY_ISSUES")
	if sizes == "" {
		t.Skip("ITR_COPY_ISSUES=1000,3000 (make copy-bench)")
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		// A subtest per size, its tables deleted after it. That is not
		// enough for figures: a DynamoDB Local that held an earlier size's
		// tables, even deleted, writes the next copy many times slower, so
		// make copy-bench runs each size in a DynamoDB Local of its own.
		t.Run(s, func(t *testing.T) { copyFigures(t, n) })
	}
}

// copyFigures copies n issues and prints the figures.
func copyFigures(t *testing.T, n int) {
	ctx := tenancy.WithTenant(context.Background(), "t1")
	db, names := testenv.Tables(t)
	from := onboarding.Home{Table: names.App()}
	to := onboarding.Home{Table: names.App() + "-t1", Silo: true}
	target := schema.App
	if os.Getenv("ITR_COPY_TARGET_STREAM") == "off" { // a diagnosis: the new home without a stream
		target.Stream = ""
	}
	require.NoError(t, dynamo.EnsureTable(ctx, db, target, to.Table))
	t.Cleanup(func() { _ = dynamo.DeleteTable(context.Background(), db, to.Table) })
	seeded := time.Now()
	benchseed.Issues(t, db, from.Table, "t1", n)
	benchseed.Issues(t, db, from.Table, "t2", n/2)
	fmt.Printf("copy-figures seeded %d items in %s, load %s\n", (n+n/2)*benchseed.ItemsPerIssue, time.Since(seeded).Round(time.Millisecond), benchseed.LoadAverage())
	st := tenantdata.Store{DB: db, Memo: tenantdata.NewSyncMemo()}
	st.Segments, _ = strconv.Atoi(os.Getenv("ITR_COPY_SEGMENTS")) // 0: tenantdata.Segments
	st.Writers, _ = strconv.Atoi(os.Getenv("ITR_COPY_WRITERS"))   // 0: tenantdata.Writers
	load := benchseed.LoadAverage()
	start := time.Now()
	written, _, err := st.Sync(ctx, "t1", from, to)
	took := time.Since(start)
	require.NoError(t, err)
	require.Equal(t, n*benchseed.ItemsPerIssue, written)
	start = time.Now()
	again, _, err := st.Sync(ctx, "t1", from, to)
	reads := time.Since(start)
	require.NoError(t, err)
	require.Zero(t, again)
	fmt.Printf("copy-figures target-stream=%t segments=%d writers=%d issues=%d items=%d copy=%s (%.0f items/s) reads-only=%s load %s -> %s\n", target.Stream != "", st.Segments, st.Writers, n, written,
		took.Round(time.Millisecond), float64(written)/took.Seconds(), reads.Round(time.Millisecond), load, benchseed.LoadAverage())
}
