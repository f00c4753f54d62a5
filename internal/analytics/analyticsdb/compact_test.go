package analyticsdb

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// add ADDs fields to one day of the all scope, as the consumer does.
func add(t *testing.T, s Store, sc tenancy.Scope, day string, fields map[string]int64) {
	t.Helper()
	d := analytics.Contribution{analytics.DayCell(analytics.ScopeAll, day): fields}
	require.NoError(t, s.transact(context.Background(), sc, mustCells(t, s, sc, d)))
}

func mustCells(t *testing.T, s Store, sc tenancy.Scope, d analytics.Contribution) []typesTWI {
	t.Helper()
	var out []typesTWI
	for _, c := range d.Cells() {
		u, err := s.cellUpdate(sc, c, d[c])
		require.NoError(t, err)
		out = append(out, u)
	}
	return out
}

func days(t *testing.T, s Store, sc tenancy.Scope) map[string]analytics.DayRollup {
	t.Helper()
	ds, err := s.Days(context.Background(), sc, analytics.ScopeAll, "2026-01-01", "2026-12-31")
	require.NoError(t, err)
	out := map[string]analytics.DayRollup{}
	for _, d := range ds {
		out[d.Day] = d
	}
	return out
}

func rawDay(t *testing.T, s Store, sc tenancy.Scope, day string) map[string]av {
	t.Helper()
	out, err := s.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(sc.Table),
		Key: dynamo.Key(dayPK(sc.TenantID, analytics.ScopeAll), day), ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	return out.Item
}

func counters(item map[string]av) int {
	n := 0
	for k := range item {
		if _, _, ok := binCounter(k); ok {
			n++
		}
	}
	return n
}

// Compaction folds a day's bin counters into blobs without changing what a
// report reads; counters added later are read beside the blob and folded by
// the next compaction; a day with more counters than one expression takes
// is folded in several writes.
func TestCompactionKeepsEveryFigureAndFoldsLaterWrites(t *testing.T) {
	db, names := testenv.Tables(t)
	s := Store{DB: db}
	ctx := context.Background()
	acme := tenancy.Scope{Table: names.App(), TenantID: "acme"}

	busy := map[string]int64{analytics.FieldCreated: 900, analytics.FieldResolved: 700}
	for b := range 700 { // more than compactNamesPerWrite counters of each kind
		busy[fmt.Sprint(analytics.PrefixLead, b)] = int64(1 + b%5)
		if b%2 == 0 {
			busy[fmt.Sprint(analytics.PrefixCycle, b)] = 2
		}
	}
	busy[analytics.PrefixResp+"3"] = 4
	keys := slices.Sorted(maps.Keys(busy))
	for part := range slices.Chunk(keys, 90) { // in transactions of at most 90 fields, as deltas come
		fields := map[string]int64{}
		for _, k := range part {
			fields[k] = busy[k]
		}
		add(t, s, acme, "2026-03-02", fields)
	}
	add(t, s, acme, "2026-03-01", map[string]int64{analytics.FieldCreated: 1, analytics.PrefixLead + "40": 1})
	before := days(t, s, acme)
	require.Len(t, before, 2)
	require.Equal(t, int64(700), before["2026-03-02"].Resolved)

	n, err := s.Compact(ctx, acme, analytics.ScopeAll, "2026-01-01", "2026-03-31")
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, before, days(t, s, acme), "a report reads the same figures")
	item := rawDay(t, s, acme, "2026-03-02")
	assert.Zero(t, counters(item), "every counter folded")
	assert.Contains(t, item, blobLead)
	assert.Contains(t, item, blobCycle)
	assert.Contains(t, item, blobResp)
	assert.Less(t, len(item), 10)

	// A late event after compaction: counters beside the blob, both read.
	add(t, s, acme, "2026-03-02", map[string]int64{analytics.FieldResolved: 1, analytics.PrefixLead + "4": 1, analytics.PrefixLead + "9999": 2})
	after := days(t, s, acme)["2026-03-02"]
	assert.Equal(t, before["2026-03-02"].Lead[4]+1, after.Lead[4])
	assert.Equal(t, int64(2), after.Lead[9999])
	n, err = s.Compact(ctx, acme, analytics.ScopeAll, "2026-03-02", "2026-03-02")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, after, days(t, s, acme)["2026-03-02"])
	assert.Zero(t, counters(rawDay(t, s, acme, "2026-03-02")))

	// Nothing to fold: no write.
	n, err = s.Compact(ctx, acme, analytics.ScopeAll, "2026-01-01", "2026-12-31")
	require.NoError(t, err)
	assert.Zero(t, n)
}

// A compaction that read a day before a consumer's ADD (or before another
// compaction) fails its condition and changes nothing: no count is lost.
func TestACompactionRacingAWriteLosesNothing(t *testing.T) {
	db, names := testenv.Tables(t)
	s := Store{DB: db}
	acme := tenancy.Scope{Table: names.App(), TenantID: "acme"}
	add(t, s, acme, "2026-04-01", map[string]int64{analytics.PrefixLead + "10": 3, analytics.PrefixCycle + "11": 1})
	stale := rawDay(t, s, acme, "2026-04-01")
	add(t, s, acme, "2026-04-01", map[string]int64{analytics.PrefixLead + "10": 1, analytics.PrefixLead + "12": 1})
	want := days(t, s, acme)["2026-04-01"]

	ok, err := s.compactDay(context.Background(), acme, stale)
	require.NoError(t, err)
	assert.False(t, ok, "the day moved since it was read")
	assert.Equal(t, want, days(t, s, acme)["2026-04-01"])

	// Two compactions from one read: the second finds the day moved.
	fresh := rawDay(t, s, acme, "2026-04-01")
	ok, err = s.compactDay(context.Background(), acme, fresh)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = s.compactDay(context.Background(), acme, fresh)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Equal(t, want, days(t, s, acme)["2026-04-01"])
	assert.Equal(t, int64(4), want.Lead[10])

	// A day deleted (offboarding's sweep) is not brought back.
	_, err = db.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(acme.Table), Key: dynamo.Key(dayPK("acme", analytics.ScopeAll), "2026-04-01")})
	require.NoError(t, err)
	ok, err = s.compactDay(context.Background(), acme, fresh)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Nil(t, rawDay(t, s, acme, "2026-04-01"))
}

// A day item with a blob that is not a histogram is an error, not zeros.
func TestAMalformedBlobIsAnError(t *testing.T) {
	_, err := dayRollup(map[string]av{"sk": &typesS{Value: "2026-01-01"}, blobLead: &typesB{Value: []byte{0x80}}})
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "2026-01-01"))
}

type (
	typesTWI = types.TransactWriteItem
	typesS   = types.AttributeValueMemberS
	typesB   = types.AttributeValueMemberB
)

// The consumer compacts without a schedule: the first write of a day to a
// scope compacts its past days (the recent window and any older day written
// since); a past day written later the same day waits for the next first
// write or a backfill's CompactPending.
func TestTheFirstWriteOfADayCompactsThePastDays(t *testing.T) {
	db, names := testenv.Tables(t)
	s := Store{DB: db}
	ctx := context.Background()
	acme := tenancy.Scope{Table: names.App(), TenantID: "acme"}
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	svc := &analytics.Service{Store: s, Now: func() time.Time { return now }}
	resolved := func(id string, created, done time.Time) analytics.Event {
		return analytics.Event{IssueID: id, Issue: &issue.Issue{ID: id, Version: 1, CreatedAt: created, ResolvedAt: &done, ClosedAt: &done,
			Category: issue.Completed, Priority: issue.Priorities[0]}}
	}
	day := func(d time.Time) string { return d.Format(analytics.DayLayout) }
	old, older := now.AddDate(0, 0, -30), now.AddDate(0, 0, -40)

	// First write of the day: an issue created 30 days ago, resolved 4 days ago.
	require.NoError(t, svc.Apply(ctx, acme, []analytics.Event{resolved("i1", old, now.AddDate(0, 0, -4))}))
	assert.Zero(t, counters(rawDay(t, s, acme, day(now.AddDate(0, 0, -4)))), "a past day in the window is compacted")
	require.NotNil(t, rawDay(t, s, acme, day(old)))

	// Later the same day, a late event for a day 40 days back: left as written.
	require.NoError(t, svc.Apply(ctx, acme, []analytics.Event{resolved("i2", older, now.AddDate(0, 0, -35))}))
	resolvedDay := day(now.AddDate(0, 0, -35))
	assert.NotZero(t, counters(rawDay(t, s, acme, resolvedDay)))
	want := days(t, s, acme)

	// Today's writes are never compacted, past ones are by CompactPending.
	require.NoError(t, svc.Apply(ctx, acme, []analytics.Event{resolved("i3", now.Add(-time.Hour), now)}))
	svc.CompactPending(ctx, acme)
	assert.Zero(t, counters(rawDay(t, s, acme, resolvedDay)))
	assert.NotZero(t, counters(rawDay(t, s, acme, day(now))), "today stays as written")
	got := days(t, s, acme)
	delete(got, day(now))
	assert.Equal(t, want, got, "the figures are unchanged")

	// The next day's first write compacts yesterday's.
	now = now.AddDate(0, 0, 2)
	require.NoError(t, svc.Apply(ctx, acme, []analytics.Event{resolved("i4", now.Add(-time.Hour), now)}))
	assert.Zero(t, counters(rawDay(t, s, acme, day(now.AddDate(0, 0, -2)))))
}
