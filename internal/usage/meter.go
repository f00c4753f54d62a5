package usage

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/tiers"
)

// DefaultFlushInterval is how often a Meter applies its sums.
const DefaultFlushInterval = time.Minute

// Notifier hears each tenant's totals after a flush (threshold mails).
type Notifier interface {
	Totals(ctx context.Context, t Totals)
}

// Meter aggregates usage in the process. Its methods are cheap and never
// touch the database; Flush (or Run) writes the sums. Safe for concurrent use.
type Meter struct {
	Store    Store
	Notifier Notifier // optional
	Now      func() time.Time

	mu      sync.Mutex
	pending map[pendingKey]*Delta
	// retry are the deltas whose write failed, each kept as it was sent
	// (with its ID), never merged with newer counts: the failed write may
	// have landed, and Store.Add applies a delta once per ID.
	retry []*Delta
	// seen is today's users already queued for the active marker, by
	// tenant and user; marks are the ones to write at the next flush.
	seenDay string
	seen    map[string]bool
	marks   []mark
	flushMu sync.Mutex
}

type pendingKey struct{ tenant, month string }

type mark struct {
	tenant, user string
	tier         tiers.Name
	day          time.Time
	id           string // Store.MarkActive's: kept when the mark is sent again
}

func (m *Meter) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// delta returns the pending delta of tenant's current month (m.mu held).
func (m *Meter) delta(tenant string, tier tiers.Name, at time.Time) *Delta {
	if m.pending == nil {
		m.pending = map[pendingKey]*Delta{}
	}
	k := pendingKey{tenant, MonthKey(at)}
	d := m.pending[k]
	if d == nil {
		d = &Delta{TenantID: tenant, Month: k.month, Calls: map[int]int64{}, Active: map[int]int64{}, NewWeekly: map[string]int64{}}
		m.pending[k] = d
	}
	if tier != "" {
		d.Tier = tier
	}
	return d
}

// Call counts one API call of a tenant's user. The user's first call of
// the day in this process queues the active-user marker.
func (m *Meter) Call(tenant string, tier tiers.Name, user string) {
	if m == nil || tenant == "" {
		return
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.delta(tenant, tier, now).Calls[now.Day()]++
	if user == "" {
		return
	}
	if day := DayKey(now); day != m.seenDay {
		m.seenDay, m.seen = day, map[string]bool{}
	}
	if k := tenant + "/" + user; !m.seen[k] {
		m.seen[k] = true
		m.marks = append(m.marks, mark{tenant: tenant, user: user, tier: tier, id: rand.Text(),
			day: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)})
	}
}

// ItemBytes changes a tenant's stored item bytes (negative when items go).
func (m *Meter) ItemBytes(tenant string, delta int64) {
	if m == nil || tenant == "" || delta == 0 {
		return
	}
	m.mu.Lock()
	m.delta(tenant, "", m.now()).ItemBytes += delta
	m.mu.Unlock()
}

// AttachmentBytes changes a tenant's stored attachment bytes; the
// attachments domain (a later issue) calls it when an upload completes
// or an attachment is deleted.
func (m *Meter) AttachmentBytes(tenant string, delta int64) {
	if m == nil || tenant == "" || delta == 0 {
		return
	}
	m.mu.Lock()
	m.delta(tenant, "", m.now()).AttachmentBytes += delta
	m.mu.Unlock()
}

// Pending reports whether anything waits for a flush.
func (m *Meter) Pending() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.pending) > 0 || len(m.retry) > 0 || len(m.marks) > 0
}

// Flush writes what was aggregated: first the active-user markers (each
// one conditional write; only recorded ones count), then one atomic ADD
// per tenant and month, each delta with an ID of its own. A delta whose
// write fails is sent again, as it was and with its ID, at the next flush
// (the write may have landed though its answer was lost: Store.Add
// applies an ID once), never merged into newer counts. Flushes do not
// overlap.
func (m *Meter) Flush(ctx context.Context) error {
	if m == nil {
		return nil
	}
	m.flushMu.Lock()
	defer m.flushMu.Unlock()
	m.mu.Lock()
	marks := m.marks
	m.marks = nil
	m.mu.Unlock()
	var errs []error
	for i, mk := range marks {
		prev, recorded, err := m.Store.MarkActive(ctx, mk.tenant, mk.user, mk.day, mk.id)
		if err != nil {
			m.mu.Lock()
			m.marks = append(m.marks, marks[i:]...)
			m.mu.Unlock()
			errs = append(errs, err)
			break
		}
		if !recorded {
			continue
		}
		m.mu.Lock()
		d := m.delta(mk.tenant, mk.tier, mk.day)
		d.Active[mk.day.Day()]++
		if prev.IsZero() || WeekKey(prev) != WeekKey(mk.day) {
			d.NewWeekly[WeekKey(mk.day)]++
		}
		if prev.IsZero() || MonthKey(prev) != MonthKey(mk.day) {
			d.NewMonthly++
		}
		m.mu.Unlock()
	}
	m.mu.Lock()
	batch := m.retry
	m.retry = nil
	for _, d := range m.pending {
		if !d.Empty() {
			d.ID = rand.Text()
			batch = append(batch, d)
		}
	}
	m.pending = nil
	m.mu.Unlock()
	for _, d := range batch {
		tot, err := m.Store.Add(ctx, *d)
		if err != nil {
			m.mu.Lock()
			m.retry = append(m.retry, d)
			m.mu.Unlock()
			errs = append(errs, err)
			continue
		}
		if m.Notifier != nil {
			m.Notifier.Totals(ctx, tot)
		}
	}
	return errors.Join(errs...)
}

// Run flushes every interval until ctx ends, then once more (with its own
// short deadline: the shutdown flush).
func (m *Meter) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultFlushInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			m.FlushWithin(context.WithoutCancel(ctx), 2*time.Second)
			return
		case <-t.C:
			if err := m.Flush(ctx); err != nil && ctx.Err() == nil {
				slog.WarnContext(ctx, "usage flush failed; kept for the next one", "err", err)
			}
		}
	}
}

// FlushWithin flushes with a deadline (Lambda's SIGTERM leaves ~500 ms).
func (m *Meter) FlushWithin(ctx context.Context, d time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := m.Flush(ctx); err != nil {
		slog.WarnContext(ctx, "usage flush at shutdown failed: these counts are lost", "err", err)
	}
}
