package analytics

import (
	"sort"
	"strconv"
	"time"

	"github.com/issuetracker/issuetracker/internal/issue"
)

// Event is one fact about an issue, decoded from a change of the tenant's
// table (analyticsdb) or read back from its items by a rebuild.
type Event struct {
	IssueID string
	// Issue is a snapshot of the issue item (created or updated).
	Issue *issue.Issue
	// Removed: the issue was deleted.
	Removed bool
	// Status is an entry of the issue's status history.
	Status *issue.StatusChange
	// Comment is a comment on the issue (its author and time matter).
	Comment *issue.Comment
}

// Transition is a status-history entry as the rollups need it.
type Transition struct {
	At   time.Time    `dynamodbav:"at"`
	From issue.Status `dynamodbav:"from,omitempty"`
	To   issue.Status `dynamodbav:"to"`
	// FromCat and ToCat are the statuses' categories in their project's
	// workflow when the change was made (absent before workflows: the
	// default workflow's). Rollups read categories, never status names.
	FromCat issue.Category `dynamodbav:"from_cat,omitempty"`
	ToCat   issue.Category `dynamodbav:"to_cat,omitempty"`
}

// categories are the transition's from and to categories.
func (t Transition) categories() (from, to issue.Category) {
	from, to = t.FromCat, t.ToCat
	if from == "" {
		from = issue.CategoryOf(t.From)
	}
	if to == "" {
		to = issue.CategoryOf(t.To)
	}
	return from, to
}

// Response is the earliest comment or transition of one person on an issue.
type Response struct {
	At    time.Time `dynamodbav:"at"`
	Actor string    `dynamodbav:"actor"`
}

// IssueState is what the analytics consumer knows of one issue: every
// input of its contribution to the rollups, and the contribution the
// rollups hold now (Applied). Folding an event is idempotent and
// commutative, so redelivered and out-of-order records give the same state:
// a snapshot only replaces an older version, history entries are a set by
// id, responders keep the earliest time per person, a removal is final.
type IssueState struct {
	IssueID    string
	Known      bool // a snapshot was folded
	Deleted    bool
	Version    int64
	CreatedAt  time.Time
	StartedAt  *time.Time
	ResolvedAt *time.Time
	ClosedAt   *time.Time
	Category   issue.Category
	Priority   issue.Priority
	AssigneeID string
	TeamID     string
	ReporterID string
	History    map[string]Transition
	// Responders are the two earliest people (distinct) who commented or
	// moved the issue: enough to find the first who is not the reporter.
	Responders []Response
	Applied    Contribution
	// Rev counts the state's writes (optimistic locking of the state item).
	Rev int64
	// Pending: a multi-transaction apply is unfinished (Store.States).
	Pending bool
}

// Fold applies an event to the state and reports whether it changed.
func (s *IssueState) Fold(e Event) bool {
	if s.Deleted {
		return false // ids are never reused: nothing comes back after a delete
	}
	switch {
	case e.Removed:
		s.Deleted = true
		return true
	case e.Issue != nil:
		i := e.Issue
		if s.Known && i.Version <= s.Version {
			return false
		}
		s.Known, s.Version = true, i.Version
		s.CreatedAt, s.StartedAt, s.ResolvedAt, s.ClosedAt = i.CreatedAt, i.StartedAt, i.ResolvedAt, i.ClosedAt
		s.Category, s.Priority, s.AssigneeID, s.TeamID, s.ReporterID = i.Category, i.Priority, i.AssigneeID, i.TeamID, i.ReporterID
		return true
	case e.Status != nil:
		h := e.Status
		if _, ok := s.History[h.ID]; ok {
			return false
		}
		if s.History == nil {
			s.History = map[string]Transition{}
		}
		s.History[h.ID] = Transition{At: h.At, From: h.From, To: h.To, FromCat: h.FromCategory, ToCat: h.Category}
		if h.From != "" {
			s.respond(h.At, h.ActorID)
		}
		return true
	case e.Comment != nil:
		return s.respond(e.Comment.CreatedAt, e.Comment.AuthorID)
	}
	return false
}

// respond keeps the two earliest distinct people.
func (s *IssueState) respond(at time.Time, actor string) bool {
	if actor == "" {
		return false
	}
	rs := append([]Response(nil), s.Responders...)
	found := false
	for i := range rs {
		if rs[i].Actor == actor {
			found = true
			if !at.Before(rs[i].At) {
				return false
			}
			rs[i].At = at
		}
	}
	if !found {
		rs = append(rs, Response{At: at, Actor: actor})
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].At.Before(rs[j].At) })
	if len(rs) > 2 {
		rs = rs[:2]
	}
	if len(rs) == len(s.Responders) && rs[0] == s.Responders[0] && (len(rs) < 2 || rs[1] == s.Responders[1]) {
		return false
	}
	s.Responders = rs
	return true
}

// FirstResponse is the earliest comment or transition by someone other
// than the reporter.
func (s IssueState) FirstResponse() (Response, bool) {
	for _, r := range s.Responders {
		if r.Actor != s.ReporterID {
			return r, true
		}
	}
	return Response{}, false
}

// Scopes of rollups. Every issue counts in ScopeAll, in its owner's scope
// (assignee, team or none) and in its priority's. A new dimension (projects)
// adds scopes; existing items keep their keys, and a backfill fills the new
// scopes' past.
const ScopeAll = "all"

// TeamScope, UserScope, PriorityScope and ResponderScope name scopes.
func TeamScope(id string) string            { return "team:" + id }
func UserScope(id string) string            { return "user:" + id }
func PriorityScope(p issue.Priority) string { return "prio:" + string(p) }
func ResponderScope(id string) string       { return "resp:" + id }
func CategoryScope(c issue.Category) string { return "cat:" + string(c) }

const ScopeUnowned = "none"

// Scopes lists the scopes the issue counts in now.
func (s IssueState) Scopes() []string {
	owner := ScopeUnowned
	switch {
	case s.AssigneeID != "":
		owner = UserScope(s.AssigneeID)
	case s.TeamID != "":
		owner = TeamScope(s.TeamID)
	}
	return []string{ScopeAll, owner, PriorityScope(s.Priority)}
}

// Fields of rollup items: day items count created (c) and resolved (r)
// issues, the backlog's change (n) and duration bins lt<b> (lead time),
// ct<b> (cycle time), rt<b> (first response time); gauges count open (o)
// and started (s) issues now.
const (
	FieldCreated  = "c"
	FieldResolved = "r"
	FieldNet      = "n"
	FieldOpen     = "o"
	FieldStarted  = "s"
	PrefixLead    = "lt"
	PrefixCycle   = "ct"
	PrefixResp    = "rt"
)

// Contribution is what one issue adds to the rollups: cell → field → count.
// Cells are DayCell(scope, day) and GaugeCell(scope).
type Contribution map[string]map[string]int64

// DayCell and GaugeCell name rollup cells.
func DayCell(scope, day string) string { return "D|" + scope + "|" + day }
func GaugeCell(scope string) string    { return "G|" + scope }

func (c Contribution) add(cell, field string, n int64) {
	if c[cell] == nil {
		c[cell] = map[string]int64{}
	}
	c[cell][field] += n
}

func bin(prefix string, d time.Duration) string {
	return prefix + strconv.Itoa(Bin(max(d, 0).Seconds()))
}

// Contribute computes the issue's contribution under the settings' zones.
// A deleted or not yet known issue contributes nothing.
func (s IssueState) Contribute(set Settings) Contribution {
	c := Contribution{}
	if !s.Known || s.Deleted {
		return c
	}
	d := newDayer(set)
	scopes := s.Scopes()
	each := func(day, field string, n int64) {
		for _, sc := range scopes {
			c.add(DayCell(sc, day), field, n)
		}
	}
	created := d.day(s.CreatedAt)
	each(created, FieldCreated, 1)
	each(created, FieldNet, 1)
	open := int64(1)
	ids := make([]string, 0, len(s.History))
	for id := range s.History {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t := s.History[id]
		if t.From == "" {
			continue // the creation entry: counted above
		}
		fc, tc := t.categories()
		from, to := fc.Done(), tc.Done() // completed or canceled: no longer open
		switch {
		case !from && to:
			each(d.day(t.At), FieldNet, -1)
			open--
		case from && !to:
			each(d.day(t.At), FieldNet, 1)
			open++
		}
	}
	if s.Category == issue.Completed && s.ResolvedAt != nil {
		day := d.day(*s.ResolvedAt)
		each(day, FieldResolved, 1)
		closed := *s.ResolvedAt
		if s.ClosedAt != nil {
			closed = *s.ClosedAt
		}
		each(day, bin(PrefixLead, closed.Sub(s.CreatedAt)), 1)
		if s.StartedAt != nil {
			each(day, bin(PrefixCycle, s.ResolvedAt.Sub(*s.StartedAt)), 1)
		}
	}
	if r, ok := s.FirstResponse(); ok {
		day, b := d.day(r.At), bin(PrefixResp, r.At.Sub(s.CreatedAt))
		each(day, b, 1)
		c.add(DayCell(ResponderScope(r.Actor), day), b, 1)
	}
	for _, sc := range scopes {
		c.add(GaugeCell(sc), FieldOpen, open)
		if open > 0 && s.Category == issue.Started {
			c.add(GaugeCell(sc), FieldStarted, 1)
		}
	}
	return c
}

// Delta is what must be added to the rollups to go from old to cur (zero
// counts left out).
func Delta(old, cur Contribution) Contribution {
	out := Contribution{}
	for cell, fs := range cur {
		for f, n := range fs {
			if d := n - old[cell][f]; d != 0 {
				out.add(cell, f, d)
			}
		}
	}
	for cell, fs := range old {
		for f, n := range fs {
			if _, ok := cur[cell][f]; !ok && n != 0 {
				out.add(cell, f, -n)
			}
		}
	}
	return out
}

// Cells lists the contribution's cells in a stable order.
func (c Contribution) Cells() []string {
	out := make([]string, 0, len(c))
	for k := range c {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
