package issue

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/text"
)

// Status is a workflow state, identified by a short id (open, in_review,
// qa_ready); each belongs to a Category. Statuses are data of a project's
// workflow; the four below are the default workflow's.
type Status string

const (
	Open       Status = "open"
	InProgress Status = "in_progress"
	InReview   Status = "in_review"
	Closed     Status = "closed"
)

// Category groups statuses for analytics (lead time, cycle time, throughput)
// and the board: code reads categories, never status names.
type Category string

const (
	Unstarted Category = "unstarted"
	Started   Category = "started"
	Completed Category = "completed"
	Canceled  Category = "canceled"
)

// Done reports whether an issue in c is no longer open (completed or canceled).
func (c Category) Done() bool { return c == Completed || c == Canceled }

// Statuses lists the default workflow's statuses in board order.
var Statuses = []Status{Open, InProgress, InReview, Closed}

// Categories lists the categories.
var Categories = []Category{Unstarted, Started, Completed, Canceled}

// RequiredCategories must each have a status in every workflow: an issue
// starts unstarted, work starts, work completes (canceled is optional).
var RequiredCategories = []Category{Unstarted, Started, Completed}

// Workflow limits (docs/data-model.md).
const (
	MaxStatuses   = 50
	MaxStatusName = 40
)

// statusIDRE is the shape of a status id.
var statusIDRE = text.Lazy(`^[a-z][a-z0-9_]{0,31}$`)

// ValidStatusID reports whether s has the shape of a status id (whether a
// workflow has it is Workflow.Has).
func ValidStatusID(s Status) bool { return statusIDRE.Regexp().MatchString(string(s)) }

// Workflow is a project's statuses (in board order) and the transitions
// between them. Version 0 is the default workflow, never stored.
type Workflow struct {
	ProjectID string           `json:"project_id,omitempty"`
	Statuses  []WorkflowStatus `json:"statuses"`
	Version   int64            `json:"version"`
	UpdatedAt *time.Time       `json:"updated_at,omitempty"`
}

// WorkflowStatus is a status, its category, board order, colour and where
// it may go. A retiring status is being deleted with its issues moved to
// another (a background job): issues leave it, none may enter it.
type WorkflowStatus struct {
	Status   Status   `json:"status"`
	Name     string   `json:"name"`
	Category Category `json:"category"`
	Order    int      `json:"order"`
	Color    string   `json:"color"`
	Next     []Status `json:"next"`
	Retiring bool     `json:"retiring,omitempty"`
}

// DefaultWorkflow is the brief's Open -> In Progress -> In Review -> Closed,
// the workflow of every project that has not stored its own. Closed -> Open
// is "reopen".
func DefaultWorkflow() Workflow {
	return Workflow{Statuses: []WorkflowStatus{
		{Status: Open, Name: "Open", Category: Unstarted, Order: 0, Color: "#8a8f98", Next: []Status{InProgress, Closed}},
		{Status: InProgress, Name: "In Progress", Category: Started, Order: 1, Color: "#f2c94c", Next: []Status{Open, InReview, Closed}},
		{Status: InReview, Name: "In Review", Category: Started, Order: 2, Color: "#5e6ad2", Next: []Status{InProgress, Closed}},
		{Status: Closed, Name: "Closed", Category: Completed, Order: 3, Color: "#4cb782", Next: []Status{Open}},
	}}
}

var defaultWorkflow = DefaultWorkflow()

// CategoryOf returns the category of s in the default workflow ("" when it
// has none): data written before workflows, and tools that know no project.
func CategoryOf(s Status) Category {
	st, _ := defaultWorkflow.Status(s)
	return st.Category
}

// Next lists the statuses reachable from s in the default workflow.
func Next(s Status) []Status {
	st, _ := defaultWorkflow.Status(s)
	return slices.Clone(st.Next)
}

// TheWorkflow returns the default workflow.
func TheWorkflow() Workflow { return DefaultWorkflow() }

// Status returns the status s of the workflow.
func (w Workflow) Status(s Status) (WorkflowStatus, bool) {
	for _, st := range w.Statuses {
		if st.Status == s {
			return st, true
		}
	}
	return WorkflowStatus{}, false
}

// Has reports whether the workflow has status s.
func (w Workflow) Has(s Status) bool { _, ok := w.Status(s); return ok }

// FirstIn is the first status of category c (board order) that issues may
// enter; ok is false when there is none.
func (w Workflow) FirstIn(c Category) (Status, bool) {
	for _, st := range w.Statuses {
		if st.Category == c && !st.Retiring {
			return st.Status, true
		}
	}
	return "", false
}

// Initial is the status a new issue starts in: the first unstarted one.
func (w Workflow) Initial() Status {
	s, _ := w.FirstIn(Unstarted)
	return s
}

// ids lists the workflow's status ids, for messages.
func (w Workflow) ids() []Status {
	out := make([]Status, 0, len(w.Statuses))
	for _, st := range w.Statuses {
		out = append(out, st.Status)
	}
	return out
}

// UnknownStatus is the 422 of a status the workflow does not have.
func (w Workflow) UnknownStatus(field string, s Status) error {
	return errs.E(errs.KindUnprocessable, "unknown_status", "%s: %q is not a status of this project's workflow (one of %v)", field, s, w.ids()).
		WithFields(errs.FieldError{Field: field, Reason: fmt.Sprintf("not a status of this project's workflow (one of %v)", w.ids())})
}

// Enterable checks that an issue may be put in status s of the workflow
// (created in it, moved or imported into it): a 422 naming field if not.
func (w Workflow) Enterable(field string, s Status) (WorkflowStatus, error) {
	st, ok := w.Status(s)
	if !ok {
		return st, w.UnknownStatus(field, s)
	}
	if st.Retiring {
		return st, errs.E(errs.KindUnprocessable, "status_retiring", "%s: status %s is being deleted", field, s).
			WithFields(errs.FieldError{Field: field, Reason: "is being deleted"})
	}
	return st, nil
}

// categoryColor is the colour of a status sent without one.
var categoryColor = map[Category]string{Unstarted: "#8a8f98", Started: "#f2c94c", Completed: "#4cb782", Canceled: "#95a2b3"}

// Normalize cleans a workflow a client sent: names in NFC and trimmed,
// colours lower case (a missing one from the category), order = position,
// transitions without repeats. Validate checks the result.
func (w *Workflow) Normalize() {
	for n := range w.Statuses {
		st := &w.Statuses[n]
		st.Name = strings.TrimSpace(st.Name)
		st.Color = strings.ToLower(strings.TrimSpace(st.Color))
		if st.Color == "" {
			st.Color = categoryColor[st.Category]
		}
		st.Order = n
		if st.Next == nil {
			st.Next = []Status{}
		}
		st.Next = dedupStatuses(st.Next)
	}
}

func dedupStatuses(l []Status) []Status {
	out := []Status{}
	for _, s := range l {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Validate checks a workflow: 1–MaxStatuses statuses with well-formed
// unique ids, names unique after NFC + case folding, known categories with
// a status in each required one, #rrggbb colours, and transitions only
// between statuses of the workflow. Errors name the field
// (statuses[2].name, statuses[0].next[1]).
func (w *Workflow) Validate() error {
	var tf text.Fields
	if len(w.Statuses) == 0 || len(w.Statuses) > MaxStatuses {
		tf.Add("statuses", fmt.Sprintf("give 1 to %d statuses", MaxStatuses))
		return tf.Err()
	}
	ids, names := map[Status]int{}, map[string]int{}
	for n, st := range w.Statuses {
		if _, dup := ids[st.Status]; dup {
			tf.Add(fmt.Sprintf("statuses[%d].status", n), fmt.Sprintf("%s is used twice", st.Status))
		}
		ids[st.Status] = n
	}
	for n := range w.Statuses {
		st := &w.Statuses[n]
		at := func(f string) string { return fmt.Sprintf("statuses[%d].%s", n, f) }
		if !ValidStatusID(st.Status) {
			tf.Add(at("status"), "must be 1-32 lower-case letters, digits or _, starting with a letter")
		}
		tf.Clean(at("name"), &st.Name, text.Line)
		if c := utf8.RuneCountInString(st.Name); c == 0 || c > MaxStatusName {
			tf.Add(at("name"), fmt.Sprintf("must be 1-%d characters", MaxStatusName))
		} else if prev, dup := names[LabelNameKey(st.Name)]; dup {
			tf.Add(at("name"), fmt.Sprintf("is the name of statuses[%d] (names are compared ignoring case)", prev))
		} else {
			names[LabelNameKey(st.Name)] = n
		}
		if !slices.Contains(Categories, st.Category) {
			tf.Add(at("category"), fmt.Sprintf("must be one of %v", Categories))
		}
		if !colorRE.Regexp().MatchString(st.Color) {
			tf.Add(at("color"), "must be a hex colour #rrggbb")
		}
		for k, to := range st.Next {
			if _, ok := ids[to]; !ok || to == st.Status {
				tf.Add(fmt.Sprintf("statuses[%d].next[%d]", n, k), fmt.Sprintf("%q is not another status of this workflow", to))
			}
		}
	}
	for _, c := range RequiredCategories {
		if !slices.ContainsFunc(w.Statuses, func(st WorkflowStatus) bool { return st.Category == c }) {
			tf.Add("statuses", fmt.Sprintf("needs at least one %s status", c))
		}
	}
	if err := tf.Err(); err != nil {
		return err
	}
	return nil
}

// Transition moves the issue along the default workflow (an issue of a
// project without a stored workflow); see TransitionIn.
func (i *Issue) Transition(to Status, now time.Time) ([]Change, error) {
	return i.TransitionIn(defaultWorkflow, to, now)
}

// TransitionIn moves the issue to status to of workflow w at time now,
// maintaining the category and the started / resolved / closed timestamps.
// It returns the field changes, or a 422 naming "to" when to is not a
// status of w or w forbids the move.
func (i *Issue) TransitionIn(w Workflow, to Status, now time.Time) ([]Change, error) {
	st, err := w.Enterable("to", to)
	if err != nil {
		return nil, err
	}
	cur, _ := w.Status(i.Status)
	if !slices.Contains(cur.Next, to) {
		e := errs.E(errs.KindUnprocessable, "transition_forbidden", "cannot move from %s to %s (allowed: %v)", i.Status, to, cur.Next)
		e.Fields = []errs.FieldError{{Field: "to", Reason: fmt.Sprintf("not allowed from %s", i.Status)}}
		return nil, e
	}
	return i.setStatus(to, st.Category, now), nil
}

// setStatus puts the issue in status to of category c, whatever the graph
// says (transitions check it first; a status deletion maps issues), and
// keeps the timestamps: started when work first starts, resolved and
// closed on completion, closed (not resolved) on cancellation, both
// cleared on reopening.
func (i *Issue) setStatus(to Status, c Category, now time.Time) []Change {
	changes := []Change{{Field: "status", From: i.Status, To: to}}
	from := i.Category
	i.Status, i.Category = to, c
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
	case Canceled:
		i.ResolvedAt, i.ClosedAt = nil, &t
		changes = append(changes, Change{Field: "closed_at", From: nil, To: t})
	case Unstarted:
		if i.ClosedAt != nil { // reopen: the history keeps the old close
			changes = append(changes, Change{Field: "closed_at", From: *i.ClosedAt, To: nil})
			i.ResolvedAt, i.ClosedAt = nil, nil
		}
	}
	return changes
}
