package issue

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/text"
)

// Custom fields: a project's Admins define fields (package customfield);
// an issue carries values for its project's fields in Fields, keyed by
// field id. The value rules live here, beside the issue they apply to, so
// the write path (checkFields) and the list filter agree.

// FieldType is a custom field's type.
type FieldType string

const (
	FieldText        FieldType = "text"         // a line of text, ≤ MaxFieldText characters
	FieldNumber      FieldType = "number"       // a finite number
	FieldDate        FieldType = "date"         // YYYY-MM-DD
	FieldSelect      FieldType = "select"       // one of the options
	FieldMultiSelect FieldType = "multi_select" // some of the options
	FieldUser        FieldType = "user"         // a user of the workspace
)

// FieldTypes lists the types.
var FieldTypes = []FieldType{FieldText, FieldNumber, FieldDate, FieldSelect, FieldMultiSelect, FieldUser}

// Limits of custom field values.
const (
	MaxFieldText    = 1000
	MaxFieldChoices = 20 // options chosen in one multi_select value
)

// FieldDef is a custom field of a project.
type FieldDef struct {
	ID        string    `json:"id"`
	ProjectID string    `json:"project_id"`
	Name      string    `json:"name"`
	Type      FieldType `json:"type"`
	// Options are the choices of a select or multi_select field.
	Options   []string  `json:"options,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"version"`
}

// FieldDefs finds a project's custom fields (customfield.Service).
type FieldDefs interface {
	ProjectFields(ctx context.Context, p tenancy.Principal, projectID string) ([]FieldDef, error)
}

// Normalize checks a JSON value against the field's type and returns it
// as stored (text cleaned, options deduplicated in option order), or the
// reason it is refused.
func (d FieldDef) Normalize(v any) (any, string) {
	switch d.Type {
	case FieldText:
		s, ok := v.(string)
		if !ok {
			return nil, "must be a string"
		}
		if err := text.Clean("", &s, text.Line); err != nil {
			return nil, "must be a line of text without control characters"
		}
		if utf8.RuneCountInString(s) > MaxFieldText {
			return nil, fmt.Sprintf("is longer than %d characters", MaxFieldText)
		}
		return s, ""
	case FieldNumber:
		f, ok := v.(float64)
		if !ok || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, "must be a number"
		}
		return f, ""
	case FieldDate:
		s, ok := v.(string)
		if _, err := time.Parse(DateLayout, s); !ok || err != nil {
			return nil, "must be a date YYYY-MM-DD"
		}
		return s, ""
	case FieldSelect, FieldUser:
		s, ok := v.(string)
		if !ok {
			return nil, "must be a string"
		}
		if d.Type == FieldUser && !ValidID(s) {
			return nil, "must be a user id"
		}
		if d.Type == FieldSelect && !slices.Contains(d.Options, s) {
			return nil, fmt.Sprintf("must be one of %s", strings.Join(d.Options, ", "))
		}
		return s, ""
	case FieldMultiSelect:
		xs, ok := v.([]any)
		if !ok {
			return nil, "must be an array of options"
		}
		if len(xs) > MaxFieldChoices {
			return nil, fmt.Sprintf("at most %d options", MaxFieldChoices)
		}
		var out []string
		for _, o := range d.Options {
			if slices.Contains(xs, any(o)) {
				out = append(out, o)
			}
		}
		for _, x := range xs {
			if s, ok := x.(string); !ok || !slices.Contains(d.Options, s) {
				return nil, fmt.Sprintf("%v is not one of %s", x, strings.Join(d.Options, ", "))
			}
		}
		if out == nil {
			out = []string{}
		}
		return out, ""
	}
	return nil, "has an unknown type"
}

// checkFields validates the custom field values cur changes (or all of
// them when the issue changes project: values of the old project's fields
// are dropped); values of fields deleted since are dropped with it. Errors are 422s naming fields.<id>. The project's fields
// are read only when a value changed.
func (s *Service) checkFields(ctx context.Context, p tenancy.Principal, old Issue, cur *Issue) error {
	moved := old.ID != "" && old.ProjectID != cur.ProjectID
	var changed []string
	for k, v := range cur.Fields {
		if ov, ok := old.Fields[k]; moved || !ok || fmt.Sprint(ov) != fmt.Sprint(v) {
			changed = append(changed, k)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	slices.Sort(changed)
	var defs []FieldDef
	if s.FieldDefs != nil {
		var err error
		if defs, err = s.projectFields(ctx, p, cmpOr(cur.ProjectID, DefaultProjectID)); err != nil {
			return err
		}
	}
	byID := map[string]FieldDef{}
	for _, d := range defs {
		byID[d.ID] = d
	}
	fields := map[string]any{}
	for k, v := range cur.Fields {
		if _, ok := byID[k]; ok || s.FieldDefs == nil || slices.Contains(changed, k) {
			fields[k] = v // a value of a deleted field is dropped with this write
		}
	}
	for _, k := range changed {
		d, ok := byID[k]
		if !ok && moved {
			delete(fields, k)
			continue
		}
		if !ok {
			return unprocessable("unknown_field", "fields."+k, "no such field in the issue's project")
		}
		v, reason := d.Normalize(cur.Fields[k])
		if reason != "" {
			return unprocessable("invalid_field_value", "fields."+k, reason)
		}
		if d.Type == FieldUser {
			if ok, err := s.userExists(ctx, p.Scope(), v.(string)); err != nil {
				return err
			} else if !ok {
				return unprocessable("invalid_field_value", "fields."+k, "no such user in this workspace")
			}
		}
		fields[k] = v
	}
	if len(fields) == 0 {
		fields = nil
	}
	cur.Fields = fields
	return nil
}

// applyFields merges a patch's fields into the issue: a null removes a
// value, others set it (checked by checkFields).
func (p Patch) applyFields(i *Issue) []Change {
	if !p.Fields.Set {
		return nil
	}
	if p.Fields.Null {
		if len(i.Fields) == 0 {
			return nil
		}
		ch := []Change{{Field: "fields", From: i.Fields, To: nil}}
		i.Fields = nil
		return ch
	}
	keys := make([]string, 0, len(p.Fields.V))
	for k := range p.Fields.V {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	next := map[string]any{}
	for k, v := range i.Fields {
		next[k] = v
	}
	var ch []Change
	for _, k := range keys {
		v, had := i.Fields[k]
		switch nv := p.Fields.V[k]; {
		case nv == nil && had:
			delete(next, k)
			ch = append(ch, Change{Field: "fields." + k, From: v, To: nil})
		case nv != nil && (!had || fmt.Sprint(v) != fmt.Sprint(nv)):
			next[k] = nv
			ch = append(ch, Change{Field: "fields." + k, From: v, To: nv})
		}
	}
	if len(next) == 0 {
		next = nil
	}
	i.Fields = next
	return ch
}

// matchFields is true when, for every field filtered, the issue's value
// equals one of the filter's values (numbers compared as numbers, a
// multi_select value matching when it holds any of them).
func matchFieldValues(filter map[string][]string, values map[string]any) bool {
	for id, want := range filter {
		if !slices.ContainsFunc(want, func(w string) bool { return fieldEquals(values[id], w) }) {
			return false
		}
	}
	return true
}

func fieldEquals(v any, w string) bool {
	switch x := v.(type) {
	case nil:
		return w == "none"
	case string:
		return x == w
	case float64:
		f, err := strconv.ParseFloat(w, 64)
		return err == nil && f == x
	case []string:
		return slices.Contains(x, w)
	case []any:
		return slices.Contains(x, any(w))
	}
	return false
}

// FieldSortKey orders values of a custom field: numbers by value, text,
// dates and options as text; an absent value sorts last either way.
func FieldSortKey(v any) (key string, present bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case float64:
		// order-preserving text of a float64
		b := math.Float64bits(x)
		if x < 0 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		return fmt.Sprintf("%016x", b), true
	case string:
		return strings.ToLower(x), true
	case []string:
		return strings.ToLower(strings.Join(x, ",")), true
	case []any:
		return strings.ToLower(fmt.Sprint(x...)), true
	}
	return fmt.Sprint(v), true
}

// CheckFieldRefs checks that the custom fields a list query filters or
// sorts on (field.<id>) are fields of the projects it filters on: fields
// belong to a project, so such a query needs a project filter. A 400
// naming the parameter otherwise (a saved view makes it a 422). One Query
// of fields per project named, and only when a field is used.
func (s *Service) CheckFieldRefs(ctx context.Context, p tenancy.Principal, q ListQuery) error {
	var used []string // parameter names
	for id := range q.Filter.Fields {
		used = append(used, "field."+id)
	}
	slices.Sort(used)
	if q.Sort.Field() {
		used = append(used, "sort")
	}
	if len(used) == 0 {
		return nil
	}
	if len(q.Filter.Projects) == 0 {
		return errs.Field(used[0], "a custom field belongs to a project: filter on its project too")
	}
	projects, err := s.resolveProjects(ctx, p, q.Filter.Projects)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, pid := range projects {
		if s.FieldDefs == nil {
			break
		}
		defs, err := s.projectFields(ctx, p, pid)
		if err != nil {
			return err
		}
		for _, d := range defs {
			known[d.ID] = true
		}
	}
	for _, u := range used {
		id := strings.TrimPrefix(u, "field.")
		if u == "sort" {
			id = strings.TrimPrefix(string(q.Sort), "field.")
		}
		if !known[id] {
			return errs.Field(u, "no such custom field in the projects filtered on")
		}
	}
	return nil
}
