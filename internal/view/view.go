// Package view is the saved-views domain: a named filter, sort, grouping
// and set of columns over the issue list, private to its owner or shared
// with the tenant. Applying a view is listing issues with its filter, so a
// view can select exactly what GET /v1/issues can, no more. It knows
// nothing of DynamoDB or HTTP; viewdb stores it and viewapi serves it.
package view

import (
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/text"
)

// Limits on views.
const (
	MaxName        = 80  // runes
	MaxPrivate     = 100 // private views of one user
	MaxShared      = 200 // shared views of a tenant
	MaxFilterValue = 1000
	DefaultSort    = "updated"
)

// Visibility says who sees a view.
type Visibility string

const (
	Private Visibility = "private" // its owner only
	Shared  Visibility = "shared"  // every member of the tenant
)

// Visibilities lists them.
var Visibilities = []Visibility{Private, Shared}

// Groupings a view may group its issues by (the web app draws the groups).
var Groupings = []string{"none", "status", "category", "assignee", "team", "priority", "type", "label"}

// Columns a view may show, in the order given.
var Columns = []string{"key", "title", "status", "category", "priority", "type", "assignee", "team", "labels",
	"due_date", "created_at", "updated_at", "reporter"}

// DefaultColumns are a new view's columns when none are given.
var DefaultColumns = []string{"key", "title", "status", "priority", "assignee", "updated_at"}

// View is a saved issue list.
type View struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	OwnerID    string     `json:"owner_id"`
	Visibility Visibility `json:"visibility"`
	// Filter holds the issue list's filter parameters as GET /v1/issues
	// takes them, values comma-separated: {"status": "open,in_progress",
	// "assignee": "me", "label": "<label id>", "project": "WEB",
	// "field.<id>": "S1,S2"}. "me" and "mine" stand for whoever applies the
	// view; label names are stored as ids; a custom field filter (and sort
	// field.<id>) must name a field of the projects the filter names.
	Filter    map[string]string `json:"filter"`
	Sort      string            `json:"sort"`            // updated, created, priority, due, field.<id>
	Order     string            `json:"order,omitempty"` // asc or desc (default: the sort's)
	GroupBy   string            `json:"group_by"`
	Columns   []string          `json:"columns"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Input creates a view or (merge patch: absent fields are kept) changes one.
type Input struct {
	Name       *string            `json:"name"`
	Visibility *Visibility        `json:"visibility"`
	Filter     *map[string]string `json:"filter"`
	Sort       *string            `json:"sort"`
	Order      *string            `json:"order"`
	GroupBy    *string            `json:"group_by"`
	Columns    *[]string          `json:"columns"`
}

// apply copies the input's fields onto v and checks the parts a view
// owns (name, visibility, grouping, columns); the filter and sort are
// checked by the issue list's own parser (Service.check).
func (in Input) apply(v *View) error {
	var tf text.Fields
	if in.Name != nil {
		n := *in.Name
		if tf.Clean("name", &n, text.Line); !tf.Has("name") {
			if c := utf8.RuneCountInString(n); c == 0 || c > MaxName {
				tf.Add("name", fmt.Sprintf("must be 1 to %d characters", MaxName))
			}
		}
		v.Name = n
	}
	if in.Visibility != nil {
		if !slices.Contains(Visibilities, *in.Visibility) {
			tf.Add("visibility", "must be private or shared")
		}
		v.Visibility = *in.Visibility
	}
	if in.Filter != nil {
		v.Filter = *in.Filter
	}
	if in.Sort != nil {
		v.Sort = *in.Sort
	}
	if in.Order != nil {
		v.Order = *in.Order
	}
	if in.GroupBy != nil {
		if !slices.Contains(Groupings, *in.GroupBy) {
			tf.Add("group_by", fmt.Sprintf("must be one of %v", Groupings))
		}
		v.GroupBy = *in.GroupBy
	}
	if in.Columns != nil {
		cols := *in.Columns
		if len(cols) == 0 || len(cols) > len(Columns) {
			tf.Add("columns", fmt.Sprintf("1 to %d columns", len(Columns)))
		}
		for _, c := range cols {
			if !slices.Contains(Columns, c) {
				tf.Add("columns", fmt.Sprintf("%q is not one of %v", c, Columns))
				break
			}
			if n := slices.Index(cols, c); slices.Index(cols[n+1:], c) >= 0 {
				tf.Add("columns", fmt.Sprintf("%q is repeated", c))
				break
			}
		}
		v.Columns = slices.Clone(cols)
	}
	if err := tf.Err(); err != nil {
		return unprocessable(err)
	}
	return nil
}

// unprocessable turns an input error into a 422: the body was well-formed
// JSON, its content is not a view. Text the platform refuses everywhere
// (control or directional formatting characters: text.Code) stays the 400
// invalid_text every other domain answers.
func unprocessable(err error) error {
	e := errs.As(err)
	if e.Kind != errs.KindInvalid || e.Code == text.Code {
		return err
	}
	return &errs.Error{Kind: errs.KindUnprocessable, Code: "invalid_view", Message: e.Message, Fields: e.Fields}
}
