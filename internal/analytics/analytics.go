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

	"golang.org/x/sync/errgroup"
)

// ErrStateChanged is returned by Store.Apply when another writer changed
// the issue's state first; the service reads it again and retries.
var ErrStateChanged = errors.New("analytics: issue state changed meanwhile")

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
	Settings(ctx context.Context, table, tenant string) (Settings, error)
	// PutSettings stores s if the stored version is s.Version-1
	// (precondition_failed otherwise).
	PutSettings(ctx context.Context, table, tenant string, s Settings) error
	// State returns the issue's state (Rev 0 when there is none).
	State(ctx context.Context, table, tenant, issueID string) (IssueState, error)
	// Apply adds delta to the rollups and stores st, atomically, if the
	// stored state is still at revision st.Rev-1; ErrStateChanged otherwise.
	Apply(ctx context.Context, table, tenant string, st IssueState, delta Contribution) error
	// Days returns the scope's day rollups from..to (inclusive, by date).
	Days(ctx context.Context, table, tenant, scope, from, to string) ([]DayRollup, error)
	// Gauges returns the gauges of the scopes starting with prefix.
	Gauges(ctx context.Context, table, tenant, prefix string) ([]Gauge, error)
}

// Service applies events to the rollups and answers reports.
type Service struct {
	Store Store
	Now   func() time.Time

	mu       sync.Mutex
	settings map[string]cachedSettings
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
func (s *Service) SettingsFor(ctx context.Context, table, tenant string) (Settings, error) {
	key := table + "|" + tenant
	s.mu.Lock()
	c, ok := s.settings[key]
	s.mu.Unlock()
	if ok && time.Since(c.at) < SettingsTTL {
		return c.s, nil
	}
	set, err := s.Store.Settings(ctx, table, tenant)
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
// nothing.
func (s *Service) Apply(ctx context.Context, table, tenant string, events []Event) error {
	set, err := s.SettingsFor(ctx, table, tenant)
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
	// Issues are independent: apply them side by side (rollup items they
	// share are ADDed in transactions, retried on conflict).
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(ApplyConcurrency)
	for _, id := range order {
		g.Go(func() error {
			if err := s.applyIssue(gctx, table, tenant, id, byIssue[id], set, false); err != nil {
				return fmt.Errorf("apply issue %s of %s: %w", id, tenant, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// ApplyConcurrency is how many issues of a batch are applied at once.
const ApplyConcurrency = 8

// maxConflicts bounds the retries of one issue against concurrent writers.
const maxConflicts = 8

// Recompute folds an issue's events (all of its items, read back by a
// rebuild) and writes its contribution even when the events bring nothing
// new, so rollups left wrong by an earlier version of Contribute are
// corrected against what they hold (IssueState.Applied).
func (s *Service) Recompute(ctx context.Context, table, tenant, issueID string, events []Event) error {
	set, err := s.SettingsFor(ctx, table, tenant)
	if err != nil {
		return err
	}
	return s.applyIssue(ctx, table, tenant, issueID, events, set, true)
}

func (s *Service) applyIssue(ctx context.Context, table, tenant, id string, evs []Event, set Settings, force bool) error {
	for attempt := 0; ; attempt++ {
		st, err := s.Store.State(ctx, table, tenant, id)
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
		err = s.Store.Apply(ctx, table, tenant, st, delta)
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
