// Package analytics is the issue analytics domain: the rollups the analytics
// consumer maintains from the change stream (per tenant, per day in the
// tenant's time zone, per scope: all issues, a team, an assignee, a
// priority, a responder), and the reports read from them. A report reads
// O(days) small rollup items and never an issue. It knows nothing of
// DynamoDB or HTTP: analyticsdb stores it and decodes stream records into
// Events, analyticsapi serves it. docs/analytics.md has the design.
package analytics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// ErrStateChanged is returned by Store.Apply when another writer changed
// the issue's state first; the service reads it again and retries.
var ErrStateChanged = errors.New("analytics: issue state changed meanwhile")

// ErrTenantClosed is returned by Store.Apply and ApplyMany once the tenant's
// data was deleted (offboarding): a stream record that arrives after the
// sweep (the deletes themselves are records) must not bring rollups back,
// so the service drops the tenant's events.
var ErrTenantClosed = errors.New("analytics: the tenant's data was deleted")

// DayRollup is one scope's figures of one day.
type DayRollup struct {
	Day      string
	Created  int64
	Resolved int64
	// Net is the backlog's change that day (created + reopened - resolved).
	Net      int64
	Lead     Histogram
	Cycle    Histogram
	Response Histogram
}

// Gauge is one scope's open issues now.
type Gauge struct {
	Scope   string
	Open    int64
	Started int64
}

// Store keeps settings, issue states and rollups in the tenant's table.
type Store interface {
	// Settings returns the tenant's settings (zero value: UTC).
	Settings(ctx context.Context, sc tenancy.Scope) (Settings, error)
	// PutSettings stores s if the stored version is s.Version-1
	// (precondition_failed otherwise).
	PutSettings(ctx context.Context, sc tenancy.Scope, s Settings) error
	// State returns the issue's state (Rev 0 when there is none), after
	// finishing a pending multi-transaction apply.
	State(ctx context.Context, sc tenancy.Scope, issueID string) (IssueState, error)
	// States returns the states of several issues in one read; a state with
	// an unfinished multi-transaction apply comes back with Pending set.
	States(ctx context.Context, sc tenancy.Scope, issueIDs []string) (map[string]IssueState, error)
	// ApplyMany adds delta to the rollups and stores every state, in one
	// transaction (len(states) + cells <= MaxTxActions), each state
	// conditioned on its previous revision; ErrStateChanged if any moved.
	ApplyMany(ctx context.Context, sc tenancy.Scope, states []IssueState, delta Contribution) error
	// Apply adds delta to the rollups and stores st, atomically, if the
	// stored state is still at revision st.Rev-1; ErrStateChanged otherwise.
	Apply(ctx context.Context, sc tenancy.Scope, st IssueState, delta Contribution) error
	// Days returns the scope's day rollups from..to (inclusive, by date).
	Days(ctx context.Context, sc tenancy.Scope, scope, from, to string) ([]DayRollup, error)
	// Gauges returns the gauges of the scopes starting with prefix.
	Gauges(ctx context.Context, sc tenancy.Scope, prefix string) ([]Gauge, error)
	// Compact folds the duration bins of the scope's days from..to into
	// their compact form (analyticsdb/compact.go); a day written meanwhile
	// is left as it is. It returns the days compacted.
	Compact(ctx context.Context, sc tenancy.Scope, scope, from, to string) (int, error)
}

// Service applies events to the rollups and answers reports.
type Service struct {
	Store Store
	Now   func() time.Time

	mu       sync.Mutex
	settings map[string]cachedSettings
	compact  compaction
}

type cachedSettings struct {
	s  Settings
	at time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// SettingsFor returns the tenant's settings, cached for SettingsTTL.
func (s *Service) SettingsFor(ctx context.Context, sc tenancy.Scope) (Settings, error) {
	key := sc.Table + "|" + sc.TenantID
	s.mu.Lock()
	c, ok := s.settings[key]
	s.mu.Unlock()
	if ok && time.Since(c.at) < SettingsTTL {
		return c.s, nil
	}
	set, err := s.Store.Settings(ctx, sc)
	if err != nil {
		return Settings{}, err
	}
	s.mu.Lock()
	if s.settings == nil {
		s.settings = map[string]cachedSettings{}
	}
	s.settings[key] = cachedSettings{s: set, at: time.Now()}
	s.mu.Unlock()
	return set, nil
}

// Apply folds events of one tenant into the issues' states and writes each
// changed issue's delta with its new state in one transaction. Events of
// one issue are folded together, so a batch costs one read and one write
// per issue. It is idempotent: applying the same events again changes
// nothing. Events of a tenant whose data was deleted are dropped.
func (s *Service) Apply(ctx context.Context, sc tenancy.Scope, events []Event) error {
	return dropClosed(ctx, sc, len(events), s.apply(ctx, sc, events))
}

// dropClosed turns ErrTenantClosed into success: the events of an
// offboarded tenant are done with, not failed (a retry would fail again).
func dropClosed(ctx context.Context, sc tenancy.Scope, events int, err error) error {
	if errors.Is(err, ErrTenantClosed) {
		slog.InfoContext(ctx, "analytics: events of a deleted tenant dropped", "tenant_id", sc.TenantID, "events", events)
		return nil
	}
	return err
}

func (s *Service) apply(ctx context.Context, sc tenancy.Scope, events []Event) error {
	set, err := s.SettingsFor(ctx, sc)
	if err != nil {
		return err
	}
	byIssue := map[string][]Event{}
	var order []string
	for _, e := range events {
		if _, ok := byIssue[e.IssueID]; !ok {
			order = append(order, e.IssueID)
		}
		byIssue[e.IssueID] = append(byIssue[e.IssueID], e)
	}
	// The common case costs one read and one write for the whole batch:
	// every issue's state in one BatchGetItem, then all the deltas merged
	// (issues of a batch share the tenant's day and gauge cells) with the
	// new states in one transaction. An issue whose state moved meanwhile,
	// or whose delta needs several transactions, goes on its own.
	states, err := s.Store.States(ctx, sc, order)
	if err != nil {
		return err
	}
	var alone []string
	group := &txGroup{delta: Contribution{}}
	flush := func() error {
		if len(group.states) == 0 {
			return nil
		}
		err := s.Store.ApplyMany(ctx, sc, group.states, group.delta)
		if err == nil {
			s.written(ctx, sc, group.delta)
		}
		if errors.Is(err, ErrStateChanged) {
			for _, st := range group.states {
				alone = append(alone, st.IssueID)
			}
			err = nil
		}
		group = &txGroup{delta: Contribution{}}
		return err
	}
	for _, id := range order {
		st, ok := states[id]
		if !ok || st.Pending {
			alone = append(alone, id)
			continue
		}
		st.IssueID = id
		changed := false
		for _, e := range byIssue[id] {
			changed = st.Fold(e) || changed
		}
		if !changed {
			continue
		}
		cur := st.Contribute(set)
		delta := Delta(st.Applied, cur)
		st.Applied, st.Rev = cur, st.Rev+1
		if !group.fits(delta) {
			if err := flush(); err != nil {
				return err
			}
			if !group.fits(delta) {
				alone = append(alone, id)
				continue
			}
		}
		group.add(st, delta)
	}
	if err := flush(); err != nil {
		return err
	}
	for _, id := range alone {
		if err := s.applyIssue(ctx, sc, id, byIssue[id], set, false); err != nil {
			return fmt.Errorf("apply issue %s of %s: %w", id, sc.TenantID, err)
		}
	}
	return nil
}

// MaxTxActions is how many states and cells one transaction holds:
// DynamoDB's limit of 100 actions less the store's check that the tenant
// is not closed (ErrTenantClosed).
const MaxTxActions = 99

// txGroup is issues whose states and merged deltas fit one transaction.
type txGroup struct {
	states []IssueState
	delta  Contribution
}

func (g *txGroup) fits(d Contribution) bool {
	n := len(g.states) + 1 + len(g.delta)
	for c := range d {
		if _, ok := g.delta[c]; !ok {
			n++
		}
	}
	return n <= MaxTxActions
}

func (g *txGroup) add(st IssueState, d Contribution) {
	g.states = append(g.states, st)
	for c, fs := range d {
		for f, n := range fs {
			g.delta.add(c, f, n)
		}
	}
}

// maxConflicts bounds the retries of one issue against concurrent writers.
const maxConflicts = 8

// Recompute folds an issue's events (all of its items, read back by a
// rebuild) and writes its contribution even when the events bring nothing
// new, so rollups left wrong by an earlier version of Contribute are
// corrected against what they hold (IssueState.Applied).
func (s *Service) Recompute(ctx context.Context, sc tenancy.Scope, issueID string, events []Event) error {
	set, err := s.SettingsFor(ctx, sc)
	if err != nil {
		return err
	}
	return dropClosed(ctx, sc, len(events), s.applyIssue(ctx, sc, issueID, events, set, true))
}

func (s *Service) applyIssue(ctx context.Context, sc tenancy.Scope, id string, evs []Event, set Settings, force bool) error {
	for attempt := 0; ; attempt++ {
		st, err := s.Store.State(ctx, sc, id)
		if err != nil {
			return err
		}
		st.IssueID = id
		changed := false
		for _, e := range evs {
			changed = st.Fold(e) || changed
		}
		if !changed && !force {
			return nil // redelivered or superseded: already counted
		}
		cur := st.Contribute(set)
		delta := Delta(st.Applied, cur)
		if !changed && len(delta) == 0 {
			return nil
		}
		st.Applied = cur
		st.Rev++
		err = s.Store.Apply(ctx, sc, st, delta)
		if err == nil {
			s.written(ctx, sc, delta)
		}
		if !errors.Is(err, ErrStateChanged) {
			return err
		}
		if attempt >= maxConflicts {
			return err
		}
		slog.DebugContext(ctx, "analytics: issue state changed meanwhile, retrying", "issue_id", id)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
		}
	}
}
