package streampoller

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/changes"
)

// With Parallel (the mapping's ParallelizationFactor), one read of a shard
// is handed to the consumer as up to Parallel batches at once, each at most
// BatchSize records, and the records of one partition key arrive in their
// order, in one sequence of batches; with 1, one batch at a time.
func TestAParallelPollerHandsSeveralBatchesOfAShardAtOnceKeepingEachKeysOrder(t *testing.T) {
	var read []changes.Change
	for i := range 64 {
		read = append(read, changes.Change{Table: "t", PK: fmt.Sprintf("T#acme#ISSUE#%d", i%8), Seq: fmt.Sprintf("%03d", i)})
	}
	run := func(parallel int) (most int, biggest int, byKey map[string][]string) {
		var mu sync.Mutex
		inFlight := 0
		byKey = map[string][]string{}
		p := &Poller{Name: "c", Parallel: parallel, BatchSize: 4, Checkpoints: &failures{},
			Consumer: changes.ConsumerFunc(func(_ context.Context, b []changes.Change) error {
				mu.Lock()
				inFlight++
				most, biggest = max(most, inFlight), max(biggest, len(b))
				for _, c := range b {
					byKey[c.PK] = append(byKey[c.PK], c.Seq)
				}
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
				mu.Lock()
				inFlight--
				mu.Unlock()
				return nil
			})}
		p.defaults()
		s := &shardState{stream: "arn", shard: streamtypes.Shard{ShardId: aws.String("s1")}}
		require.NoError(t, p.deliverRead(context.Background(), s, read))
		return most, biggest, byKey
	}
	most, biggest, byKey := run(4)
	assert.Greater(t, most, 1, "several batches of the shard at once")
	assert.LessOrEqual(t, most, 4, "at most the factor")
	assert.LessOrEqual(t, biggest, 4, "each batch at most BatchSize")
	require.Len(t, byKey, 8)
	for k, seqs := range byKey {
		assert.Len(t, seqs, 8, k)
		assert.True(t, slices.IsSorted(seqs), "%s in order: %v", k, seqs)
	}
	most, _, _ = run(1)
	assert.Equal(t, 1, most, "factor 1: one batch at a time")

	assert.Equal(t, int32(4), (&Poller{BatchSize: 4}).readLimit())
	assert.Equal(t, int32(40), (&Poller{BatchSize: 4, Parallel: 10}).readLimit(), "a batch per lane per read")
	assert.Equal(t, int32(1000), (&Poller{BatchSize: 500, Parallel: 10}).readLimit(), "GetRecords' limit")
}
