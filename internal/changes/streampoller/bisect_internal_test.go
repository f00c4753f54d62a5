package streampoller

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/changes"
)

type failures struct{ got []Failure }

func (f *failures) Get(context.Context, string, string, string) (Checkpoint, error) {
	return Checkpoint{}, nil
}
func (f *failures) Put(context.Context, string, string, string, Checkpoint) error { return nil }
func (f *failures) Failed(_ context.Context, _, _, _ string, fl Failure) error {
	f.got = append(f.got, fl)
	return nil
}

// With Bisect (the mapping's BisectBatchOnFunctionError), a batch with one
// record the consumer always fails is split until that record is alone:
// every other record is handled, and only the bad one is recorded failed.
// Without it, the whole batch is recorded failed.
func TestABisectingPollerIsolatesTheRecordThatFails(t *testing.T) {
	batch := make([]changes.Change, 8)
	for i := range batch {
		batch[i] = changes.Change{Seq: string(rune('a' + i))}
	}
	run := func(bisect bool) (handled []string, failed []Failure) {
		cp := &failures{}
		p := &Poller{Name: "c", Bisect: bisect, MaxAttempts: 2, Checkpoints: cp,
			Consumer: changes.ConsumerFunc(func(_ context.Context, b []changes.Change) error {
				if slices.ContainsFunc(b, func(c changes.Change) bool { return c.Seq == "f" }) {
					return errors.New("poison")
				}
				for _, c := range b {
					handled = append(handled, c.Seq)
				}
				return nil
			})}
		p.defaults()
		s := &shardState{stream: "arn", shard: streamtypes.Shard{ShardId: aws.String("s1")}}
		require.NoError(t, p.deliver(context.Background(), s, batch))
		return handled, cp.got
	}
	handled, failed := run(true)
	assert.Equal(t, []string{"a", "b", "c", "d", "e", "g", "h"}, handled)
	require.Len(t, failed, 1)
	assert.Equal(t, "f", failed[0].FirstSeq)
	assert.Equal(t, 1, failed[0].Records)

	handled, failed = run(false)
	assert.Empty(t, handled)
	require.Len(t, failed, 1)
	assert.Equal(t, 8, failed[0].Records)
}

// The mapping's MaximumRetryAttempts and MaximumRecordAgeInSeconds: a
// batch the consumer keeps failing goes to the on-failure destination as
// Lambda's invocation record after MaxAttempts invocations
// (RetryAttemptsExhausted), records older than MaxRecordAge are never
// handed to the consumer (RecordAgeExceeded), and with no retry limit a
// failing batch is retried until its records are too old.
func TestAPollerHonoursTheMappingsRetriesAndRecordAge(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	rec := func(seq string, age time.Duration) changes.Change {
		return changes.Change{Seq: seq, At: now.Add(-age)}
	}
	type result struct {
		invokes int
		handled []string
		sent    []FailureRecord
	}
	run := func(p *Poller, batch []changes.Change, fail func(attempt int) bool) result {
		var r result
		p.Consumer = changes.ConsumerFunc(func(_ context.Context, b []changes.Change) error {
			r.invokes++
			if fail(r.invokes) {
				return errors.New("poison")
			}
			for _, c := range b {
				r.handled = append(r.handled, c.Seq)
			}
			return nil
		})
		p.OnFailure = DestinationFunc(func(_ context.Context, body string) error {
			var f FailureRecord
			require.NoError(t, json.Unmarshal([]byte(body), &f))
			r.sent = append(r.sent, f)
			return nil
		})
		p.Name, p.FunctionARN, p.Checkpoints = "c", "arn:aws:lambda:us-east-1:000000000000:function:fn", &failures{}
		p.defaults()
		s := &shardState{stream: "arn:stream", shard: streamtypes.Shard{ShardId: aws.String("s1")}}
		require.NoError(t, p.deliver(context.Background(), s, batch))
		return r
	}
	t.Run("retries exhausted", func(t *testing.T) {
		p := &Poller{MaxAttempts: 3, now: func() time.Time { return now }}
		r := run(p, []changes.Change{rec("1", time.Second), rec("2", time.Second)}, func(int) bool { return true })
		assert.Equal(t, 3, r.invokes, "MaximumRetryAttempts 2: three invocations")
		require.Len(t, r.sent, 1)
		f := r.sent[0]
		assert.Equal(t, ConditionRetryAttemptsExhausted, f.RequestContext.Condition)
		assert.Equal(t, 3, f.RequestContext.ApproximateInvokeCount)
		assert.Equal(t, "arn:aws:lambda:us-east-1:000000000000:function:fn", f.RequestContext.FunctionARN)
		assert.Equal(t, BatchInfo{ShardID: "s1", StreamARN: "arn:stream", StartSequenceNumber: "1", EndSequenceNumber: "2", BatchSize: 2,
			ApproximateArrivalOfFirstRecord: now.Add(-time.Second), ApproximateArrivalOfLastRecord: now.Add(-time.Second)}, f.Batch)
	})
	t.Run("records too old are not handed to the function", func(t *testing.T) {
		p := &Poller{MaxAttempts: 3, MaxRecordAge: time.Minute, now: func() time.Time { return now }}
		r := run(p, []changes.Change{rec("1", 2*time.Minute), rec("2", 90*time.Second), rec("3", time.Second)}, func(int) bool { return false })
		assert.Equal(t, []string{"3"}, r.handled)
		require.Len(t, r.sent, 1)
		assert.Equal(t, ConditionRecordAgeExceeded, r.sent[0].RequestContext.Condition)
		assert.Equal(t, 0, r.sent[0].RequestContext.ApproximateInvokeCount)
		assert.Equal(t, "2", r.sent[0].Batch.EndSequenceNumber)
	})
	t.Run("no retry limit: retried until the records are too old", func(t *testing.T) {
		clock := now
		p := &Poller{MaxAttempts: -1, MaxRecordAge: time.Minute, now: func() time.Time { return clock }}
		r := run(p, []changes.Change{rec("1", 0)}, func(attempt int) bool {
			if attempt == 4 {
				clock = clock.Add(2 * time.Minute) // the record ages while it fails
			}
			return true
		})
		assert.Equal(t, 4, r.invokes)
		require.Len(t, r.sent, 1)
		assert.Equal(t, ConditionRecordAgeExceeded, r.sent[0].RequestContext.Condition)
		assert.Equal(t, 4, r.sent[0].RequestContext.ApproximateInvokeCount)
	})
}
