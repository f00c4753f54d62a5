package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
)

// Producer turns events into deliveries: one per enabled endpoint of the
// tenant that subscribes to the event's type, written once (a redelivered
// change finds it written) and queued.
type Producer struct {
	Store Store
	Queue Queue
}

// Publish writes and queues the event's deliveries.
func (p Producer) Publish(ctx context.Context, ev Event) error {
	eps, err := p.Store.Endpoints(ctx, ev.Scope)
	if err != nil {
		return err
	}
	var body []byte
	for _, e := range eps {
		if !e.Subscribes(ev.Type) {
			continue
		}
		if body == nil {
			if body, err = ev.Payload(); err != nil {
				return errs.Internal(err)
			}
		}
		d := Delivery{ID: DeliveryID(ev.At, ev.ID), EndpointID: e.ID, MessageID: ev.ID, EventType: ev.Type, Payload: body,
			CreatedAt: ev.At.UTC(), Status: Pending, NextAttemptAt: ev.At.UTC()}
		fresh, err := p.Store.CreateDelivery(ctx, ev.Scope, d)
		if err != nil {
			return err
		}
		if !fresh {
			// Written by an earlier run of this change: queued then too,
			// unless that run failed in between; queue again, the attempt
			// number makes a second copy a no-op.
			if cur, err := p.Store.Delivery(ctx, ev.Scope, e.ID, d.ID); err != nil || cur.AutoAttempts > 0 {
				continue
			}
		}
		if err := p.Queue.Send(ctx, Task{Table: ev.Scope.Table, TenantID: ev.Scope.TenantID, EndpointID: e.ID, DeliveryID: d.ID, Attempt: 1}, 0); err != nil {
			return fmt.Errorf("queue delivery: %w", err)
		}
	}
	return nil
}

// AdminNotifier tells a tenant's admins that an endpoint was disabled.
type AdminNotifier interface {
	EndpointDisabled(ctx context.Context, sc tenancy.Scope, e Endpoint) error
}

// Deliverer makes the attempt a task asks for.
type Deliverer struct {
	Store  Store
	Queue  Queue
	Client *http.Client
	Admins AdminNotifier
	Now    func() time.Time
	// Schedule of retries (Schedule if nil).
	Schedule []time.Duration
	// DisableAfter consecutive failures (DefaultDisableAfter if zero).
	DisableAfter int
	Log          *slog.Logger
	// Home, when set, says where the task's tenant lives now (the
	// registry). The worker is no stream consumer, so a tier migration's
	// freeze does not wait for it (docs/migration.md "The webhook
	// worker"): it records attempts in the tenant's current home, not the
	// table the task names (a task queued before a switch writes the new
	// home); while the tenant's writes are frozen it makes no attempt and
	// queues the task again after FreezeRetry; while the tenant is copied
	// its writes log their keys (KeyLog). It reads the home again after
	// the attempt, before recording it: a freeze or switch that began
	// during the attempt (up to the client's 10 s, more than the freeze's
	// settle time) sends the task back to the queue unrecorded, and the
	// receiver gets the attempt again later (at least once, same
	// webhook-id).
	Home HomeFunc
	// KeyLog writes the key log items of a tenant being migrated (the
	// worker's own client).
	KeyLog keylog.Putter
}

// TenantHome is where a tenant's data lives now: its table, whether a
// tier migration has frozen its writes, and since when its writes log
// their keys (zero: not being copied). A zero Table: no home any more.
type TenantHome struct {
	Table    string
	Frozen   bool
	LogSince time.Time
}

// errFrozenMeanwhile fails a write begun after a freeze or a switch: the
// task is delivered again (at least once).
var errFrozenMeanwhile = errs.Unavailable("tenant_migrating", "the tenant's writes froze or its home moved during the attempt", nil)

// HomeFunc reads a tenant's home.
type HomeFunc func(ctx context.Context, tenantID string) (TenantHome, error)

// FreezeRetry is how long a task of a frozen tenant waits before it is
// tried again (a freeze lasts a few seconds).
const FreezeRetry = 2 * time.Second

// MaxResponseBytes of a receiver's answer are read (then dropped).
const MaxResponseBytes = 64 << 10

// UserAgent of deliveries.
const UserAgent = "IssueTracker-Webhooks/1"

func (d Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Handle makes one attempt. It returns an error only when the attempt
// could not be made or recorded (storage, queue): the queue then delivers
// the task again (and, after its receive limit, to its dead-letter queue).
// A receiver's failure is recorded and retried on the schedule.
func (d Deliverer) Handle(ctx context.Context, t Task) error {
	now := d.now()
	if now.Before(t.NotBefore) {
		return d.Queue.Send(ctx, t, t.NotBefore.Sub(now))
	}
	sc := t.Scope()
	if d.Home != nil {
		h, err := d.Home(ctx, t.TenantID)
		switch {
		case err != nil:
			return err
		case h.Table == "":
			return nil // the tenant is gone: nothing to record
		case h.Frozen:
			return d.Queue.Send(ctx, t, FreezeRetry)
		}
		sc.Table = h.Table
		if !h.LogSince.IsZero() && d.KeyLog != nil {
			// Each write admitted anew: the attempt may last long, and a
			// freeze or switch may begin between the home's reads and a
			// write (keylog.Readmit).
			ctx = keylog.With(ctx, &keylog.Target{Tenant: t.TenantID, Table: h.Table, DB: d.KeyLog,
				Admit: keylog.Readmit(h.Table, tenant.HomeCacheTTL, errFrozenMeanwhile, func(ctx context.Context) (string, bool, error) {
					h, err := d.Home(ctx, t.TenantID)
					return h.Table, h.Frozen, err
				})})
		}
	}
	e, del, found, err := d.load(ctx, sc, t)
	if err != nil || !found {
		return err
	}
	if !t.Manual {
		if done, err := d.settleAutomatic(ctx, sc, t, e, del, now); done {
			return err
		}
	}
	a := d.attempt(ctx, e, del, now)
	a.N, a.Manual = t.Attempt, t.Manual
	if t.Manual {
		a.N = len(del.Attempts) + 1
	}
	if d.Home != nil {
		// The home again: a freeze or a switch may have begun meanwhile.
		h, err := d.Home(ctx, t.TenantID)
		switch {
		case err != nil:
			return err
		case h.Table != sc.Table || h.Frozen:
			return d.Queue.Send(ctx, t, FreezeRetry)
		}
	}
	ok := a.Error == "" && a.StatusCode >= 200 && a.StatusCode < 300
	status, next, wait := d.outcome(t, del, ok, now)
	recorded, err := d.Store.RecordAttempt(ctx, sc, e.ID, del.ID, a, status, next)
	if err != nil || !recorded {
		return err
	}
	if ok {
		return d.succeeded(ctx, sc, e)
	}
	return d.failed(ctx, sc, t, e, del, status, wait, now)
}

// load reads the task's endpoint and delivery; found is false (with no
// error) when either was deleted meanwhile: there is nothing to send.
func (d Deliverer) load(ctx context.Context, sc tenancy.Scope, t Task) (e Endpoint, del Delivery, found bool, err error) {
	// Two independent reads: side by side (the attempt waits for both).
	var derr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		del, derr = d.Store.Delivery(ctx, sc, t.EndpointID, t.DeliveryID)
	}()
	e, err = d.Store.Endpoint(ctx, sc, t.EndpointID)
	<-done
	for _, err := range []error{err, derr} {
		if errs.Is(err, errs.KindNotFound) {
			return e, del, false, nil // deleted: nothing to send
		}
		if err != nil {
			return e, del, false, err
		}
	}
	return e, del, true, nil
}

// settleAutomatic decides an automatic attempt without sending it: done
// when the task is a duplicate or the delivery was settled meanwhile
// (nothing to do), or when the endpoint is disabled (the attempt is
// recorded as failed without a request); err is that record's error.
func (d Deliverer) settleAutomatic(ctx context.Context, sc tenancy.Scope, t Task, e Endpoint, del Delivery, now time.Time) (done bool, err error) {
	if del.AutoAttempts >= t.Attempt || del.Status != Pending {
		return true, nil // a duplicate message, or settled meanwhile
	}
	if e.State != Enabled {
		_, err := d.Store.RecordAttempt(ctx, sc, e.ID, del.ID, Attempt{N: t.Attempt, At: now.UTC(), Error: "endpoint disabled"}, Failed, time.Time{})
		return true, err
	}
	return false, nil
}

// outcome is the delivery's status after an attempt, the next automatic
// attempt's time (zero when none) and the wait before it. A failed manual
// attempt keeps the delivery's schedule (a success it had becomes Failed);
// a failed automatic one is retried on the schedule until it runs out.
func (d Deliverer) outcome(t Task, del Delivery, ok bool, now time.Time) (status string, next time.Time, wait time.Duration) {
	if ok {
		return Succeeded, time.Time{}, 0
	}
	status = Failed
	if t.Manual {
		status, next = del.Status, del.NextAttemptAt
		if status == Succeeded {
			status = Failed
		}
	} else if w, more := Backoff(d.schedule(), t.Attempt); more {
		status, next, wait = Pending, now.Add(w).UTC(), w
	}
	return status, next, wait
}

// succeeded resets the endpoint's run of failures, if it had one.
func (d Deliverer) succeeded(ctx context.Context, sc tenancy.Scope, e Endpoint) error {
	if e.ConsecutiveFailures > 0 {
		return d.Store.RecordSuccess(ctx, sc, e.ID)
	}
	return nil
}

// failed queues the retry (when the delivery is still Pending), counts the
// endpoint's failure and, when that disables it, tells the tenant's admins
// (a mail that cannot be sent is logged, not retried).
func (d Deliverer) failed(ctx context.Context, sc tenancy.Scope, t Task, e Endpoint, del Delivery, status string, wait time.Duration, now time.Time) error {
	if status == Pending {
		if err := d.Queue.Send(ctx, Task{Table: t.Table, TenantID: t.TenantID, EndpointID: e.ID, DeliveryID: del.ID, Attempt: t.Attempt + 1}, wait); err != nil {
			return fmt.Errorf("queue retry: %w", err)
		}
	}
	limit := d.DisableAfter
	if limit == 0 {
		limit = DefaultDisableAfter
	}
	reason := fmt.Sprintf("%d consecutive failed deliveries", limit)
	disabled, err := d.Store.RecordFailure(ctx, sc, e.ID, limit, reason, now)
	if err != nil {
		return err
	}
	if disabled && d.Admins != nil {
		e.State, e.DisabledReason = Disabled, reason
		if err := d.Admins.EndpointDisabled(ctx, sc, e); err != nil {
			d.logger().ErrorContext(ctx, "mail about a disabled webhook", "tenant", sc.TenantID, "endpoint", e.ID, "error", err)
		}
	}
	return nil
}

func (d Deliverer) schedule() []time.Duration {
	if d.Schedule != nil {
		return d.Schedule
	}
	return Schedule
}

func (d Deliverer) logger() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.Default()
}

// attempt POSTs the signed payload and measures the answer.
func (d Deliverer) attempt(ctx context.Context, e Endpoint, del Delivery, now time.Time) Attempt {
	a := Attempt{At: now.UTC()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(del.Payload))
	if err != nil {
		a.Error = "bad request: " + err.Error()
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	if err := Sign(req.Header, del.MessageID, now, del.Payload, e.SigningSecrets(now)); err != nil {
		a.Error = err.Error()
		return a
	}
	start := time.Now()
	res, err := d.Client.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, MaxResponseBytes))
		_ = res.Body.Close()
		a.StatusCode = res.StatusCode
	}
	a.DurationMS = time.Since(start).Milliseconds()
	if err != nil {
		a.Error = describe(err)
	}
	return a
}

// describe is what the delivery log says of a failed request (no
// addresses of the platform's own network beyond the refused one).
func describe(err error) string {
	switch {
	case errors.Is(err, ErrBlockedAddress):
		return "refused: the endpoint resolves to an address webhooks may not reach"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	}
	s := err.Error()
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}
