package issue

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// Opt is a JSON merge-patch field: absent, null, or a value.
type Opt[T any] struct {
	Set  bool
	Null bool
	V    T
}

// UnmarshalJSON records presence and null.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.V)
}

// Patch is an RFC 7396 merge patch of an issue. Status changes go through
// transitions, so status is not patchable.
type Patch struct {
	Title       Opt[string]   `json:"title"`
	Description Opt[string]   `json:"description"`
	Type        Opt[Type]     `json:"type"`
	Priority    Opt[Priority] `json:"priority"`
	AssigneeID  Opt[string]   `json:"assignee_id"`
	TeamID      Opt[string]   `json:"team_id"`
	Labels      Opt[[]string] `json:"labels"`
	DueDate     Opt[string]   `json:"due_date"`
	ParentID    Opt[string]   `json:"parent_id"` // id or key; null: no longer a sub-issue
	Status      Opt[string]   `json:"status"`
	Estimate    Opt[int]      `json:"estimate" invalid:"invalid_estimate"` // null: not estimated
	CycleID     Opt[string]   `json:"cycle_id"`                            // null: out of its cycle
	// Fields merges custom field values by id: null removes one.
	Fields Opt[map[string]any] `json:"fields" invalid:"invalid_field_value"`
}

// Apply applies p to i and returns the changes. Nulls clear optional fields;
// a null for a required one is a 400 naming it.
func (p Patch) Apply(i *Issue, now time.Time) ([]Change, error) {
	if p.Status.Set {
		return nil, errs.Field("status", "change the status with POST /v1/issues/{issueId}/transitions")
	}
	var ch []Change
	str := func(name string, o Opt[string], dst *string, required bool) error {
		if !o.Set {
			return nil
		}
		if o.Null && required {
			return errs.Field(name, "may not be null")
		}
		if *dst != o.V {
			ch = append(ch, Change{Field: name, From: *dst, To: o.V})
			*dst = o.V
		}
		return nil
	}
	for _, f := range []struct {
		name string
		o    Opt[string]
		dst  *string
		req  bool
	}{
		{"title", p.Title, &i.Title, true},
		{"description", p.Description, &i.Description, false},
		{"type", Opt[string]{p.Type.Set, p.Type.Null, string(p.Type.V)}, (*string)(&i.Type), true},
		{"priority", Opt[string]{p.Priority.Set, p.Priority.Null, string(p.Priority.V)}, (*string)(&i.Priority), true},
		{"assignee_id", p.AssigneeID, &i.AssigneeID, false},
		{"team_id", p.TeamID, &i.TeamID, false},
		{"due_date", p.DueDate, &i.DueDate, false},
		{"parent_id", p.ParentID, &i.ParentID, false},
		{"cycle_id", p.CycleID, &i.CycleID, false},
	} {
		if err := str(f.name, f.o, f.dst, f.req); err != nil {
			return nil, err
		}
	}
	ch = append(ch, p.applyEstimate(i)...)
	ch = append(ch, p.applyFields(i)...)
	if p.Labels.Set {
		l := Dedup(p.Labels.V)
		if !slices.Equal(l, i.Labels) {
			ch = append(ch, Change{Field: "labels", From: i.Labels, To: l})
			i.Labels = l
		}
	}
	// Assigning a user clears the team and vice versa, unless both were sent.
	if p.AssigneeID.Set && !p.AssigneeID.Null && !p.TeamID.Set && i.TeamID != "" {
		ch = append(ch, Change{Field: "team_id", From: i.TeamID, To: ""})
		i.TeamID = ""
	}
	if p.TeamID.Set && !p.TeamID.Null && !p.AssigneeID.Set && i.AssigneeID != "" {
		ch = append(ch, Change{Field: "assignee_id", From: i.AssigneeID, To: ""})
		i.AssigneeID = ""
	}
	if err := i.Validate(); err != nil {
		return nil, err
	}
	return ch, nil
}

// Dedup returns l without repeats, keeping order; never nil.
func Dedup(l []string) []string {
	out := []string{}
	for _, s := range l {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Label is an entry of the tenant's label catalog.
type Label struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Color     string    `json:"color"` // #rrggbb
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Comment is a markdown comment on an issue; ParentID threads replies.
type Comment struct {
	ID       string `json:"id"`
	IssueID  string `json:"issue_id"`
	ParentID string `json:"parent_id,omitempty"`
	AuthorID string `json:"author_id"`
	Body     string `json:"body"`
	// Mentions are the users the body mentions, resolved when it was written.
	Mentions  []Mention  `json:"mentions"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	EditedAt  *time.Time `json:"edited_at,omitempty"`
	DeletedAt *time.Time `json:"deleted_at,omitempty"` // a tombstone keeps its replies threaded
}
