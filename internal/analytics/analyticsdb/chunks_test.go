package analyticsdb

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/tenancy"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bigDelta touches n day cells of one scope, one count each.
func bigDelta(n int) analytics.Contribution {
	c := analytics.Contribution{}
	for i := range n {
		c[analytics.DayCell(analytics.ScopeAll, fmt.Sprintf("2026-%02d-%02d", 1+i/28, 1+i%28))] = map[string]int64{analytics.FieldCreated: 1}
	}
	return c
}

func created(t *testing.T, s Store, acme tenancy.Scope) int64 {
	t.Helper()
	days, err := s.Days(context.Background(), acme, analytics.ScopeAll, "2026-01-01", "2026-12-31")
	require.NoError(t, err)
	var n int64
	for _, d := range days {
		n += d.Created
	}
	return n
}

// A delta over one transaction goes in chunks; a crash after the first
// leaves the state pending, and the next read finishes it exactly once.
func TestADeltaOverOneTransactionIsAppliedInChunksAndFinishedAfterACrash(t *testing.T) {
	db, names := testenv.Tables(t)
	s := Store{DB: db}
	ctx := context.Background()
	acme := tenancy.Scope{Table: names.App(), TenantID: "acme"}

	whole := bigDelta(250)
	require.NoError(t, s.Apply(ctx, acme, analytics.IssueState{IssueID: "a", Rev: 1, Applied: whole}, whole))
	assert.Equal(t, int64(250), created(t, s, acme))
	st, err := s.State(ctx, acme, "a")
	require.NoError(t, err)
	assert.Equal(t, int64(1), st.Rev)
	assert.Len(t, st.Applied, 250)

	// Crash after the first of three chunks of another issue's delta.
	next := analytics.IssueState{IssueID: "b", Rev: 1, Applied: whole}
	cells := whole.Cells()
	var items []types.TransactWriteItem
	for _, c := range cells[:MaxCellsPerTx] {
		u, err := s.cellUpdate(acme, c, whole[c])
		require.NoError(t, err)
		items = append(items, u)
	}
	w, err := s.stateWrite(acme, analytics.IssueState{IssueID: "b"}, next, 0, 3)
	require.NoError(t, err)
	require.NoError(t, s.transact(ctx, acme, append(items, w)))
	assert.Equal(t, int64(250+MaxCellsPerTx), created(t, s, acme), "half applied")
	states, err := s.States(ctx, acme, []string{"b"})
	require.NoError(t, err)
	assert.True(t, states["b"].Pending)

	st, err = s.State(ctx, acme, "b")
	require.NoError(t, err)
	assert.Equal(t, int64(500), created(t, s, acme), "the read finished the other chunks")
	assert.Equal(t, int64(1), st.Rev)
	assert.False(t, st.Pending)
	_, err = s.State(ctx, acme, "b")
	require.NoError(t, err)
	assert.Equal(t, int64(500), created(t, s, acme), "and only once")

	t.Run("a stale writer is refused", func(t *testing.T) {
		err := s.Apply(ctx, acme, analytics.IssueState{IssueID: "b", Rev: 1}, bigDelta(3))
		assert.ErrorIs(t, err, analytics.ErrStateChanged)
		assert.Equal(t, int64(500), created(t, s, acme), "nothing of it was applied")
	})

	t.Run("a closed tenant takes no more rollups, in one transaction or in chunks", func(t *testing.T) {
		globex := tenancy.Scope{Table: names.App(), TenantID: "globex"}
		require.NoError(t, Close(ctx, db, names.App(), "globex", time.Now()))
		small := bigDelta(3)
		err := s.Apply(ctx, globex, analytics.IssueState{IssueID: "x", Rev: 1, Applied: small}, small)
		assert.ErrorIs(t, err, analytics.ErrTenantClosed)
		err = s.Apply(ctx, globex, analytics.IssueState{IssueID: "y", Rev: 1, Applied: whole}, whole)
		assert.ErrorIs(t, err, analytics.ErrTenantClosed)
		err = s.ApplyMany(ctx, globex, []analytics.IssueState{{IssueID: "z", Rev: 1, Applied: small}}, small)
		assert.ErrorIs(t, err, analytics.ErrTenantClosed)
		assert.Zero(t, created(t, s, globex))
		st, err := s.State(ctx, globex, "y")
		require.NoError(t, err)
		assert.Zero(t, st.Rev, "no state was written")
		assert.Equal(t, int64(500), created(t, s, acme), "another tenant is not affected")
	})
}
