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
	Statuses   []Status
	Categories []Category
	Assignees  []string // user ids; NoAssignee selects unassigned issues
	Teams      []string
	Projects   []string // project ids (the Service resolves keys)
	Parents    []string // parent issue ids: their sub-issues
	Cycles     []string // cycle ids: the issues planned in them
	// Fields filters custom field values: field id → any of these values
	// ("none": no value). Applied in memory after the Query.
	Fields                      map[string][]string `json:",omitempty"`
	Labels                      []string            // an issue carrying any of them
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
	return len(f.Statuses)+len(f.Categories)+len(f.Assignees)+len(f.Teams)+len(f.Labels)+len(f.Priorities)+len(f.Types)+
		len(f.Projects)+len(f.Parents)+len(f.Cycles)+len(f.Fields) > 0 ||
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
	return f.matchFields(i) && f.matchDates(i) && f.matchAssignee(i) && f.matchLabels(i) && matchFieldValues(f.Fields, i.Fields)
}

// matchFields checks status, category, team, priority and type.
func (f Filter) matchFields(i Issue) bool {
	return anyOf(f.Statuses, i.Status) && anyOf(f.Categories, i.Category) && anyOf(f.Teams, i.TeamID) &&
		anyOf(f.Priorities, i.Priority) && anyOf(f.Types, i.Type) && anyOf(f.Projects, i.ProjectID) &&
		(len(f.Cycles) == 0 || i.CycleID != "" && slices.Contains(f.Cycles, i.CycleID)) &&
		(len(f.Parents) == 0 || i.ParentID != "" && slices.Contains(f.Parents, i.ParentID))
}

// anyOf is true when the filter's list is empty or holds v.
func anyOf[T comparable](list []T, v T) bool { return len(list) == 0 || slices.Contains(list, v) }

// matchDates checks the due date (and overdue), creation and update times.
func (f Filter) matchDates(i Issue) bool {
	switch {
	case f.DueBefore != "" && (i.DueDate == "" || i.DueDate > f.DueBefore),
		f.DueAfter != "" && (i.DueDate == "" || i.DueDate < f.DueAfter),
		f.Overdue && !i.Overdue(f.Today),
		!f.CreatedAfter.IsZero() && i.CreatedAt.Before(f.CreatedAfter),
		!f.CreatedBefore.IsZero() && !i.CreatedAt.Before(f.CreatedBefore),
		!f.UpdatedAfter.IsZero() && i.UpdatedAt.Before(f.UpdatedAfter),
		!f.UpdatedBefore.IsZero() && !i.UpdatedAt.Before(f.UpdatedBefore):
		return false
	}
	return true
}

// matchAssignee checks the assignee (NoAssignee: unassigned).
func (f Filter) matchAssignee(i Issue) bool {
	a := i.AssigneeID
	if a == "" {
		a = NoAssignee
	}
	return anyOf(f.Assignees, a)
}

// matchLabels is true when the issue carries any of the filter's labels.
func (f Filter) matchLabels(i Issue) bool {
	return len(f.Labels) == 0 || slices.ContainsFunc(i.Labels, func(l string) bool { return slices.Contains(f.Labels, l) })
}

// ListQuery is one page request of an issue list.
type ListQuery struct {
	Sort   Sort
	Desc   bool
	Filter Filter
	Limit  int
	Cursor string // opaque, from a previous page
	// Custom are the statuses of the tenant's stored workflows, filled by
	// the service for a category filter: their status partitions are read too.
	Custom []WorkflowStatus
}
