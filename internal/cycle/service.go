package cycle

import (
	"context"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/oklog/ulid/v2"
	"golang.org/x/sync/errgroup"
)

// Store is what the Service needs of storage (cycledb.Store).
type Store interface {
	// Guard returns the owner's cycle windows and the guard's version (0
	// when the owner has no cycle yet), read consistently.
	Guard(ctx context.Context, sc tenancy.Scope, owner string) (windows []Window, version int64, err error)
	// Put writes c (a new cycle when old is nil, else over old: precondition
	// failed when old is stale) with the owner's windows, if the guard is
	// still at version: conflict cycle_guard_moved otherwise.
	Put(ctx context.Context, sc tenancy.Scope, old *Cycle, c Cycle, windows []Window, version int64) error
	// Get returns the cycle or not_found (cycle_not_found).
	Get(ctx context.Context, sc tenancy.Scope, id string) (Cycle, error)
	// List pages through an owner's cycles, latest start first.
	List(ctx context.Context, sc tenancy.Scope, owner string, req list.Request) (list.Page[Cycle], error)
	// MarkDeleting sets (on) or clears the cycle's deleting mark: an issue
	// cannot join a marked cycle (the issue's transaction checks it).
	// Precondition failed when the cycle is no longer at c's version.
	MarkDeleting(ctx context.Context, sc tenancy.Scope, c Cycle, on bool) error
	// Delete removes the marked cycle c and writes the owner's windows
	// without it, if the guard is still at version (conflict
	// cycle_guard_moved otherwise; precondition failed when c changed).
	Delete(ctx context.Context, sc tenancy.Scope, c Cycle, windows []Window, version int64) error
}

// Scope reads the scope records of a cycle (issuedb.Store.CycleScope).
type Scope interface {
	CycleScope(ctx context.Context, sc tenancy.Scope, cycleID string) ([]issue.CycleMember, bool, error)
	// CyclePlanned reports whether an issue is in the cycle now (a
	// consistent read of its scope records).
	CyclePlanned(ctx context.Context, sc tenancy.Scope, cycleID string) (bool, error)
	// DropCycleScope deletes the cycle's scope records.
	DropCycleScope(ctx context.Context, sc tenancy.Scope, cycleID string) error
}

// Service manages a tenant's cycles for the verified caller: everyone
// reads them and plans issues in them; Admins (the route table) create and
// change them.
type Service struct {
	Store     Store
	Scope     Scope
	Projects  issue.Projects
	Directory issue.Directory
	Now       func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// Input is the body of a create (name, dates and one owner) or an update
// (the fields sent; the owner cannot change).
type Input struct {
	Name      *string `json:"name"`
	ProjectID *string `json:"project_id"` // id or key
	TeamID    *string `json:"team_id"`
	StartsOn  *string `json:"starts_on"`
	EndsOn    *string `json:"ends_on"`
}

// Owner names the cycles to list or report: a project (id or key) or a team.
type Owner struct{ ProjectID, TeamID string }

// maxAttempts bounds the retries of a write that lost the owner's guard
// to a concurrent one.
const maxAttempts = 3

// Create adds a cycle to a project or a team: its days must not overlap
// another cycle of the same owner (409 cycle_overlap).
func (s *Service) Create(ctx context.Context, p tenancy.Principal, in Input) (Cycle, error) {
	now := s.now()
	c := Cycle{ID: ulid.Make().String(), CreatedAt: now, UpdatedAt: now, Version: 1}
	for _, f := range []struct {
		name string
		v    *string
		dst  *string
	}{{"name", in.Name, &c.Name}, {"starts_on", in.StartsOn, &c.StartsOn}, {"ends_on", in.EndsOn, &c.EndsOn}} {
		if f.v == nil {
			return Cycle{}, errs.Field(f.name, "is required")
		}
		*f.dst = *f.v
	}
	if err := c.Validate(); err != nil {
		return Cycle{}, err
	}
	owner, err := s.owner(ctx, p, deref(in.ProjectID), deref(in.TeamID), true)
	if err != nil {
		return Cycle{}, err
	}
	c.ProjectID, c.TeamID = owner.ProjectID, owner.TeamID
	if err := s.put(ctx, p, nil, c); err != nil {
		return Cycle{}, err
	}
	c.State = c.StateAt(now)
	return c, nil
}

// Update renames a cycle or moves its days (still without overlap).
func (s *Service) Update(ctx context.Context, p tenancy.Principal, id string, ifMatch int64, in Input) (Cycle, error) {
	if in.ProjectID != nil || in.TeamID != nil {
		return Cycle{}, errs.Field(cmpField(in.ProjectID, "project_id", "team_id"), "a cycle's owner cannot change")
	}
	old, err := s.Store.Get(ctx, p.Scope(), id)
	if err != nil {
		return Cycle{}, err
	}
	if ifMatch != 0 && ifMatch != old.Version {
		return Cycle{}, errs.E(errs.KindPreconditionFailed, "version_mismatch", "the cycle changed since version %d was read (current version %d)", ifMatch, old.Version)
	}
	c := old
	for _, f := range []struct {
		v   *string
		dst *string
	}{{in.Name, &c.Name}, {in.StartsOn, &c.StartsOn}, {in.EndsOn, &c.EndsOn}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if err := c.Validate(); err != nil {
		return Cycle{}, err
	}
	c.UpdatedAt, c.Version = s.now(), old.Version+1
	if err := s.put(ctx, p, &old, c); err != nil {
		return Cycle{}, err
	}
	c.State = c.StateAt(s.now())
	return c, nil
}

// Delete removes a cycle that no issue is in: one still planned with
// issues is a 409 cycle_in_use (take them out first: bulk edit cycle_id
// null, or plan them in another cycle), so a deletion never rewrites
// issues behind the user's back. The cycle is marked first, so no issue
// can join it while the check runs; its scope records (history of a
// finished cycle) go with it, and it leaves its owner's velocity.
func (s *Service) Delete(ctx context.Context, p tenancy.Principal, id string, ifMatch int64) error {
	c, err := s.Store.Get(ctx, p.Scope(), id)
	if err != nil {
		return err
	}
	if ifMatch != 0 && ifMatch != c.Version {
		return errs.E(errs.KindPreconditionFailed, "version_mismatch", "the cycle changed since version %d was read (current version %d)", ifMatch, c.Version)
	}
	if err := s.Store.MarkDeleting(ctx, p.Scope(), c, true); err != nil {
		return err
	}
	planned, err := s.Scope.CyclePlanned(ctx, p.Scope(), c.ID)
	if err == nil && planned {
		err = errs.Conflict("cycle_in_use", "issues are planned in the cycle; take them out (bulk edit cycle_id: null) or plan them elsewhere first")
	}
	if err != nil {
		if e := s.Store.MarkDeleting(ctx, p.Scope(), c, false); e != nil {
			slog.WarnContext(ctx, "unmark cycle", "cycle_id", c.ID, "err", e)
		}
		return err
	}
	for attempt := 1; ; attempt++ {
		ws, v, err := s.Store.Guard(ctx, p.Scope(), c.Owner())
		if err != nil {
			return err
		}
		ws = slices.DeleteFunc(ws, func(w Window) bool { return w.ID == c.ID })
		err = s.Store.Delete(ctx, p.Scope(), c, ws, v)
		if e := errs.As(err); err == nil {
			break
		} else if e.Code != "cycle_guard_moved" || attempt == maxAttempts {
			return err
		}
	}
	if err := s.Scope.DropCycleScope(ctx, p.Scope(), c.ID); err != nil {
		// The cycle is gone; its records are unreachable and only cost bytes.
		slog.WarnContext(ctx, "drop cycle scope", "cycle_id", c.ID, "err", err)
	}
	return nil
}

func cmpField(v *string, a, b string) string {
	if v != nil {
		return a
	}
	return b
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// put checks c against its owner's other cycles and writes it with the
// owner's windows, conditioned on the guard it read: two concurrent
// writers cannot both pass the overlap check.
func (s *Service) put(ctx context.Context, p tenancy.Principal, old *Cycle, c Cycle) error {
	for attempt := 1; ; attempt++ {
		ws, v, err := s.Store.Guard(ctx, p.Scope(), c.Owner())
		if err != nil {
			return err
		}
		ws = slices.DeleteFunc(ws, func(w Window) bool { return w.ID == c.ID })
		for _, w := range ws {
			if c.Overlaps(w) {
				return errs.Conflict("cycle_overlap", "the cycle's days overlap cycle "+w.ID+" ("+w.StartsOn+" to "+w.EndsOn+")").
					WithFields(errs.FieldError{Field: "starts_on", Reason: "overlaps cycle " + w.ID})
			}
		}
		if old == nil && len(ws) >= MaxPerOwner {
			return errs.E(errs.KindUnprocessable, "cycle_limit_reached", "a project or team has at most %d cycles", MaxPerOwner)
		}
		ws = append(ws, Window{ID: c.ID, StartsOn: c.StartsOn, EndsOn: c.EndsOn})
		sort.Slice(ws, func(i, j int) bool { return cmpStr(ws[i].StartsOn, ws[j].StartsOn) < 0 }) // not slices.SortFunc: one generic sort per shape (issue 19)
		err = s.Store.Put(ctx, p.Scope(), old, c, ws, v)
		if e := errs.As(err); err == nil || e.Code != "cycle_guard_moved" || attempt == maxAttempts {
			return err
		}
	}
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// owner checks that exactly one of a project (id or key) and a team is
// named and that it is the tenant's; another tenant's is "no such".
//
// input: the owner comes from a request body (project_id, team_id), else
// from the query (?project=, ?team=): an error names the field or the
// query parameter the caller sent.
func (s *Service) owner(ctx context.Context, p tenancy.Principal, projectRef, teamID string, input bool) (Owner, error) {
	project, team := "project_id", "team_id"
	field := func(f, reason string) error { return errs.Field(f, reason) }
	if !input {
		project, team = "project", "team"
		field = func(f, reason string) error {
			return errs.Invalid("invalid_parameter", f+": "+reason, errs.FieldError{Field: f, Reason: reason})
		}
	}
	switch {
	case projectRef != "" && teamID != "":
		return Owner{}, field(team, "a cycle belongs to a project or a team, not both")
	case projectRef == "" && teamID == "":
		return Owner{}, field(project, "name the project ("+project+") or the team ("+team+")")
	case projectRef != "":
		if !issue.ValidID(projectRef) {
			return Owner{}, field(project, "is not a valid project id or key")
		}
		pr, err := s.Projects.Project(ctx, p, projectRef)
		if errs.Is(err, errs.KindNotFound) {
			return Owner{}, field(project, "no such project in this workspace")
		}
		return Owner{ProjectID: pr.ID}, err
	}
	if !issue.ValidID(teamID) {
		return Owner{}, field(team, "is not a valid team id")
	}
	ok, err := s.Directory.TeamExists(ctx, p.Scope(), teamID)
	if err == nil && !ok {
		return Owner{}, field(team, "no such team in this workspace")
	}
	return Owner{TeamID: teamID}, err
}

// Get returns a cycle of the caller's tenant (another tenant's is not found).
func (s *Service) Get(ctx context.Context, p tenancy.Principal, id string) (Cycle, error) {
	c, err := s.Store.Get(ctx, p.Scope(), id)
	if err != nil {
		return Cycle{}, err
	}
	c.State = c.StateAt(s.now())
	return c, nil
}

// List pages through a project's or a team's cycles, latest first.
func (s *Service) List(ctx context.Context, p tenancy.Principal, o Owner, req list.Request) (list.Page[Cycle], error) {
	o, err := s.owner(ctx, p, o.ProjectID, o.TeamID, false)
	if err != nil {
		return list.Page[Cycle]{}, err
	}
	pg, err := s.Store.List(ctx, p.Scope(), OwnerOf(o.ProjectID, o.TeamID), req)
	if err != nil {
		return list.Page[Cycle]{}, err
	}
	now := s.now()
	for i := range pg.Items {
		pg.Items[i].State = pg.Items[i].StateAt(now)
	}
	return pg, nil
}

// Report is the cycle's scope and completion (one Query of its scope records).
func (s *Service) Report(ctx context.Context, p tenancy.Principal, id string) (Report, error) {
	c, err := s.Get(ctx, p, id)
	if err != nil {
		return Report{}, err
	}
	return s.report(ctx, p, c)
}

func (s *Service) report(ctx context.Context, p tenancy.Principal, c Cycle) (Report, error) {
	ms, truncated, err := s.Scope.CycleScope(ctx, p.Scope(), c.ID)
	if err != nil {
		return Report{}, err
	}
	r := NewReport(c, ms)
	r.Daily = DailySeries(c, ms, s.now())
	r.Truncated = truncated
	return r, nil
}

// Velocity reports the last n completed cycles of an owner (most recent
// first) and their average completed points and issues.
func (s *Service) Velocity(ctx context.Context, p tenancy.Principal, o Owner, n int) (Velocity, error) {
	if n < 1 || n > MaxVelocityCycles {
		return Velocity{}, errs.Invalid("invalid_parameter", "cycles must be 1 to 12",
			errs.FieldError{Field: "cycles", Reason: "must be an integer 1-12"})
	}
	o, err := s.owner(ctx, p, o.ProjectID, o.TeamID, false)
	if err != nil {
		return Velocity{}, err
	}
	ws, _, err := s.Store.Guard(ctx, p.Scope(), OwnerOf(o.ProjectID, o.TeamID))
	if err != nil {
		return Velocity{}, err
	}
	today := s.now().Format(issue.DateLayout)
	var done []Window
	for i := len(ws) - 1; i >= 0 && len(done) < n; i-- { // windows are sorted by start and never overlap
		if ws[i].EndsOn < today {
			done = append(done, ws[i])
		}
	}
	reports := make([]Report, len(done))
	g, gctx := errgroup.WithContext(ctx)
	for i, w := range done {
		g.Go(func() error {
			c, err := s.Get(gctx, p, w.ID)
			if err != nil {
				return err
			}
			reports[i], err = s.report(gctx, p, c)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return Velocity{}, err
	}
	return NewVelocity(reports), nil
}

// Issues is the Service as the issue domain sees it (issue.Cycles).
type Issues struct{ Service *Service }

var _ issue.Cycles = &Issues{}

// Cycle implements issue.Cycles.
func (i *Issues) Cycle(ctx context.Context, p tenancy.Principal, id string) (issue.CycleRef, error) {
	c, err := i.Service.Store.Get(ctx, p.Scope(), id)
	return c.Ref(), err
}

// ProjectCycles implements issue.Cycles: the project's cycles, a page at
// a time (a project has at most MaxPerOwner).
func (i *Issues) ProjectCycles(ctx context.Context, p tenancy.Principal, projectID string) ([]issue.CycleRef, error) {
	var out []issue.CycleRef
	req := list.Request{Limit: 100}
	for {
		pg, err := i.Service.Store.List(ctx, p.Scope(), OwnerOf(projectID, ""), req)
		if err != nil {
			return nil, err
		}
		for _, c := range pg.Items {
			out = append(out, c.Ref())
		}
		if req.Cursor = pg.NextCursor; req.Cursor == "" {
			return out, nil
		}
	}
}
