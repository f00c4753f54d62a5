package analytics

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Compaction of past days (the store's Compact) is started by the writers
// of rollups, so it needs no schedule of its own: the first write of a day
// to a scope compacts the scope's last CompactWindow days before
// CompactAfter, together with any older day written since (a late event, a
// backfill). A compaction that fails is logged and retried on a later day:
// it only changes how a day is stored, never what it holds.
const (
	// CompactAfter is the age at which a day is compacted: days are written
	// for the day of their event in the tenant's zone, so a day two UTC
	// days old is over in every zone.
	CompactAfter = 2
	// CompactWindow is how many days before that a first write looks back:
	// scopes written less than weekly still get their days compacted.
	CompactWindow = 7
)

// compaction remembers, per table, tenant and scope, the UTC day of its
// last compaction and the earliest past day written since.
type compaction struct {
	day     string            // the UTC day these maps are about
	done    map[string]bool   // scope key -> compacted today
	pending map[string]string // scope key -> earliest past day written, not compacted
}

type compactJob struct{ scope, from string }

func scopeKey(sc tenancy.Scope, scope string) string {
	return sc.Table + "|" + sc.TenantID + "|" + scope
}

// written notes that delta reached the rollups and compacts the scopes
// whose first write of the day this is.
func (s *Service) written(ctx context.Context, sc tenancy.Scope, delta Contribution) {
	now := s.now()
	today := now.Format(DayLayout)
	cutoff := now.AddDate(0, 0, -CompactAfter).Format(DayLayout)
	window := now.AddDate(0, 0, -CompactAfter-CompactWindow).Format(DayLayout)
	var jobs []compactJob
	s.mu.Lock()
	c := &s.compact
	if c.day != today {
		*c = compaction{day: today, done: map[string]bool{}, pending: c.pending}
		if c.pending == nil {
			c.pending = map[string]string{}
		}
	}
	for cell := range delta {
		scope, day, ok := dayCellParts(cell)
		if !ok {
			continue
		}
		k := scopeKey(sc, scope)
		if day <= cutoff {
			if p, ok := c.pending[k]; !ok || day < p {
				c.pending[k] = day
			}
		}
		if c.done[k] {
			continue
		}
		c.done[k] = true
		from := window
		if p, ok := c.pending[k]; ok && p < from {
			from = p
		}
		delete(c.pending, k)
		jobs = append(jobs, compactJob{scope, from})
	}
	s.mu.Unlock()
	s.runCompactions(ctx, sc, jobs, cutoff)
}

// CompactPending compacts the past days of sc written since their scope's
// last compaction (a backfill calls it when it ends).
func (s *Service) CompactPending(ctx context.Context, sc tenancy.Scope) {
	prefix := scopeKey(sc, "")
	var jobs []compactJob
	s.mu.Lock()
	for k, from := range s.compact.pending {
		if scope, ok := strings.CutPrefix(k, prefix); ok {
			jobs = append(jobs, compactJob{scope, from})
			delete(s.compact.pending, k)
		}
	}
	s.mu.Unlock()
	s.runCompactions(ctx, sc, jobs, s.now().AddDate(0, 0, -CompactAfter).Format(DayLayout))
}

func (s *Service) runCompactions(ctx context.Context, sc tenancy.Scope, jobs []compactJob, to string) {
	for _, j := range jobs {
		start := time.Now()
		n, err := s.Store.Compact(ctx, sc, j.scope, j.from, to)
		if err != nil {
			slog.WarnContext(ctx, "analytics: compaction failed; the days stay as written", "tenant_id", sc.TenantID, "scope", j.scope, "error", err)
			continue
		}
		if n > 0 {
			slog.DebugContext(ctx, "analytics: days compacted", "tenant_id", sc.TenantID, "scope", j.scope, "days", n, "took", time.Since(start))
		}
	}
}

// dayCellParts splits a DayCell into its scope and day.
func dayCellParts(cell string) (scope, day string, ok bool) {
	rest, ok := strings.CutPrefix(cell, "D|")
	if !ok {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '|')
	if i < 0 {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}
