// Package cycle is the tracker's cycles (sprints): time boxes of a project
// or a team in which issues are planned. Issues join and leave a cycle by
// their cycle_id (PATCH, bulk edit); the issue store keeps each cycle's
// scope records in the issue's own transactions, so a cycle's report —
// committed at start, added, removed, completed, in issues and points — is
// read, never maintained. Velocity is the completed points of the last
// cycles. It knows nothing of DynamoDB or HTTP; cycledb stores it and
// cycleapi serves it.
package cycle

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/text"
)

// Limits on input, documented in docs/data-model.md.
const (
	MaxName = 80
	// MaxDays bounds a cycle's length.
	MaxDays = 366
	// MaxPerOwner bounds the cycles of one project or team: their windows
	// fit in the owner's guard item, read with one GetItem.
	MaxPerOwner = 500
	// MaxVelocityCycles bounds the cycles one velocity answer reports.
	MaxVelocityCycles = 12
)

// Cycle is a time box of a project or a team, from StartsOn to EndsOn
// (calendar days in UTC, both included). Cycles of one owner never overlap.
type Cycle struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	ProjectID string `json:"project_id,omitempty"`
	TeamID    string `json:"team_id,omitempty"`
	StartsOn  string `json:"starts_on"` // YYYY-MM-DD
	EndsOn    string `json:"ends_on"`   // YYYY-MM-DD, included
	// State is upcoming, active or completed (as of the answer).
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"version"`
}

// States of a cycle.
const (
	Upcoming  = "upcoming"
	Active    = "active"
	Completed = "completed"
)

// Owner is the partition of the cycle's owner: P#<project> or TEAM#<team>.
func (c Cycle) Owner() string { return OwnerOf(c.ProjectID, c.TeamID) }

// OwnerOf is the owner of a project's (projectID set) or a team's cycles.
func OwnerOf(projectID, teamID string) string {
	if projectID != "" {
		return "P#" + projectID
	}
	return "TEAM#" + teamID
}

// Start is the instant the cycle starts; End the instant it is over.
func (c Cycle) Start() time.Time { t, _ := time.Parse(issue.DateLayout, c.StartsOn); return t }
func (c Cycle) End() time.Time {
	t, _ := time.Parse(issue.DateLayout, c.EndsOn)
	return t.AddDate(0, 0, 1)
}

// StateAt is the cycle's state at now.
func (c Cycle) StateAt(now time.Time) string {
	switch {
	case now.Before(c.Start()):
		return Upcoming
	case now.Before(c.End()):
		return Active
	}
	return Completed
}

// Ref is what the issue domain needs of the cycle.
func (c Cycle) Ref() issue.CycleRef {
	return issue.CycleRef{ID: c.ID, Name: c.Name, ProjectID: c.ProjectID, TeamID: c.TeamID, Ends: c.End()}
}

// Overlaps reports whether c and o share a day.
func (c Cycle) Overlaps(o Window) bool { return c.StartsOn <= o.EndsOn && o.StartsOn <= c.EndsOn }

// Window is a cycle's days, as its owner's guard keeps them.
type Window struct {
	ID, StartsOn, EndsOn string
}

// Validate checks the fields a client sets and cleans the name.
func (c *Cycle) Validate() error {
	var tf text.Fields
	tf.Clean("name", &c.Name, text.Line)
	c.Name = strings.TrimSpace(c.Name)
	if n := utf8.RuneCountInString(c.Name); tf.Has("name") {
	} else if n == 0 {
		tf.Add("name", "is required")
	} else if n > MaxName {
		tf.Add("name", fmt.Sprintf("is longer than %d characters", MaxName))
	}
	s, errS := time.Parse(issue.DateLayout, c.StartsOn)
	e, errE := time.Parse(issue.DateLayout, c.EndsOn)
	if errS != nil {
		tf.Add("starts_on", "must be a date YYYY-MM-DD")
	}
	if errE != nil {
		tf.Add("ends_on", "must be a date YYYY-MM-DD")
	}
	if errS == nil && errE == nil {
		if e.Before(s) {
			tf.Add("ends_on", "must not be before starts_on")
		} else if e.Sub(s) >= MaxDays*24*time.Hour {
			tf.Add("ends_on", fmt.Sprintf("a cycle lasts at most %d days", MaxDays))
		}
	}
	return tf.Err()
}

// Tally is a number of issues and their story points (unestimated issues
// count 0 points and are counted in Unestimated).
type Tally struct {
	Issues      int `json:"issues"`
	Points      int `json:"points"`
	Unestimated int `json:"unestimated"`
}

func (t *Tally) add(points *int) {
	t.Issues++
	if points != nil {
		t.Points += *points
	} else {
		t.Unestimated++
	}
}

// Report is a cycle's scope and completion: what was planned when it
// started (Committed, at the points it had then), added and removed after
// its start (at the points it had when it joined or left), what its scope
// is now (Committed + Added - Removed issues, at their current points: the
// points differ from that sum by re-estimation) and what of it was
// completed before it ended (current points). The input to velocity.
type Report struct {
	Cycle     Cycle `json:"cycle"`
	Committed Tally `json:"committed"`
	Added     Tally `json:"added"`
	Removed   Tally `json:"removed"`
	Scope     Tally `json:"scope"`
	Completed Tally `json:"completed"`
	// CompletionRate is completed points / scope points (0 without points).
	CompletionRate float64 `json:"completion_rate"`
	// Truncated: the cycle had more scope records than one report reads.
	Truncated bool `json:"truncated,omitempty"`
	// Daily is the burn-up: the scope and the completed work at the end
	// of each day of the cycle up to today (DailySeries).
	Daily []Day `json:"daily"`
}

// Day is the cycle as it stood at the end of one of its days (or now,
// for today): the issues in its scope and those of them completed, at the
// points each had then.
type Day struct {
	Date      string `json:"date"` // YYYY-MM-DD
	Scope     Tally  `json:"scope"`
	Completed Tally  `json:"completed"`
}

// DailySeries is the burn-up of a cycle from its scope records: for each
// day from the start to the end or to now (whichever is first), the
// issues that had joined and not left by the end of that day, and those
// of them completed by then, with the points each had at that instant
// (the records keep every estimate since an issue joined). The records
// keep an issue's latest completion only: an issue completed, reopened
// and completed again counts from its last completion.
func DailySeries(c Cycle, members []issue.CycleMember, now time.Time) []Day {
	out := []Day{}
	start, end := c.Start(), c.End()
	for day := start; day.Before(end) && !day.After(now); day = day.AddDate(0, 0, 1) {
		at := day.AddDate(0, 0, 1)
		if at.After(now) {
			at = now
		}
		d := Day{Date: day.Format(issue.DateLayout)}
		for _, m := range members {
			if m.RemovedAt != nil && !m.RemovedAt.After(start) || m.AddedAt.After(at) && m.AddedAt.After(start) {
				continue // never in the scope, or not yet
			}
			if m.RemovedAt != nil && !m.RemovedAt.After(at) {
				continue // left by then
			}
			pts := m.PointsAt(at)
			d.Scope.add(pts)
			if m.Category == issue.Completed && m.CompletedAt != nil && !m.CompletedAt.After(at) {
				d.Completed.add(pts)
			}
		}
		out = append(out, d)
	}
	return out
}

// NewReport tallies a cycle's scope records. An issue removed before the
// start was never in the cycle's scope; one added after the end cannot be
// (a closed cycle takes no issue), and its completion counts only if it
// came before the end.
func NewReport(c Cycle, members []issue.CycleMember) Report {
	r := Report{Cycle: c, Daily: []Day{}}
	start, end := c.Start(), c.End()
	for _, m := range members {
		if m.RemovedAt != nil && !m.RemovedAt.After(start) {
			continue // planned, then taken out before the start
		}
		if !m.AddedAt.After(start) {
			r.Committed.add(m.PointsAt(start))
		} else if m.AddedAt.Before(end) {
			r.Added.add(m.PointsAt(m.AddedAt))
		} else {
			continue
		}
		if m.RemovedAt != nil && m.RemovedAt.Before(end) {
			r.Removed.add(m.PointsAt(*m.RemovedAt))
			continue
		}
		r.Scope.add(m.Points)
		if m.Category == issue.Completed && m.CompletedAt != nil && m.CompletedAt.Before(end) {
			r.Completed.add(m.Points)
		}
	}
	if r.Scope.Points > 0 {
		r.CompletionRate = float64(r.Completed.Points) / float64(r.Scope.Points)
	}
	return r
}

// Velocity is the completed work of an owner's last completed cycles,
// most recent first, and their average.
type Velocity struct {
	Cycles []Report `json:"cycles"`
	// AveragePoints and AverageIssues are the mean completed per cycle.
	AveragePoints float64 `json:"average_points"`
	AverageIssues float64 `json:"average_issues"`
}

// NewVelocity averages the reports.
func NewVelocity(reports []Report) Velocity {
	v := Velocity{Cycles: reports}
	if len(reports) == 0 {
		v.Cycles = []Report{}
		return v
	}
	for _, r := range reports {
		v.AveragePoints += float64(r.Completed.Points)
		v.AverageIssues += float64(r.Completed.Issues)
	}
	v.AveragePoints /= float64(len(reports))
	v.AverageIssues /= float64(len(reports))
	return v
}
