package issue

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Planning is what an issue carries for sprint planning: its estimate in
// story points (on its project's scale) and the cycle it is planned in. It
// lives in its own file so the issue's own fields and write path stay as
// they are; Service.checkPlanning is the one hook the write path calls.

// EstimateScale is a project's scale of story points: an estimate outside
// it is a 422 naming estimate. T-shirt sizes are labels of points, so
// velocity adds them up like any other scale.
type EstimateScale string

const (
	ScaleFibonacci EstimateScale = "fibonacci" // 0 1 2 3 5 8 13 21 (the default)
	ScaleLinear    EstimateScale = "linear"    // 0 to 10
	ScaleTShirt    EstimateScale = "tshirt"    // XS=1 S=2 M=3 L=5 XL=8
	ScaleNone      EstimateScale = "none"      // estimates are off in the project
)

// EstimateScales lists the scales; the first is the default.
var EstimateScales = []EstimateScale{ScaleFibonacci, ScaleLinear, ScaleTShirt, ScaleNone}

// ScaleValue is one allowed estimate: its points and how the scale names it.
type ScaleValue struct {
	Label  string `json:"label"`
	Points int    `json:"points"`
}

// Values are the estimates the scale allows, smallest first.
func (sc EstimateScale) Values() []ScaleValue {
	pts := func(ns ...int) []ScaleValue {
		out := make([]ScaleValue, len(ns))
		for i, n := range ns {
			out[i] = ScaleValue{Label: strconv.Itoa(n), Points: n}
		}
		return out
	}
	switch sc {
	case ScaleFibonacci, "":
		return pts(0, 1, 2, 3, 5, 8, 13, 21)
	case ScaleLinear:
		return pts(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	case ScaleTShirt:
		return []ScaleValue{{"XS", 1}, {"S", 2}, {"M", 3}, {"L", 5}, {"XL", 8}}
	}
	return []ScaleValue{}
}

// Valid reports whether sc is a known scale.
func (sc EstimateScale) Valid() bool { return slices.Contains(EstimateScales, sc) }

// Allows reports whether points is on the scale.
func (sc EstimateScale) Allows(points int) bool {
	return slices.ContainsFunc(sc.Values(), func(v ScaleValue) bool { return v.Points == points })
}

// describe is the scale's values for an error message: "0, 1, 2, 3, 5".
func (sc EstimateScale) describe() string {
	var parts []string
	for _, v := range sc.Values() {
		if v.Label == strconv.Itoa(v.Points) {
			parts = append(parts, v.Label)
		} else {
			parts = append(parts, fmt.Sprintf("%s=%d", v.Label, v.Points))
		}
	}
	return strings.Join(parts, ", ")
}

// CycleRef is what issues need of a cycle (cycle.Service answers it).
type CycleRef struct {
	ID   string
	Name string
	// ProjectID or TeamID owns the cycle (one of them).
	ProjectID, TeamID string
	// Ends is the instant the cycle is over (the day after its last day).
	Ends time.Time
}

// Cycles finds the caller's cycles; another tenant's is not found.
type Cycles interface {
	Cycle(ctx context.Context, p tenancy.Principal, id string) (CycleRef, error)
	// ProjectCycles lists a project's cycles (a Query a page; a project
	// has at most cycle.MaxPerOwner): CSV imports find them by name.
	ProjectCycles(ctx context.Context, p tenancy.Principal, projectID string) ([]CycleRef, error)
}

// CycleMember is an issue's record in a cycle's scope, kept by the issue
// store in the issue's own transactions: when it was added and removed,
// and its points and category as of its last write while in the cycle.
type CycleMember struct {
	IssueID     string
	AddedAt     time.Time
	RemovedAt   *time.Time // nil while the issue is in the cycle
	Points      *int       // now
	Category    Category
	CompletedAt *time.Time // ResolvedAt of a completed issue
	// Estimates are the issue's points since it joined, oldest first.
	Estimates []Estimated
}

// Estimated is an issue's estimate from At on (nil: not estimated).
type Estimated struct {
	At     time.Time
	Points *int
}

// PointsAt is the member's estimate at t (its first one before it joined).
func (m CycleMember) PointsAt(t time.Time) *int {
	if len(m.Estimates) == 0 {
		return m.Points
	}
	p := m.Estimates[0].Points
	for _, e := range m.Estimates {
		if e.At.After(t) {
			break
		}
		p = e.Points
	}
	return p
}

// unprocessable is a 422 naming field.
func unprocessable(code, field, reason string) error {
	return errs.E(errs.KindUnprocessable, code, "%s: %s", field, reason).WithFields(errs.FieldError{Field: field, Reason: reason})
}

// checkPlanning checks what cur changes of old's estimate and cycle: the
// estimate must be on the project's scale, the cycle must be the tenant's,
// not over, and, for a project's cycle, the issue's project (a team's
// cycle takes any issue the team plans; another tenant's
// cycle is "no such cycle", like a missing one). Each is read only when it
// changed, so other writes cost nothing more.
func (s *Service) checkPlanning(ctx context.Context, p tenancy.Principal, old Issue, cur *Issue) error {
	if cur.Estimate != nil && !ptrEqual(old.Estimate, cur.Estimate) || cur.Estimate != nil && cur.ProjectID != old.ProjectID {
		if *cur.Estimate < 0 {
			return unprocessable("invalid_estimate", "estimate", "must not be negative")
		}
		scale := ScaleFibonacci
		if s.Projects != nil {
			pr, err := s.readProject(ctx, p, cmpOr(cur.ProjectID, DefaultProjectID))
			if err != nil {
				return err
			}
			scale = pr.EstimateScale
		}
		if reason := CheckEstimate(scale, *cur.Estimate); reason != "" {
			return unprocessable("invalid_estimate", "estimate", reason)
		}
	}
	if cur.CycleID == "" || cur.CycleID == old.CycleID {
		return nil
	}
	c, err := s.openCycle(ctx, p, "cycle_id", cur.CycleID)
	if err != nil {
		return err
	}
	if c.ProjectID != "" && c.ProjectID != cmpOr(cur.ProjectID, DefaultProjectID) {
		return unprocessable("invalid_cycle", "cycle_id", "the cycle belongs to another project")
	}
	return nil
}

// openCycle finds a cycle an issue may join: the tenant's, and not over.
// Errors are 422s naming field.
func (s *Service) openCycle(ctx context.Context, p tenancy.Principal, field, id string) (CycleRef, error) {
	if !ValidID(id) || s.Cycles == nil {
		return CycleRef{}, unprocessable("invalid_cycle", field, "no such cycle in this workspace")
	}
	c, err := s.readCycle(ctx, p, id)
	if errs.Is(err, errs.KindNotFound) {
		return CycleRef{}, unprocessable("invalid_cycle", field, "no such cycle in this workspace")
	}
	if err != nil {
		return CycleRef{}, err
	}
	if !s.now().Before(c.Ends) {
		return CycleRef{}, unprocessable("cycle_closed", field, "the cycle is over; plan the issue in a current or future cycle")
	}
	return c, nil
}

func ptrEqual[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// applyEstimate sets the estimate a patch sends (null clears it).
func (p Patch) applyEstimate(i *Issue) []Change {
	if !p.Estimate.Set {
		return nil
	}
	var v *int
	if !p.Estimate.Null {
		n := p.Estimate.V
		v = &n
	}
	if ptrEqual(i.Estimate, v) {
		return nil
	}
	from, to := any(nil), any(nil)
	if i.Estimate != nil {
		from = *i.Estimate
	}
	if v != nil {
		to = *v
	}
	i.Estimate = v
	return []Change{{Field: "estimate", From: from, To: to}}
}
