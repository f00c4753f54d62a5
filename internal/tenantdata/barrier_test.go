package tenantdata_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/changes/streampoller"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/testing/eventually"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// shardedStream stands in for DynamoDB Streams in AWS: it reads the
// table's real stream (DynamoDB Local has one shard) and splits its
// records into shards by partition key, delivering each shard in order
// to the consumer, and a held shard not at all until released. Records
// of different shards thus arrive in no global order, as in AWS.
type shardedStream struct {
	t        *testing.T
	poller   *streampoller.Poller
	consumer changes.Consumer
	held     func(pk string) bool

	mu       sync.Mutex
	release  bool
	backlog  []changes.Change // the held shard's records, in order
	handled  []changes.Change // what the consumer was handed
	delivErr error
}

func newShardedStream(t *testing.T, db *dynamodb.Client, names schema.Names, consumer changes.Consumer, held func(pk string) bool) *shardedStream {
	cfg, e := testenv.AWS(t)
	s := &shardedStream{t: t, consumer: consumer, held: held}
	s.poller = &streampoller.Poller{Name: "sharded-stand-in", DB: db, Streams: awsconfig.Streams(cfg, e),
		Consumer:    changes.ConsumerFunc(s.split),
		Tables:      func(context.Context) ([]string, error) { return []string{names.App()}, nil },
		Checkpoints: streampoller.TableCheckpoints{DB: db, Table: names.Control()}}
	return s
}

// split hands a batch's records of the free shards to the consumer and
// keeps the held shard's back (all of them, once released).
func (s *shardedStream) split(ctx context.Context, batch []changes.Change) error {
	s.mu.Lock()
	var now []changes.Change
	for _, ch := range batch {
		if s.held(ch.PK) && !s.release {
			s.backlog = append(s.backlog, ch)
		} else {
			now = append(now, ch)
		}
	}
	if s.release && len(s.backlog) > 0 {
		now, s.backlog = append(s.backlog, now...), nil
	}
	s.mu.Unlock()
	return s.deliver(ctx, now)
}

func (s *shardedStream) deliver(ctx context.Context, batch []changes.Change) error {
	if len(batch) == 0 {
		return nil
	}
	if err := s.consumer.Handle(ctx, batch); err != nil {
		return err
	}
	s.mu.Lock()
	s.handled = append(s.handled, batch...)
	s.mu.Unlock()
	return nil
}

// run polls until ctx ends.
func (s *shardedStream) run(ctx context.Context) {
	for ctx.Err() == nil {
		if err := s.poller.Drain(ctx); err != nil && ctx.Err() == nil {
			s.mu.Lock()
			s.delivErr = err
			s.mu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// releaseHeld delivers the held shard now and from now on.
func (s *shardedStream) releaseHeld(ctx context.Context) error {
	s.mu.Lock()
	s.release = true
	back := s.backlog
	s.backlog = nil
	s.mu.Unlock()
	return s.deliver(ctx, back)
}

func (s *shardedStream) saw(pk, sk string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.ContainsFunc(s.handled, func(c changes.Change) bool { return c.PK == pk && c.SK == sk })
}

// DynamoDB Streams orders records per shard (a range of partition keys),
// not across the table. A consumer that has handled the records of one
// shard, barrier included, but not yet a change in another shard must not
// count as caught up: the freeze puts a barrier into every partition key
// the tenant changed (each in its key's shard, after its changes) and
// waits for all of them. With one barrier (in the log's partition, one
// shard) the consumer here would be counted caught up while still behind
// in the other shard.
func TestTheConsumersAreWaitedForInEveryShardTheTenantChanged(t *testing.T) {
	t.Parallel()
	db, names := testenv.StreamTables(t)
	base := tenancy.WithTenant(context.Background(), "t5")
	from := onboarding.Home{Table: names.App()}
	p := schema.TenantKeyPrefix("t5")
	pkA, pkB := p+"ISSUE#A", p+"ISSUE#B"
	since := time.Now().Add(-time.Second)
	logged := keylog.With(base, &keylog.Target{Tenant: "t5", Table: from.Table, DB: db})
	for _, pk := range []string{pkA, pkB} {
		_, err := db.PutItem(logged, &dynamodb.PutItemInput{TableName: aws.String(from.Table), Item: every(pk, "ISSUE")})
		require.NoError(t, err)
	}
	inner := changes.ConsumerFunc(func(context.Context, []changes.Change) error { return nil })
	home := func(context.Context, string) (changes.Home, error) {
		return changes.Home{Table: from.Table, LogSince: since}, nil
	}
	const consumer = "fake"
	stream := newShardedStream(t, db, names, changes.HomeOnly(consumer, home, db, inner), func(pk string) bool { return pk == pkB })
	ctx, stop := context.WithCancel(base)
	defer stop()
	go stream.run(ctx)

	s := tenantdata.Store{DB: db}
	type result struct {
		b   onboarding.Barriers
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := s.AwaitConsumers(base, "t5", from, since, []string{consumer}, 20*time.Second)
		done <- result{b, err}
	}()
	// Shard A (and every other key) is delivered, barrier included.
	require.Eventually(t, func() bool { return stream.saw(pkA, "ISSUE") }, eventually.Deadline, 20*time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("counted caught up (%+v, %v) while shard B's change is unhandled (saw it: %v)", r.b, r.err, stream.saw(pkB, "ISSUE"))
	case <-time.After(1500 * time.Millisecond):
	}
	require.False(t, stream.saw(pkB, "ISSUE"))

	// Shard B arrives: the change, then its barrier.
	require.NoError(t, stream.releaseHeld(ctx))
	var r result
	select {
	case r = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("not caught up after shard B was delivered")
	}
	require.NoError(t, r.err)
	assert.Equal(t, 2, r.b.Keys, "one barrier per changed partition key")
	assert.True(t, stream.saw(pkB, "ISSUE"), "shard B's change was handled before the wave counted")

	// The barriers are gone from the table, and the migration's reads
	// never see them.
	assert.Empty(t, barrierItems(t, db, base, from.Table))
	items, err := s.Digest(base, "t5", from)
	require.NoError(t, err)
	for f := range items {
		assert.NotContains(t, f, "MIGBARRIER")
	}
}

// A wave over many changed partition keys: barriers written in batches,
// acknowledged one item per consumer batch (not one per key), and a
// consumer that never answers fails the wait naming how much is missing.
func TestAWaveOfBarriersOverManyPartitionKeys(t *testing.T) {
	t.Parallel()
	const n = 300
	db, names, base, logged, since := withLoggedIssues(t, "t6", n)
	from := onboarding.Home{Table: names.App()}
	p := schema.TenantKeyPrefix("t6")
	home := func(context.Context, string) (changes.Home, error) { return changes.Home{Table: from.Table}, nil }
	inner := changes.ConsumerFunc(func(context.Context, []changes.Change) error { return nil })
	stream := newShardedStream(t, db, names, changes.HomeOnly("fake", home, db, inner), func(string) bool { return false })
	ctx, stop := context.WithCancel(base)
	defer stop()
	go stream.run(ctx)

	s := tenantdata.Store{DB: db}
	b, err := s.AwaitConsumers(base, "t6", from, since, []string{"fake"}, 60*time.Second)
	require.NoError(t, err)
	assert.Equal(t, n, b.Keys)
	acks := 0
	out, err := db.Query(base, &dynamodb.QueryInput{TableName: aws.String(from.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :ack)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: keylog.PK("t6")}, ":ack": &types.AttributeValueMemberS{Value: "MIGACK#"}}})
	require.NoError(t, err)
	acks = len(out.Items)
	assert.Less(t, acks, n/10, "acknowledged per batch of the stream (100 records), not per key")
	assert.Empty(t, barrierItems(t, db, base, from.Table))

	// A consumer that does not run: the wait fails, saying so (a wave of
	// one key: the bound covers putting the barriers too, and a loaded
	// DynamoDB Local takes seconds for 300).
	one := time.Now()
	_, err = db.PutItem(logged, &dynamodb.PutItemInput{TableName: aws.String(from.Table), Item: every(p+"ISSUE#one", "ISSUE")})
	require.NoError(t, err)
	_, err = s.AwaitConsumers(base, "t6", from, one, []string{"fake", "absent"}, 5*time.Second)
	assert.True(t, errs.Is(err, errs.KindUnavailable), "%v", err)
	assert.ErrorContains(t, err, "absent")
}

// withLoggedIssues writes n issues of tenantID into the app table of new
// stream tables, their keys logged (a key log target), 25 a batch; it
// returns the tables, a context of the tenant, one with the log target,
// and a time before the writes.
func withLoggedIssues(t *testing.T, tenantID string, n int) (*dynamodb.Client, schema.Names, context.Context, context.Context, time.Time) {
	t.Helper()
	db, names := testenv.StreamTables(t)
	base := tenancy.WithTenant(context.Background(), tenantID)
	since := time.Now().Add(-time.Second)
	logged := keylog.With(base, &keylog.Target{Tenant: tenantID, Table: names.App(), DB: db})
	p := schema.TenantKeyPrefix(tenantID)
	var reqs []types.WriteRequest
	for i := range n {
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: every(fmt.Sprintf("%sISSUE#%04d", p, i), "ISSUE")}})
	}
	for start := 0; start < n; start += 25 {
		var err error
		for range 5 { // a logged write past keylog.Bound (a loaded DynamoDB Local) fails: again, as a client would
			if _, err = db.BatchWriteItem(logged, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{names.App(): reqs[start:min(start+25, n)]}}); err == nil {
				break
			}
		}
		require.NoError(t, err)
	}
	return db, names, base, logged, since
}

func barrierItems(t *testing.T, db *dynamodb.Client, ctx context.Context, table string) []map[string]types.AttributeValue {
	t.Helper()
	out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		FilterExpression:          aws.String("begins_with(sk, :b)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":b": &types.AttributeValueMemberS{Value: keylog.BarrierPrefix}}})
	require.NoError(t, err)
	return out.Items
}

// A freeze's wave is bounded as a whole, the put of its barriers included:
// under another process's load DynamoDB Local answered the barriers' batch
// writes in 10-25 s, and with awsx.Bulk (an answer waited for up to 2 min)
// waves of 13-80 keys took 45-86 s of a freeze bounded only while it
// polled the acknowledgements. A wave whose barriers are not put within
// its timeout now fails as lagging consumers do (the freeze backs off:
// lifted, waited for with the tenant writing, tried again; the last
// attempt fails the step with the tenant thawed in its old home,
// TestAMoveWaitsForLaggingConsumersInsteadOfFailing in internal/onboarding),
// instead of waiting for the batch writes' answers.
func TestAWaveWhoseBarriersAreNotPutInTimeFailsAsLaggingConsumers(t *testing.T) {
	t.Parallel()
	db, names, base, _, since := withLoggedIssues(t, "t7", 3)
	from := onboarding.Home{Table: names.App()}
	// Every batch write is answered only once released (or given up by its caller).
	released := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(released) }) }
	t.Cleanup(release)
	opts := db.Options()
	opts.APIOptions = append(slices.Clip(opts.APIOptions), func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("held-batch-writes", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if _, ok := in.Parameters.(*dynamodb.BatchWriteItemInput); ok {
				select {
				case <-ctx.Done():
					return middleware.InitializeOutput{}, middleware.Metadata{}, ctx.Err()
				case <-released:
				}
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
	})
	s := tenantdata.Store{DB: dynamodb.New(opts)}

	type result struct {
		b   onboarding.Barriers
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := s.AwaitConsumers(base, "t7", from, since, []string{"fake"}, time.Second)
		done <- result{b, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second): // a second's bound, at any load
		release()
		r = <-done
		t.Fatalf("the wave waited for its barriers' batch writes past its bound of 1 s (then: %+v, %v)", r.b, r.err)
	}
	require.Error(t, r.err)
	assert.Equal(t, onboarding.CodeConsumersLagging, errs.As(r.err).Code, "%v", r.err)
	assert.True(t, errs.Is(r.err, errs.KindUnavailable), "%v", r.err)
	assert.ErrorContains(t, r.err, "put the barriers into 3 partition keys")
}
