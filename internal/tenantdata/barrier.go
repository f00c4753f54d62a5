package tenantdata

import (
	"context"
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
// from names since since (keylog.PutBarriers) and waits until each of
// consumers has acknowledged every one of them (changes.HomeOnly does,
// after handling the changes its shard delivered before the barrier),
// polling each consumer's acknowledgements in parallel with strongly
// consistent reads, at most timeout. A consumer that is past the barrier
// in one shard and not in another is still waited for. Nothing changed
// since since: nothing to wait for.
func (s Store) AwaitConsumers(ctx context.Context, tenantID string, from onboarding.Home, since time.Time, consumers []string, timeout time.Duration) (onboarding.Barriers, error) {
	ctx = tenancy.WithTenant(ctx, tenantID)
	logged, err := keylog.Keys(ctx, s.DB, from.Table, tenantID, since)
	if err != nil {
		return onboarding.Barriers{}, err
	}
	pks := keylog.PartitionKeys(logged)
	if len(pks) == 0 || len(consumers) == 0 {
		return onboarding.Barriers{At: time.Now()}, nil
	}
	return s.awaitWave(ctx, tenantID, from.Table, pks, consumers, timeout)
}

// awaitWave puts a wave of barriers into pks in table and waits until each
// of consumers has acknowledged every one of them, at most timeout.
func (s Store) awaitWave(ctx context.Context, tenantID, table string, pks []string, consumers []string, timeout time.Duration) (onboarding.Barriers, error) {
	w, err := keylog.PutBarriers(ctx, s.DB, table, tenantID, pks, time.Now(), awsx.Bulk)
	if err != nil {
		return onboarding.Barriers{}, err
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
	deadline := time.Now().Add(timeout)
	wait := barrierPoll
	for {
		g, gctx := errgroup.WithContext(ctx)
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
		if err := g.Wait(); err != nil {
			return onboarding.Barriers{}, err
		}
		var missing []string
		left := 0
		for i, c := range consumers {
			if n := len(pending[i]); n > 0 {
				missing = append(missing, c)
				left += n
			}
		}
		if len(missing) == 0 {
			return onboarding.Barriers{At: w.At, Keys: len(pks)}, nil
		}
		if time.Now().After(deadline) {
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
