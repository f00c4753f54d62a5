package webhook_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/testing/eventually"
	"github.com/issuetracker/issuetracker/internal/webhook"
)

// The local queue behaves as SQS does for the delivery function: delays,
// redelivery after the visibility timeout when the handler fails, and the
// dead-letter list after MaxReceives.
func TestMemQueueDelaysRedeliversAndDeadLetters(t *testing.T) {
	q := &webhook.MemQueue{Visibility: 30 * time.Millisecond, MaxReceives: 3}
	var ok, failing atomic.Int32
	var firstAt atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		q.Run(ctx, 2, func(_ context.Context, tk webhook.Task) error {
			if tk.DeliveryID == "bad" {
				failing.Add(1)
				return errors.New("storage down")
			}
			firstAt.CompareAndSwap(0, time.Now().UnixNano())
			ok.Add(1)
			return nil
		})
	}()
	start := time.Now()
	require.NoError(t, q.Send(ctx, webhook.Task{DeliveryID: "good"}, 150*time.Millisecond))
	require.NoError(t, q.Send(ctx, webhook.Task{DeliveryID: "bad"}, 0))
	require.Eventually(t, func() bool { return ok.Load() == 1 && len(q.Dead()) == 1 }, eventually.Deadline, 5*time.Millisecond)
	cancel()
	<-done
	assert.GreaterOrEqual(t, time.Duration(firstAt.Load()-start.UnixNano()), 150*time.Millisecond, "delivered after its delay")
	assert.Equal(t, int32(3), failing.Load(), "received MaxReceives times, then dead-lettered")
	assert.Equal(t, "bad", q.Dead()[0].DeliveryID)
	assert.Zero(t, q.Len())
}
