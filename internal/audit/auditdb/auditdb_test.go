package auditdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/audit/auditdb"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// The log lists newest first even within one second, where RFC3339Nano's
// trimmed fraction made ".5Z" sort after ".500001Z" (text order is not time
// order when the width varies).
func TestTheLogListsNewestFirstWithinOneSecond(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	ctx := context.Background()
	db, names := testenv.Tables(t)
	s := auditdb.New(db, names)
	base := time.Date(2026, 12, 2, 1, 2, 3, 0, time.UTC)
	ats := []time.Time{base, base.Add(500 * time.Millisecond), base.Add(500*time.Millisecond + time.Microsecond), base.Add(900 * time.Millisecond)}
	for i, at := range ats {
		require.NoError(t, s.Append(ctx, audit.Record{TenantID: "t1", At: at, Action: "a", Detail: map[string]string{"n": string(rune('0' + i))}}))
	}
	page, err := s.List(ctx, "t1", list.Request{Limit: 10})
	require.NoError(t, err)
	require.Len(t, page.Items, len(ats))
	for i, r := range page.Items {
		assert.True(t, r.At.Equal(ats[len(ats)-1-i]), "record %d is at %s, want %s", i, r.At, ats[len(ats)-1-i])
	}
}
