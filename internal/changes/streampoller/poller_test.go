package streampoller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/changes/streampoller"
	"github.com/issuetracker/issuetracker/internal/testing/eventually"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a consumer that remembers what it saw and can be told to fail.
type recorder struct {
	mu    sync.Mutex
	seen  []changes.Change
	fails int
}

func (r *recorder) Handle(_ context.Context, b []changes.Change) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fails > 0 {
		r.fails--
		return fmt.Errorf("injected failure")
	}
	r.seen = append(r.seen, b...)
	return nil
}

func (r *recorder) sks() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.seen {
		out = append(out, c.SK)
	}
	return out
}

func put(t *testing.T, db *dynamodb.Client, table, pk, sk string, extra ...string) {
	t.Helper()
	item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk},
		"entity": &types.AttributeValueMemberS{Value: "thing"}}
	for i := 0; i+1 < len(extra); i += 2 {
		item[extra[i]] = &types.AttributeValueMemberS{Value: extra[i+1]}
	}
	_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
	require.NoError(t, err)
}

func TestPollerReadsTheStreamResumesFromItsCheckpointAndRetries(t *testing.T) {
	db, names := testenv.StreamTables(t)
	cfg, e := testenv.AWS(t)
	ctx := context.Background()
	app := names.App()
	newPoller := func(c changes.Consumer) *streampoller.Poller {
		return &streampoller.Poller{Name: "test", DB: db, Streams: awsconfig.Streams(cfg, e), Consumer: c,
			Filter:      changes.Filter{SortKeyPrefixes: []string{"KEEP#"}},
			Tables:      func(context.Context) ([]string, error) { return []string{app}, nil },
			Checkpoints: streampoller.TableCheckpoints{DB: db, Table: names.Control()}, MaxAttempts: 2}
	}

	// The records' time is DynamoDB Local's ApproximateCreationDateTime,
	// a whole minute there (02:00:00 for writes at 02:00:xx): bracket the
	// writes by the minutes around them (docs/testing.md, rule 5), not
	// within a minute of a later now (65 s apart under load).
	before := time.Now().Truncate(time.Minute)
	put(t, db, app, "T#acme#X#1", "KEEP#1")
	put(t, db, app, "T#acme#X#1", "SKIP#1")
	put(t, db, app, "T#acme#X#1", "KEEP#1", "v", "2")
	after := time.Now().Add(time.Minute).Truncate(time.Minute)
	first := &recorder{}
	require.NoError(t, newPoller(first).Drain(ctx))

	t.Run("the consumer gets typed changes that pass its filter, in order", func(t *testing.T) {
		require.Len(t, first.seen, 2)
		c := first.seen[0]
		assert.Equal(t, changes.Insert, c.Op)
		assert.Equal(t, "acme", c.TenantID)
		assert.Equal(t, "thing", c.Entity)
		assert.Equal(t, app, c.Table)
		assert.Nil(t, c.Old)
		assert.NotEmpty(t, c.Seq)
		assert.WithinRange(t, c.At, before, after)
		m := first.seen[1]
		assert.Equal(t, changes.Modify, m.Op)
		assert.NotNil(t, m.Old, "NEW_AND_OLD_IMAGES carries the old item")
		assert.Equal(t, &types.AttributeValueMemberS{Value: "2"}, m.New["v"])
	})

	t.Run("a restarted poller resumes after the last checkpoint", func(t *testing.T) {
		put(t, db, app, "T#acme#X#2", "KEEP#2")
		again := &recorder{}
		require.NoError(t, newPoller(again).Drain(ctx))
		assert.Equal(t, []string{"KEEP#2"}, again.sks())
	})

	t.Run("a running poller delivers within its interval and saves its checkpoint when stopped", func(t *testing.T) {
		live := &recorder{}
		p := newPoller(live)
		p.CheckpointEvery = time.Hour // only the stop saves it
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan error)
		go func() { stopped <- p.Run(ctx) }()
		put(t, db, app, "T#acme#X#9", "KEEP#9")
		require.Eventually(t, func() bool { return len(live.sks()) == 1 }, eventually.Deadline, 20*time.Millisecond)
		cancel()
		<-stopped
		after := &recorder{}
		require.NoError(t, newPoller(after).Drain(context.Background()))
		assert.Empty(t, after.sks(), "a restart resumes after the last record handled")
	})

	t.Run("a failing batch is delivered again, then recorded as failed and skipped", func(t *testing.T) {
		put(t, db, app, "T#acme#X#3", "KEEP#3")
		flaky := &recorder{fails: 1}
		require.NoError(t, newPoller(flaky).Drain(ctx))
		assert.Equal(t, []string{"KEEP#3"}, flaky.sks(), "second attempt succeeds")

		put(t, db, app, "T#acme#X#4", "KEEP#4")
		broken := &recorder{fails: 99}
		require.NoError(t, newPoller(broken).Drain(ctx))
		fs, err := streampoller.TableCheckpoints{DB: db, Table: names.Control()}.Failures(ctx, "test")
		require.NoError(t, err)
		require.Len(t, fs, 1)
		assert.Equal(t, 1, fs[0].Records)

		put(t, db, app, "T#acme#X#5", "KEEP#5")
		next := &recorder{}
		require.NoError(t, newPoller(next).Drain(ctx))
		assert.Equal(t, []string{"KEEP#5"}, next.sks(), "the failed batch is not delivered again")
	})

	t.Run("a batch given up goes to the on-failure destination and is redriven from the stream", func(t *testing.T) {
		var sent []string
		broken := &recorder{fails: 99}
		p := newPoller(broken)
		p.FunctionARN = "arn:aws:lambda:us-east-1:000000000000:function:fn"
		p.OnFailure = streampoller.DestinationFunc(func(_ context.Context, body string) error { sent = append(sent, body); return nil })
		put(t, db, app, "T#acme#X#6", "KEEP#6")
		put(t, db, app, "T#acme#X#6", "SKIP#6")
		require.NoError(t, p.Drain(ctx))
		require.Len(t, sent, 1)
		var rec streampoller.FailureRecord
		require.NoError(t, json.Unmarshal([]byte(sent[0]), &rec))
		assert.Equal(t, streampoller.ConditionRetryAttemptsExhausted, rec.RequestContext.Condition)
		assert.Equal(t, 2, rec.RequestContext.ApproximateInvokeCount)
		assert.Contains(t, rec.Batch.StreamARN, app)

		fixed := &recorder{}
		p.Consumer = fixed
		n, err := p.Redrive(ctx, rec)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		assert.Equal(t, []string{"KEEP#6"}, fixed.sks(), "the record the failure names, through the filter")
	})
}
