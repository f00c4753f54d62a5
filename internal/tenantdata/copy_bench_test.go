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
// pooled table, copied into a table of its own; then the same Sync again
// (nothing left to write: the reads alone). Items/s at two sizes in one
// run say whether the copy is linear in items.
func TestCopyFigures(t *testing.T) {
	sizes := os.Getenv("ITR_COPY_ISSUES")
	if sizes == "" {
		t.Skip("ITR_COPY_ISSUES=1000,3000 (make copy-bench)")
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		ctx := tenancy.WithTenant(context.Background(), "t1")
		db, names := testenv.Tables(t)
		from := onboarding.Home{Table: names.App()}
		to := onboarding.Home{Table: names.App() + "-t1", Silo: true}
		require.NoError(t, dynamo.EnsureTable(ctx, db, schema.App, to.Table))
		benchseed.Issues(t, db, from.Table, "t1", n)
		benchseed.Issues(t, db, from.Table, "t2", n/2)
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
		fmt.Printf("copy-figures segments=%d writers=%d issues=%d items=%d copy=%s (%.0f items/s) reads-only=%s load %s -> %s\n", st.Segments, st.Writers, n, written,
			took.Round(time.Millisecond), float64(written)/took.Seconds(), reads.Round(time.Millisecond), load, benchseed.LoadAverage())
	}
}
