package tenantdata

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"golang.org/x/sync/errgroup"
)

var _ onboarding.StreamBarrier = Store{}

// barrierPoll is how often AwaitConsumers reads the acknowledgements at
// first; the interval doubles up to barrierPollMax while a wave is
// outstanding (a large wave takes the consumers seconds anyway).
const (
	barrierPoll    = 20 * time.Millisecond
	barrierPollMax = 200 * time.Millisecond
)

// ackClockMargin is how far back each poll re-reads acknowledgements from
// the latest one seen: they carry the consumer's clock, and two consumer
// processes (two shards) may write them out of order.
const ackClockMargin = 30 * time.Second

// AwaitConsumers implements onboarding.StreamBarrier: it puts a wave of
// freeze barriers into every partition key of the tenant the key log of
// from names since since (keylog.PlaceBarriers) and waits until each of
// consumers has acknowledged every one of them (changes.HomeOnly does,
// after handling the changes its shard delivered before the barrier),
// polling each consumer's acknowledgements in parallel with strongly
// consistent reads. timeout bounds the whole wave: reading the log,
// putting the barriers and the acknowledgements (a wave whose barriers
// are not put in time fails as lagging consumers do,
// onboarding.CodeConsumersLagging, so a freeze backs off). A consumer
// that is past the barrier in one shard and not in another is still
// waited for. Nothing changed since since: nothing to wait for.
func (s Store) AwaitConsumers(ctx context.Context, tenantID string, from onboarding.Home, since time.Time, consumers []string, timeout time.Duration) (onboarding.Barriers, error) {
	deadline := time.Now().Add(timeout)
	ctx = tenancy.WithTenant(ctx, tenantID)
	bounded, cancel := context.WithDeadline(ctx, deadline)
	logged, err := keylog.Keys(bounded, s.DB, from.Table, tenantID, since)
	cancel()
	if err != nil {
		return onboarding.Barriers{}, lateWave(ctx, deadline, err, "read the keys logged by %s since %s within %s", tenantID, since.Format(time.RFC3339Nano), timeout)
	}
	pks := keylog.PartitionKeys(logged)
	if len(pks) == 0 || len(consumers) == 0 {
		return onboarding.Barriers{At: time.Now()}, nil
	}
	return s.awaitWave(ctx, tenantID, from.Table, pks, consumers, deadline, timeout)
}

// lateWave is err, or, when the wave's deadline cut it short while ctx
// itself lives on, the lagging consumers' error (the freeze backs off on
// it), saying what was not done in time.
func lateWave(ctx context.Context, deadline time.Time, err error, format string, args ...any) error {
	if late(ctx, deadline, err) {
		return errs.E(errs.KindUnavailable, onboarding.CodeConsumersLagging, "could not "+format+": %v", append(args, err)...)
	}
	return err
}

// late reports whether err is the wave's deadline's, not ctx's.
func late(ctx context.Context, deadline time.Time, err error) bool {
	return ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || !time.Now().Before(deadline))
}

// clearTime bounds the deletion of a wave's barriers once the wave is
// passed or given up (they are harmless meanwhile: no read shows them).
const clearTime = awsx.BulkAttemptTimeout

// awaitWave puts a wave of barriers into pks in table and waits until each
// of consumers has acknowledged every one of them, all by deadline (timeout
// after the wave's start: for the errors). The
// barriers are deleted beside the wait for the acknowledgements (their
// INSERTs are in the stream), not before it: under a DynamoDB Local
// answering batch writes in 10-25 s that was one more batch latency in the
// freeze. A deletion still running at the deadline goes on unwaited.
func (s Store) awaitWave(ctx context.Context, tenantID, table string, pks []string, consumers []string, deadline time.Time, timeout time.Duration) (onboarding.Barriers, error) {
	bounded, cancel := context.WithDeadline(ctx, deadline)
	w, err := keylog.PlaceBarriers(bounded, s.DB, table, tenantID, pks, time.Now(), awsx.Bulk)
	cancel()
	cleared := make(chan error, 1)
	go func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), clearTime)
		defer cancel()
		cleared <- keylog.ClearBarriers(cctx, s.DB, table, tenantID, w, awsx.Bulk)
	}()
	if err != nil {
		return onboarding.Barriers{}, lateWave(ctx, deadline, err, "put the barriers into %d partition keys of %s in %s within %s", len(pks), tenantID, table, timeout)
	}
	// What each consumer has still to acknowledge.
	pending := make([]map[string]bool, len(consumers))
	latest := make([]time.Time, len(consumers))
	for i := range consumers {
		pending[i] = make(map[string]bool, len(pks))
		for _, pk := range pks {
			pending[i][pk] = true
		}
	}
	polls, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	wait := barrierPoll
	for {
		g, gctx := errgroup.WithContext(polls)
		for i, c := range consumers {
			if len(pending[i]) == 0 {
				continue
			}
			g.Go(func() error {
				since := latest[i]
				if !since.IsZero() {
					since = since.Add(-ackClockMargin)
				}
				acked, last, err := keylog.Acked(gctx, s.DB, table, tenantID, w.ID, c, since)
				if err != nil {
					return err
				}
				for _, pk := range acked {
					delete(pending[i], pk)
				}
				if last.After(latest[i]) {
					latest[i] = last
				}
				return nil
			})
		}
		cut := false // the deadline cut a poll short: what is missing is what the polls left
		if err := g.Wait(); err != nil {
			if !late(ctx, deadline, err) {
				return onboarding.Barriers{}, err
			}
			cut = true
		}
		var missing []string
		left := 0
		for i, c := range consumers {
			if n := len(pending[i]); n > 0 {
				missing = append(missing, c)
				left += n
			}
		}
		if len(missing) == 0 && !cut {
			select { // errors ignored: a barrier left is read by nothing and expires with the log
			case <-cleared:
			case <-time.After(time.Until(deadline)):
			}
			return onboarding.Barriers{At: w.At, Keys: len(pks)}, nil
		}
		if cut || time.Now().After(deadline) {
			return onboarding.Barriers{}, errs.E(errs.KindUnavailable, onboarding.CodeConsumersLagging,
				"the change stream's consumers %v of %s have not handled the changes made before the barriers within %s (%d of %d partition keys' barriers unacknowledged)",
				missing, table, timeout, left, len(pks)*len(consumers))
		}
		select {
		case <-ctx.Done():
			return onboarding.Barriers{}, fmt.Errorf("wait for the stream consumers of %s: %w", table, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, barrierPollMax)
	}
}
