package onboarding_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
)

// laggingConsumers is the migration's store (DynamoDB Local) with stream
// consumers that take lag(frozen, n) to acknowledge the n-th wave of
// barriers (frozen: the tenant's writes are frozen when it is put); a
// wait shorter than that runs out as tenantdata's does.
type laggingConsumers struct {
	tenantdata.Store
	tenants *tenantdb.Store
	lag     func(frozen bool, n int) time.Duration

	mu    sync.Mutex
	waits []wait
}

type wait struct {
	frozen  bool
	timeout time.Duration
	passed  bool
}

func (l *laggingConsumers) AwaitConsumers(ctx context.Context, tenantID string, _ onboarding.Home, _ time.Time, consumers []string, timeout time.Duration) (onboarding.Barriers, error) {
	t, err := l.tenants.Get(ctx, tenantID)
	if err != nil {
		return onboarding.Barriers{}, err
	}
	l.mu.Lock()
	lag := l.lag(t.WritesFrozen, len(l.waits))
	l.waits = append(l.waits, wait{frozen: t.WritesFrozen, timeout: timeout, passed: lag <= timeout})
	l.mu.Unlock()
	if lag > timeout {
		time.Sleep(timeout)
		return onboarding.Barriers{}, errs.E(errs.KindUnavailable, onboarding.CodeConsumersLagging, "consumers %v lag", consumers)
	}
	time.Sleep(lag)
	return onboarding.Barriers{At: time.Now(), Keys: 1}, nil
}

// Retire deletes without a wave: no consumer runs here.
func (l *laggingConsumers) Retire(ctx context.Context, tenantID string, h onboarding.Home, _ []string, _ time.Duration) (int, onboarding.Barriers, error) {
	n, err := l.Drop(ctx, tenantID, h)
	return n, onboarding.Barriers{}, err
}

func (l *laggingConsumers) seen() []wait {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]wait(nil), l.waits...)
}

// moveToCell2 moves acme to cell-2 (the run inline) and returns its state.
func moveToCell2(t *testing.T, w *cellWorld) onboarding.State {
	t.Helper()
	_, err := w.svc.MoveCell(context.Background(), "acme", "cell-2", root)
	require.NoError(t, err)
	st, err := w.svc.States.Get(context.Background(), "acme")
	require.NoError(t, err)
	return st
}

// lagging is the two-cell world whose move waits for consumers lagging as
// lag says, each wait in the freeze bounded by 100 ms.
func lagging(t *testing.T, lag func(frozen bool, n int) time.Duration) (*cellWorld, *laggingConsumers) {
	w := twoCellWorld(t)
	l := &laggingConsumers{Store: w.store, tenants: w.here, lag: lag}
	w.svc.Move = l
	w.svc.Migration.StreamConsumers = []string{"analytics", "activity"}
	w.svc.Migration.ConsumerWait = 100 * time.Millisecond
	return w, l
}

// A move under load slows down instead of failing. Consumers that lag
// behind the tenant's writes by more than ConsumerWait (here 3 times it,
// in every wave) are waited for before the freeze (CatchUpConsumerWait:
// the tenant still writes); in the freeze, a wave they do not acknowledge
// in time lifts the freeze, waits for them with the tenant writing and
// freezes again; only consumers lagging in every one of FreezeAttempts
// freezes fail the step, with the tenant writing in its old home. Before,
// the first wait longer than ConsumerWait failed the run (catch_up's
// stream_consumers_lagging in TestATenantMovesToAnotherCellWhileItWrites
// under load).
func TestAMoveWaitsForLaggingConsumersInsteadOfFailing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("before the freeze the move waits as long as the consumers take", func(t *testing.T) {
		t.Parallel()
		w, l := lagging(t, func(frozen bool, _ int) time.Duration {
			if frozen {
				return 0
			}
			return 300 * time.Millisecond
		})
		st := moveToCell2(t, w)
		require.Empty(t, st.FailedStep, "%s", st.Error)
		require.False(t, st.FinishedAt.IsZero())
		assert.Zero(t, st.Migration.FreezeBackoffs)
		before := 0
		for _, wt := range l.seen() {
			if !wt.frozen {
				before++
				assert.Equal(t, onboarding.DefaultCatchUpConsumerWait, wt.timeout, "an unfrozen wait is bounded by CatchUpConsumerWait")
				assert.True(t, wt.passed)
			} else {
				assert.Equal(t, 100*time.Millisecond, wt.timeout, "a frozen wait is bounded by ConsumerWait")
			}
		}
		assert.Positive(t, before, "catch_up waited for the consumers")
		assert.Equal(t, 12, w.items(t, w.to))
	})
	t.Run("consumers lagging in the freeze lift it, are waited for unfrozen, and the freeze is tried again", func(t *testing.T) {
		t.Parallel()
		frozenWaves := 0
		w, l := lagging(t, func(frozen bool, _ int) time.Duration {
			if !frozen {
				return 0
			}
			frozenWaves++
			if frozenWaves == 1 { // the first freeze's first wave
				return 300 * time.Millisecond
			}
			return 0
		})
		st := moveToCell2(t, w)
		require.Empty(t, st.FailedStep, "%s", st.Error)
		require.False(t, st.FinishedAt.IsZero())
		assert.Equal(t, 1, st.Migration.FreezeBackoffs)
		seen := l.seen()
		var order []bool // frozen, per wait, from the failed one on
		for i, wt := range seen {
			if !wt.passed {
				for _, later := range seen[i:] {
					order = append(order, later.frozen)
				}
				break
			}
		}
		require.NotEmpty(t, order, "a frozen wait ran out")
		assert.Equal(t, []bool{true, false, true, true}, order,
			"after the wait ran out: one wave with the freeze lifted, then the freeze's two waves again")
		dst, err := w.there.Get(ctx, "acme")
		require.NoError(t, err)
		assert.Equal(t, tenant.StatusActive, dst.Status)
		assert.Equal(t, 12, w.items(t, w.to))
	})
	t.Run("consumers lagging in every freeze fail the step, the tenant unfrozen in its old home", func(t *testing.T) {
		t.Parallel()
		w, l := lagging(t, func(frozen bool, _ int) time.Duration {
			if frozen {
				return time.Hour
			}
			return 0
		})
		st := moveToCell2(t, w)
		assert.Equal(t, onboarding.StepFreeze, st.FailedStep)
		assert.Contains(t, st.Error, "lag", "the consumers' wait ran out")
		assert.Equal(t, 2, st.Migration.FreezeBackoffs, "3 attempts, 2 back-offs")
		frozen := 0
		for _, wt := range l.seen() {
			if wt.frozen {
				frozen++
			}
		}
		assert.Equal(t, 3, frozen, "one wave per freeze: the first runs out")
		src, err := w.here.Get(ctx, "acme")
		require.NoError(t, err)
		assert.Equal(t, tenant.StatusActive, src.Status)
		assert.False(t, src.WritesFrozen)
	})
}

// flakyCatchUp is the migration's store whose catch-up rounds fail with
// err the first fails times.
type flakyCatchUp struct {
	tenantdata.Store
	mu    sync.Mutex
	fails int
	err   error
	calls int
}

func (f *flakyCatchUp) CatchUp(ctx context.Context, tenantID string, from, to onboarding.Home, log onboarding.KeyLog) (onboarding.Round, error) {
	f.mu.Lock()
	f.calls++
	fail := f.calls <= f.fails
	f.mu.Unlock()
	if fail {
		return onboarding.Round{}, f.err
	}
	return f.Store.CatchUp(ctx, tenantID, from, to, log)
}

// flakyRetire fails the first fails deletions of a home with err.
type flakyRetire struct {
	tenantdata.Store
	mu    sync.Mutex
	fails int
	err   error
	calls int
}

func (f *flakyRetire) Drop(ctx context.Context, tenantID string, h onboarding.Home) (int, error) {
	f.mu.Lock()
	f.calls++
	fail := f.calls <= f.fails
	f.mu.Unlock()
	if fail {
		return 0, f.err
	}
	return f.Store.Drop(ctx, tenantID, h)
}

// The retirement of the old home, failed by an overloaded dependency after
// the switch, is tried again by the run the same way (the move had
// finished everything else; the run was left failed in retire_old_home).
func TestAMovesRetirementFailedByAnOverloadedDependencyIsTriedAgain(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		err    error
		failed onboarding.Step
		calls  int
	}{
		{"overloaded twice: tried again, finished", errOverloaded, "", 3},
		{"another error: failed at once", errors.New("injected: a refusal"), onboarding.StepRetire, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := twoCellWorld(t)
			f := &flakyRetire{Store: w.store, fails: 2, err: c.err}
			w.svc.Move = f
			w.svc.Transient = func(err error) bool { return errors.Is(err, errOverloaded) }
			w.svc.Migration.StepRetries, w.svc.Migration.StepBackoff = 3, 10*time.Millisecond
			st := moveToCell2(t, w)
			if st.FailedStep == "" && st.FinishedAt.IsZero() { // the grace period: the maintenance retires
				_, err := w.svc.RetireExpired(context.Background())
				require.NoError(t, err)
				st, err = w.svc.States.Get(context.Background(), "acme")
				require.NoError(t, err)
			}
			assert.Equal(t, c.failed, st.FailedStep, "%s", st.Error)
			assert.Equal(t, c.calls, f.calls, "deletions of the old home tried")
			if c.failed == "" {
				assert.False(t, st.FinishedAt.IsZero())
				assert.Zero(t, w.items(t, w.from), "nothing left in the old home")
			}
		})
	}
}

var errOverloaded = errors.New("injected: the table's service gave up after its retries")

// A copy or catch-up failed by an overloaded dependency (Machine.Transient:
// awsx.RetriesExhausted in every deployment; DynamoDB Local timing out
// under load in TestATenantMovesToAnotherCellWhileItWrites) is tried again
// by the run after a pause, so the move slows down instead of stopping
// for Root's retry; any other error fails the step at once, as before.
func TestAMovesCatchUpFailedByAnOverloadedDependencyIsTriedAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		err    error
		fails  int
		failed onboarding.Step
		calls  int
	}{
		{"overloaded twice: tried again, finished", errOverloaded, 2, "", 0},
		{"overloaded beyond the retries: failed", errOverloaded, 10, onboarding.StepCatchUp, 4},
		{"another error: failed at once", errors.New("injected: a refusal"), 1, onboarding.StepCatchUp, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := twoCellWorld(t)
			f := &flakyCatchUp{Store: w.store, fails: c.fails, err: c.err}
			w.svc.Move = f
			w.svc.Transient = func(err error) bool { return errors.Is(err, errOverloaded) }
			w.svc.Migration.StepRetries, w.svc.Migration.StepBackoff = 3, 10*time.Millisecond
			st := moveToCell2(t, w)
			assert.Equal(t, c.failed, st.FailedStep, "%s", st.Error)
			if c.failed == "" {
				assert.Greater(t, f.calls, c.fails, "rounds after the failed ones")
				assert.False(t, st.FinishedAt.IsZero())
				assert.Equal(t, 12, w.items(t, w.to))
			} else {
				assert.Equal(t, c.calls, f.calls, "catch-up rounds tried: the first and the retries")
				src, err := w.here.Get(ctx, "acme")
				require.NoError(t, err)
				assert.Equal(t, tenant.StatusActive, src.Status, "the tenant works in its old home")
			}
		})
	}
}
