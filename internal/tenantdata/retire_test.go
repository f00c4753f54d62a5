package tenantdata_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/changes/streampoller"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// The retirement of an old home deletes each item with one write (no
// deletion mark put first), and still no stream consumer behind
// changes.HomeOnly handles one of those deletes as the tenant's, even a
// consumer lagging behind them while the tenant moves back into that very
// table (pooled -> Platinum -> pooled): Retire waits until the consumers
// are past a barrier in every partition key it deleted in, so each delete
// is handled while the table is not the tenant's home. The tenant's own
// writes there afterwards pass, an item equal to a retired one included.
// Without the wait the lagging consumer reads the deletes after the move
// back and passes them.
func TestTheRetirementsDeletesAreSkippedWithOneWriteEach(t *testing.T) {
	t.Parallel()
	db, oldNames := testenv.StreamTables(t)
	_, newNames := testenv.StreamTables(t)
	from, to := onboarding.Home{Table: oldNames.App()}, onboarding.Home{Table: newNames.App()}
	ctx := tenancy.WithTenant(context.Background(), "t7")
	p := schema.TenantKeyPrefix("t7")
	put := func(table string, it map[string]types.AttributeValue) {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it})
		require.NoError(t, err)
	}
	del := func(table string, it map[string]types.AttributeValue) {
		_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table),
			Key: map[string]types.AttributeValue{schema.PK: it[schema.PK], schema.SK: it[schema.SK]}})
		require.NoError(t, err)
	}
	// The old home: the tenant's items (unmarked: written by the tenant)
	// and its key log.
	retired := []map[string]types.AttributeValue{every(p+"ISSUE#1", "ISSUE"), every(p+"ISSUE#1", "HIST#1"), every(p+"ISSUE#2", "ISSUE"), every(p+"W#lo", "login#1")}
	for _, it := range retired {
		put(from.Table, it)
	}
	put(from.Table, every(keylog.PK("t7"), "2026-12-01T17:00:00.000000000Z"))

	var home atomic.Value
	home.Store(to.Table) // the tenant lives in the new home
	type seen struct {
		table, pk, sk string
		op            changes.Op
	}
	var mu sync.Mutex
	var all, passed []seen
	consumer := changes.HomeOnly("fake", func(context.Context, string) (changes.Home, error) {
		return changes.Home{Table: home.Load().(string)}, nil
	}, db, changes.ConsumerFunc(func(_ context.Context, b []changes.Change) error {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range b {
			passed = append(passed, seen{c.Table, c.PK, c.SK, c.Op})
		}
		return nil
	}))
	var lagged atomic.Bool
	cfg, e := testenv.AWS(t)
	poller := &streampoller.Poller{Name: "fake", DB: db, Streams: awsconfig.Streams(cfg, e), Interval: 20 * time.Millisecond,
		Consumer: changes.ConsumerFunc(func(hctx context.Context, b []changes.Change) error {
			for _, c := range b {
				if c.Op == changes.Remove && !lagged.Swap(true) {
					time.Sleep(time.Second) // the consumer lags behind the deletes
				}
			}
			mu.Lock()
			for _, c := range b {
				all = append(all, seen{c.Table, c.PK, c.SK, c.Op})
			}
			mu.Unlock()
			return consumer.Handle(hctx, b)
		}),
		Tables:      func(context.Context) ([]string, error) { return []string{from.Table, to.Table}, nil },
		Checkpoints: streampoller.TableCheckpoints{DB: db, Table: newNames.Control()}}
	require.NoError(t, poller.Drain(ctx)) // the items' INSERTs, handled while the tenant lives elsewhere
	pctx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { defer close(ran); _ = poller.Run(pctx) }()

	s := tenantdata.Store{DB: db, Memo: tenantdata.NewSyncMemo()}
	n, b, err := s.Retire(ctx, "t7", from, []string{"fake"}, 30*time.Second)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, len(retired)+1, "the items and the key log")
	assert.Equal(t, 3, b.Keys, "a barrier in each partition key deleted in")
	left, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(from.Table), ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	assert.Empty(t, left.Items, "nothing of the tenant in the old home, its key log and the acknowledgements included")

	// The tenant moves back into the old table and writes there: an item
	// equal to a retired one, put and deleted, and another.
	home.Store(from.Table)
	put(from.Table, retired[0])
	del(from.Table, retired[0])
	put(from.Table, every(p+"ISSUE#9", "ISSUE"))
	stop()
	<-ran
	require.NoError(t, poller.Drain(ctx))

	mu.Lock()
	defer mu.Unlock()
	removes, modifies := 0, 0
	for _, c := range all {
		if c.table == from.Table && !keylog.IsBarrier(c.sk) && c.pk != keylog.PK("t7") {
			switch c.op {
			case changes.Remove:
				removes++
			case changes.Modify:
				modifies++
			}
		}
	}
	assert.Equal(t, 0, modifies, "no item written again before its deletion: %v", all)
	assert.Equal(t, len(retired)+1, removes, "one REMOVE per retired item, and the tenant's: %v", all)
	assert.Equal(t, []seen{
		{from.Table, p + "ISSUE#1", "ISSUE", changes.Insert},
		{from.Table, p + "ISSUE#1", "ISSUE", changes.Remove},
		{from.Table, p + "ISSUE#9", "ISSUE", changes.Insert},
	}, passed, "exactly the tenant's writes after its move back")
}
