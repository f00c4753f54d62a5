package issue

import (
	"fmt"
	"slices"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// Status is a workflow state; each belongs to a Category.
type Status string

const (
	Open       Status = "open"
	InProgress Status = "in_progress"
	InReview   Status = "in_review"
	Closed     Status = "closed"
)

// Category groups statuses for analytics (lead time, cycle time, throughput).
type Category string

const (
	Unstarted Category = "unstarted"
	Started   Category = "started"
	Completed Category = "completed"
)

// Statuses lists the workflow's statuses in board order.
var Statuses = []Status{Open, InProgress, InReview, Closed}

// Categories lists the categories.
var Categories = []Category{Unstarted, Started, Completed}

var categoryOf = map[Status]Category{
	Open: Unstarted, InProgress: Started, InReview: Started, Closed: Completed,
}

// transitions is the allowed-transition graph. Closed → Open is "reopen".
var transitions = map[Status][]Status{
	Open:       {InProgress, Closed},
	InProgress: {Open, InReview, Closed},
	InReview:   {InProgress, Closed},
	Closed:     {Open},
}

// CategoryOf returns the category of s.
func CategoryOf(s Status) Category { return categoryOf[s] }

// ValidStatus reports whether s is a status of the workflow.
func ValidStatus(s Status) bool { _, ok := categoryOf[s]; return ok }

// ValidCategory reports whether c is a category.
func ValidCategory(c Category) bool { return slices.Contains(Categories, c) }

// Next lists the statuses reachable from s in one transition.
func Next(s Status) []Status { return slices.Clone(transitions[s]) }

// Workflow describes the graph for clients.
type Workflow struct {
	Statuses []WorkflowStatus `json:"statuses"`
}

// WorkflowStatus is a status, its category and where it may go.
type WorkflowStatus struct {
	Status   Status   `json:"status"`
	Category Category `json:"category"`
	Next     []Status `json:"next"`
}

// TheWorkflow returns the workflow graph.
func TheWorkflow() Workflow {
	var w Workflow
	for _, s := range Statuses {
		w.Statuses = append(w.Statuses, WorkflowStatus{Status: s, Category: CategoryOf(s), Next: Next(s)})
	}
	return w
}

// Transition moves the issue to status to at time now, maintaining the
// category and the started / resolved / closed timestamps. It returns the
// field changes, or a 422 naming "to" when the graph forbids the move.
func (i *Issue) Transition(to Status, now time.Time) ([]Change, error) {
	if !ValidStatus(to) {
		return nil, errs.Field("to", "must be one of open, in_progress, in_review, closed")
	}
	if !slices.Contains(transitions[i.Status], to) {
		e := errs.E(errs.KindUnprocessable, "transition_forbidden", "cannot move from %s to %s (allowed: %v)", i.Status, to, transitions[i.Status])
		e.Fields = []errs.FieldError{{Field: "to", Reason: fmt.Sprintf("not allowed from %s", i.Status)}}
		return nil, e
	}
	changes := []Change{{Field: "status", From: i.Status, To: to}}
	from := CategoryOf(i.Status)
	i.Status, i.Category = to, CategoryOf(to)
	if from != i.Category {
		changes = append(changes, Change{Field: "category", From: from, To: i.Category})
	}
	t := now
	switch i.Category {
	case Started:
		if i.StartedAt == nil {
			i.StartedAt = &t
			changes = append(changes, Change{Field: "started_at", From: nil, To: t})
		}
	case Completed:
		i.ResolvedAt, i.ClosedAt = &t, &t
		changes = append(changes, Change{Field: "closed_at", From: nil, To: t})
	case Unstarted:
		if i.ClosedAt != nil { // reopen: the history keeps the old close
			changes = append(changes, Change{Field: "closed_at", From: *i.ClosedAt, To: nil})
			i.ResolvedAt, i.ClosedAt = nil, nil
		}
	}
	return changes, nil
}
