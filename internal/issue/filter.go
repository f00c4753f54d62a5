package issue

import (
	"slices"
	"time"
)

// Sort orders of an issue list.
type Sort string

const (
	SortUpdated  Sort = "updated"
	SortCreated  Sort = "created"
	SortPriority Sort = "priority"
	SortDue      Sort = "due"
)

// Sorts lists the sort orders.
var Sorts = []Sort{SortUpdated, SortCreated, SortPriority, SortDue}

// Filter selects issues. Empty fields select everything; a list field
// selects any of its values; fields combine with AND.
type Filter struct {
	Statuses                    []Status
	Categories                  []Category
	Assignees                   []string // user ids; NoAssignee selects unassigned issues
	Teams                       []string
	Labels                      []string // an issue carrying any of them
	Priorities                  []Priority
	Types                       []Type
	DueBefore                   string // YYYY-MM-DD, inclusive
	DueAfter                    string
	Overdue                     bool
	Today                       string // for Overdue
	CreatedAfter, CreatedBefore time.Time
	UpdatedAfter, UpdatedBefore time.Time
}

// Selective reports whether the filter can reject an issue.
func (f Filter) Selective() bool {
	return len(f.Statuses)+len(f.Categories)+len(f.Assignees)+len(f.Teams)+len(f.Labels)+len(f.Priorities)+len(f.Types) > 0 ||
		f.DueBefore != "" || f.DueAfter != "" || f.Overdue ||
		!f.CreatedAfter.IsZero() || !f.CreatedBefore.IsZero() || !f.UpdatedAfter.IsZero() || !f.UpdatedBefore.IsZero()
}

// NoAssignee in Filter.Assignees selects issues without an assignee.
const NoAssignee = "\x00none"

// MyTeams in Filter.Teams stands for the caller's teams; the Service
// resolves it before the filter is applied.
const MyTeams = "\x00mine"

// NoTeam in Filter.Teams matches no issue: it stands for "the caller's
// teams" when the caller is in none.
const NoTeam = "\x00noteam"

// Match reports whether i passes the filter. Lists and search apply the
// same predicate, so they cannot disagree.
func (f Filter) Match(i Issue) bool {
	switch {
	case len(f.Statuses) > 0 && !slices.Contains(f.Statuses, i.Status),
		len(f.Categories) > 0 && !slices.Contains(f.Categories, i.Category),
		len(f.Teams) > 0 && !slices.Contains(f.Teams, i.TeamID),
		len(f.Priorities) > 0 && !slices.Contains(f.Priorities, i.Priority),
		len(f.Types) > 0 && !slices.Contains(f.Types, i.Type),
		f.DueBefore != "" && (i.DueDate == "" || i.DueDate > f.DueBefore),
		f.DueAfter != "" && (i.DueDate == "" || i.DueDate < f.DueAfter),
		f.Overdue && !i.Overdue(f.Today),
		!f.CreatedAfter.IsZero() && i.CreatedAt.Before(f.CreatedAfter),
		!f.CreatedBefore.IsZero() && !i.CreatedAt.Before(f.CreatedBefore),
		!f.UpdatedAfter.IsZero() && i.UpdatedAt.Before(f.UpdatedAfter),
		!f.UpdatedBefore.IsZero() && !i.UpdatedAt.Before(f.UpdatedBefore):
		return false
	}
	if len(f.Assignees) > 0 {
		a := i.AssigneeID
		if a == "" {
			a = NoAssignee
		}
		if !slices.Contains(f.Assignees, a) {
			return false
		}
	}
	if len(f.Labels) > 0 && !slices.ContainsFunc(i.Labels, func(l string) bool { return slices.Contains(f.Labels, l) }) {
		return false
	}
	return true
}

// ListQuery is one page request of an issue list.
type ListQuery struct {
	Sort   Sort
	Desc   bool
	Filter Filter
	Limit  int
	Cursor string // opaque, from a previous page
}
