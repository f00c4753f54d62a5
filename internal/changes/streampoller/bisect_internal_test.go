package streampoller

import (
	"context"
	"errors"
	"slices"
	"testing"

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
