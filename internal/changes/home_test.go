package changes_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/keylog"
)

// A tier migration of acme from the pooled table to its own, switched at
// 12:16:48.5, as its stream consumers see it: the migration's writes in
// the new table before the switch (the copy, a catch-up round's re-copy,
// the drain's deletion), the tenant's writes there after it, and the
// retirement's deletions in the old table. HomeOnly passes exactly the
// tenant's changes of its current home, whether the records are stamped
// to the second (AWS) or to the minute (DynamoDB Local: a write at
// 12:16:50 carries 12:16:00, before the switch; judged by time, the
// tenant's changes of the switch's minute were dropped).
func TestHomeOnlyPassesExactlyTheTenantsChangesWhateverTheStampsPrecision(t *testing.T) {
	const pooled, own = "issuetracker-app", "issuetracker-t-acme"
	base := time.Date(2026, 12, 1, 12, 16, 0, 0, time.UTC)
	at := func(sec float64) time.Time { return base.Add(time.Duration(sec * float64(time.Second))) }
	item := func(id, title string) changes.Item {
		return changes.Item{"pk": &types.AttributeValueMemberS{Value: "T#acme#ISSUE#" + id}, "sk": &types.AttributeValueMemberS{Value: "ISSUE"},
			"entity": &types.AttributeValueMemberS{Value: "issue"}, "title": &types.AttributeValueMemberS{Value: title}}
	}
	copyPass, roundPass, drainPass, retirePass := keylog.NewMarkNonce(), keylog.NewMarkNonce(), keylog.NewMarkNonce(), keylog.NewMarkNonce()
	copied := func(id, title, pass string) changes.Item { return keylog.Marked(item(id, title), pass) }
	doomed := func(id, title, pass string) changes.Item { return keylog.MarkedForDeletion(item(id, title), pass) }
	type rec struct {
		table  string
		sec    float64
		op     changes.Op
		old    changes.Item
		cur    changes.Item
		tenant bool // the tenant's change of its current home: passed
	}
	records := []rec{
		// Before the switch, in the new home: the migration's.
		{own, 20, changes.Insert, nil, copied("1", "a", copyPass), false},
		{own, 20, changes.Insert, nil, copied("2", "b", copyPass), false},
		{own, 21, changes.Insert, nil, copied("3", "c", copyPass), false},
		{own, 30, changes.Modify, copied("1", "a", copyPass), copied("1", "a2", roundPass), false},
		{own, 47, changes.Modify, copied("3", "c", copyPass), doomed("3", "c", drainPass), false},
		{own, 47, changes.Remove, doomed("3", "c", drainPass), nil, false},
		// After the switch (48.5), in the new home: the tenant's.
		{own, 49, changes.Modify, copied("1", "a2", roundPass), copied("1", "a3", roundPass), true}, // UpdateItem keeps the mark
		{own, 50, changes.Modify, copied("2", "b", copyPass), item("2", "b2"), true},                // PutItem drops it
		{own, 51, changes.Insert, nil, item("4", "d"), true},
		{own, 52, changes.Modify, item("4", "d"), item("4", "d2"), true},
		{own, 55, changes.Remove, copied("1", "a3", roundPass), nil, true}, // DeleteItem of a copied item
		{own, 56, changes.Remove, item("4", "d2"), nil, true},
		{own, 75, changes.Insert, nil, item("5", "e"), true}, // the next minute
		// The retirement of the old home, after the switch.
		{pooled, 58, changes.Modify, item("1", "a"), doomed("1", "a", retirePass), false},
		{pooled, 58, changes.Remove, doomed("1", "a", retirePass), nil, false},
		{pooled, 59, changes.Remove, item("2", "b"), nil, false},
	}
	for _, precision := range []time.Duration{time.Second, time.Minute} {
		t.Run(fmt.Sprint(precision), func(t *testing.T) {
			var batch []changes.Change
			for i, r := range records {
				img := r.cur
				if img == nil {
					img = r.old
				}
				pk := img["pk"].(*types.AttributeValueMemberS).Value
				batch = append(batch, changes.Change{Table: r.table, TenantID: "acme", Entity: "issue", Op: r.op, PK: pk, SK: "ISSUE",
					Old: r.old, New: r.cur, Seq: fmt.Sprint(i), EventID: fmt.Sprint("e", i), At: at(r.sec).Truncate(precision)})
			}
			home := func(context.Context, string) (changes.Home, error) { return changes.Home{Table: own}, nil }
			var got []string
			c := changes.HomeOnly("test", home, nil, changes.ConsumerFunc(func(_ context.Context, b []changes.Change) error {
				for _, ch := range b {
					got = append(got, ch.EventID)
				}
				return nil
			}))
			require.NoError(t, c.Handle(context.Background(), batch))
			var want []string
			for i, r := range records {
				if r.tenant {
					want = append(want, fmt.Sprint("e", i))
				}
			}
			assert.Equal(t, want, got)
		})
	}
}

// The mark's rules, one record at a time.
func TestByMigration(t *testing.T) {
	it := changes.Item{"pk": &types.AttributeValueMemberS{Value: "T#acme#ISSUE#1"}, "sk": &types.AttributeValueMemberS{Value: "ISSUE"}}
	a, b := keylog.Marked(it, "p1"), keylog.Marked(it, "p2")
	gone := keylog.MarkedForDeletion(it, "p3")
	assert.True(t, keylog.ByMigration(nil, a), "a marked insert")
	assert.False(t, keylog.ByMigration(nil, it), "an unmarked insert")
	assert.True(t, keylog.ByMigration(a, b), "a re-copy: another pass")
	assert.True(t, keylog.ByMigration(it, a), "a copy over an unmarked item")
	assert.True(t, keylog.ByMigration(a, gone), "marked for deletion")
	assert.False(t, keylog.ByMigration(a, a), "an update keeping the mark")
	assert.False(t, keylog.ByMigration(a, it), "a put without the mark")
	assert.True(t, keylog.ByMigration(gone, nil), "the deletion of a marked item")
	assert.False(t, keylog.ByMigration(a, nil), "the deletion of a copied item")
	assert.False(t, keylog.ByMigration(it, nil), "the deletion of an unmarked item")
	plain, doomed := keylog.Unmarked(gone)
	assert.Equal(t, it, plain)
	assert.True(t, doomed)
	plain, doomed = keylog.Unmarked(a)
	assert.Equal(t, it, plain)
	assert.False(t, doomed)
	assert.NotContains(t, it, keylog.Mark, "Marked copies")
}
