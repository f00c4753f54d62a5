package tenantdata

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

var _ onboarding.StreamBarrier = Store{}

// barrierPoll is how often AwaitConsumers reads the acknowledgements.
const barrierPoll = 20 * time.Millisecond

// AwaitConsumers puts a freeze barrier into the tenant's log partition of
// from (keylog.PutBarrier) and waits until each of consumers has
// acknowledged it (changes.HomeOnly does, after handling the changes the
// stream delivered before it), polling with strongly consistent reads, at
// most timeout. Called with the API's writes settled: what the consumers
// write for the tenant's changes made before the freeze is then written,
// and logged, before the drain reads the log.
func (s Store) AwaitConsumers(ctx context.Context, tenantID string, from onboarding.Home, consumers []string, timeout time.Duration) error {
	ctx = tenancy.WithTenant(ctx, tenantID)
	id, err := keylog.PutBarrier(ctx, s.DB, from.Table, tenantID, time.Now())
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for {
		acked, err := keylog.Acked(ctx, s.DB, from.Table, tenantID, id)
		if err != nil {
			return err
		}
		var missing []string
		for _, c := range consumers {
			if !slices.Contains(acked, c) {
				missing = append(missing, c)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errs.E(errs.KindUnavailable, "stream_consumers_lagging",
				"the change stream's consumers %v of %s have not handled the changes made before the freeze within %s", missing, from.Table, timeout)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the stream consumers of %s: %w", from.Table, ctx.Err())
		case <-time.After(barrierPoll):
		}
	}
}
