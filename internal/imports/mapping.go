package imports

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"github.com/issuetracker/issuetracker/internal/text"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/issue"
)

// headerFields maps export column names (lower-cased, spaces collapsed) of
// Jira, Linear and this tracker to issue fields.
var headerFields = []named[string]{
	{"summary", "title"},
	{"title", "title"},
	{"description", "description"},
	{"status", "status"},
	{"state", "status"},
	{"priority", "priority"},
	{"assignee email", "assignee"},
	{"assignee e-mail", "assignee"},
	{"assignee", "assignee"},
	{"assignee_email", "assignee"},
	{"labels", "labels"},
	{"label", "labels"},
	{"tags", "labels"},
	{"issue type", "type"},
	{"issuetype", "type"},
	{"type", "type"},
	{"issue key", "key"},
	{"key", "key"},
	{"id", "key"},
	{"identifier", "key"},
	{"due date", "due_date"},
	{"due_date", "due_date"},
	{"due", "due_date"},
	{"duedate", "due_date"},
	{"estimate", "estimate"},
	{"story points", "estimate"},
	{"story point estimate", "estimate"},
	{"points", "estimate"},
	{"sprint", "cycle"},
	{"cycle", "cycle"},
	{"cycle name", "cycle"},
}

// jiraCustom is how Jira's CSV export names a custom field's column.
var jiraCustom = text.Lazy(`^custom field \((.+)\)$`)

// statusOf maps status names of Jira and Linear workflows (lower-cased).
var statusOf = []named[issue.Status]{
	{"open", issue.Open},
	{"to do", issue.Open},
	{"todo", issue.Open},
	{"backlog", issue.Open},
	{"triage", issue.Open},
	{"new", issue.Open},
	{"selected for development", issue.Open},
	{"unstarted", issue.Open},
	{"reopened", issue.Open},
	{"in progress", issue.InProgress},
	{"in_progress", issue.InProgress},
	{"in development", issue.InProgress},
	{"started", issue.InProgress},
	{"doing", issue.InProgress},
	{"in review", issue.InReview},
	{"in_review", issue.InReview},
	{"review", issue.InReview},
	{"code review", issue.InReview},
	{"in qa", issue.InReview},
	{"qa", issue.InReview},
	{"done", issue.Closed},
	{"closed", issue.Closed},
	{"resolved", issue.Closed},
	{"completed", issue.Closed},
	{"canceled", issue.Closed},
	{"cancelled", issue.Closed},
	{"won't do", issue.Closed},
	{"duplicate", issue.Closed},
}

// priorityOf maps priority names of Jira and Linear (Linear's CSV may hold
// its numbers: 0 none, 1 urgent, 2 high, 3 medium, 4 low).
var priorityOf = []named[issue.Priority]{
	{"", issue.PriorityNone},
	{"none", issue.PriorityNone},
	{"no priority", issue.PriorityNone},
	{"0", issue.PriorityNone},
	{"highest", issue.PriorityUrgent},
	{"blocker", issue.PriorityUrgent},
	{"urgent", issue.PriorityUrgent},
	{"1", issue.PriorityUrgent},
	{"high", issue.PriorityHigh},
	{"critical", issue.PriorityHigh},
	{"major", issue.PriorityHigh},
	{"2", issue.PriorityHigh},
	{"medium", issue.PriorityMedium},
	{"normal", issue.PriorityMedium},
	{"3", issue.PriorityMedium},
	{"low", issue.PriorityLow},
	{"lowest", issue.PriorityLow},
	{"minor", issue.PriorityLow},
	{"trivial", issue.PriorityLow},
	{"4", issue.PriorityLow},
}

// typeOf maps issue types of Jira and Linear.
var typeOf = []named[issue.Type]{
	{"", issue.Task},
	{"bug", issue.Bug},
	{"defect", issue.Bug},
	{"feature", issue.Feature},
	{"new feature", issue.Feature},
	{"story", issue.Feature},
	{"improvement", issue.Feature},
	{"epic", issue.Feature},
	{"task", issue.Task},
	{"sub-task", issue.Task},
	{"subtask", issue.Task},
	{"chore", issue.Task},
}

// named is a name of an export and what it maps to. The tables above are
// slices of them, static data, not maps: a map literal is built by the
// package's initialisation in every function that links imports (issue 19).
type named[V ~string] struct {
	name string
	v    V
}

// lookup finds name in table (a linear scan: a few dozen names, read once
// per column or row of an import).
func lookup[V ~string](table []named[V], name string) (V, bool) {
	for _, n := range table {
		if n.name == name {
			return n.v, true
		}
	}
	var zero V
	return zero, false
}

// dateLayouts are the due-date forms of Jira and Linear exports.
var dateLayouts = []string{issue.DateLayout, time.RFC3339, "2006-01-02 15:04", "02/Jan/06 3:04 PM", "02/Jan/06", "1/2/2006", "2006/01/02"}

var spaces = text.Lazy(`\s+`)

func norm(s string) string {
	return strings.ToLower(spaces.Regexp().ReplaceAllString(strings.TrimSpace(s), " "))
}

// columns is the file's header mapped: the column indexes of each field
// (Jira repeats Labels and Sprint), the file columns each maps and those
// ignored. A custom field of the target project is mapped by its name
// (or Jira's "Custom field (Name)"), as fields.<id>.
type columns struct {
	names   []string
	idx     map[string][]int
	mapped  map[string]string
	ignored []string
}

func mapHeader(h []string, defs []issue.FieldDef) (columns, error) {
	c := columns{names: h, idx: map[string][]int{}, mapped: map[string]string{}, ignored: []string{}}
	custom := map[string]string{}
	for _, d := range defs {
		custom[norm(d.Name)] = "fields." + d.ID
	}
	for n, name := range h {
		name = strings.TrimPrefix(name, "\ufeff") // a spreadsheet's byte order mark
		h[n] = name
		f, ok := lookup(headerFields, norm(name))
		if !ok {
			k := norm(name)
			if m := jiraCustom.Regexp().FindStringSubmatch(k); m != nil {
				k = m[1]
			}
			f, ok = custom[k]
		}
		if !ok {
			c.ignored = append(c.ignored, name)
			continue
		}
		if f != "labels" && f != "cycle" && len(c.idx[f]) > 0 {
			c.ignored = append(c.ignored, name)
			continue
		}
		c.idx[f] = append(c.idx[f], n)
		c.mapped[name] = f
	}
	if len(c.idx["title"]) == 0 {
		return c, errors.New("no title column (Summary in Jira, Title in Linear)")
	}
	return c, nil
}

// draft is a row read: what Create will get once the assignee's email and
// the label names are resolved.
type draft struct {
	row      int
	key      string
	in       issue.CreateIssue
	status   issue.Status
	email    string
	labels   []string // names
	estimate string
	cycle    string
	fields   map[string]string // custom field id -> the cell's text
	problems []RowError
}

// column is the file column field f is read from in rec (the first
// non-empty one), for a row error.
func (c columns) column(rec []string, f string) string {
	for _, i := range c.idx[f] {
		if i < len(rec) && strings.TrimSpace(rec[i]) != "" {
			return c.names[i]
		}
	}
	if len(c.idx[f]) > 0 {
		return c.names[c.idx[f][0]]
	}
	return ""
}

func (c columns) get(rec []string, f string) string {
	for _, i := range c.idx[f] {
		if i < len(rec) && strings.TrimSpace(rec[i]) != "" {
			return strings.TrimSpace(rec[i])
		}
	}
	return ""
}

// read maps one record; problems name the fields whose values are not understood.
func (c columns) read(row int, rec []string) draft {
	d := draft{row: row, key: c.get(rec, "key"), estimate: c.get(rec, "estimate"), cycle: c.get(rec, "cycle")}
	bad := func(field, reason string) {
		d.problems = append(d.problems, RowError{Row: row, Key: d.key, Field: field, Column: c.column(rec, field), Reason: reason})
	}
	for f := range c.idx {
		if id, ok := strings.CutPrefix(f, "fields."); ok {
			if v := c.get(rec, f); v != "" {
				if d.fields == nil {
					d.fields = map[string]string{}
				}
				d.fields[id] = v
			}
		}
	}
	d.in.Title = c.get(rec, "title")
	d.in.Description = c.get(rec, "description")
	if v := c.get(rec, "status"); v != "" {
		s, ok := lookup(statusOf, norm(v))
		if !ok {
			bad("status", fmt.Sprintf("unknown status %q", v))
		}
		d.status = s
	}
	p, ok := lookup(priorityOf, norm(c.get(rec, "priority")))
	if !ok {
		bad("priority", fmt.Sprintf("unknown priority %q", c.get(rec, "priority")))
	}
	d.in.Priority = p
	t, ok := lookup(typeOf, norm(c.get(rec, "type")))
	if !ok {
		bad("type", fmt.Sprintf("unknown issue type %q", c.get(rec, "type")))
	}
	d.in.Type = t
	if v := c.get(rec, "assignee"); v != "" {
		if !strings.Contains(v, "@") {
			bad("assignee", fmt.Sprintf("%q is not an email address", v))
		}
		d.email = strings.ToLower(v)
	}
	for _, i := range c.idx["labels"] {
		if i < len(rec) {
			for _, l := range strings.Split(rec[i], ",") {
				if l = strings.TrimSpace(l); l != "" && !slices.Contains(d.labels, l) {
					d.labels = append(d.labels, l)
				}
			}
		}
	}
	if v := c.get(rec, "due_date"); v != "" {
		d.in.DueDate = ""
		for _, l := range dateLayouts {
			if t, err := time.Parse(l, v); err == nil {
				d.in.DueDate = t.Format(issue.DateLayout)
				break
			}
		}
		if d.in.DueDate == "" {
			bad("due_date", fmt.Sprintf("%q is not a date", v))
		}
	}
	return d
}

// parse reads the file: its header mapped, and each data row as a draft
// (a malformed CSV row is a draft with a problem naming the row).
func parse(file []byte, defs []issue.FieldDef) (columns, []draft, error) {
	r := csv.NewReader(bytes.NewReader(file))
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return columns{}, nil, fmt.Errorf("the header row cannot be read: %w", err)
	}
	cols, err := mapHeader(head, defs)
	if err != nil {
		return cols, nil, err
	}
	var out []draft
	for row := 1; ; row++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if row > MaxRows {
			return cols, nil, fmt.Errorf("more than %d rows: split the file", MaxRows)
		}
		if err != nil {
			var pe *csv.ParseError
			reason := err.Error()
			if errors.As(err, &pe) {
				reason = "malformed CSV on line " + strconv.Itoa(pe.StartLine) + ": " + pe.Err.Error()
			}
			out = append(out, draft{row: row, problems: []RowError{{Row: row, Field: "row", Reason: reason}}})
			continue
		}
		out = append(out, cols.read(row, rec))
	}
	return cols, out, nil
}

// plan resolves the row's estimate, cycle and custom field values against
// the target project, as Create will check them: an estimate on the
// project's scale (a number, or a label such as M on the t-shirt scale),
// a cycle of the project by name that is not over, and each field's value
// converted from its cell and validated by the field's type
// (issue.FieldDef.Normalize, the API's rule). users maps emails to ids.
func (d *draft) plan(c columns, t issue.ImportTarget, users map[string]string, now time.Time) {
	bad := func(field, column, reason string) {
		d.problems = append(d.problems, RowError{Row: d.row, Key: d.key, Field: field, Column: column, Reason: reason})
	}
	col := func(f string) string {
		if len(c.idx[f]) > 0 {
			return c.names[c.idx[f][0]]
		}
		return ""
	}
	d.in.ProjectID = t.Project.ID
	if v := d.estimate; v != "" {
		points, ok := estimatePoints(t.Project.EstimateScale, v)
		reason := ""
		if !ok {
			reason = fmt.Sprintf("%q is not a number of points", v)
		} else if reason = issue.CheckEstimate(t.Project.EstimateScale, points); reason == "" {
			d.in.Estimate = &points
		}
		if reason != "" {
			bad("estimate", col("estimate"), reason)
		}
	}
	if v := d.cycle; v != "" {
		var found []issue.CycleRef
		for _, cy := range t.Cycles {
			if norm(cy.Name) == norm(v) {
				found = append(found, cy)
			}
		}
		switch {
		case len(found) == 0:
			bad("cycle", col("cycle"), fmt.Sprintf("no cycle named %q in project %s", v, t.Project.Key))
		case len(found) > 1:
			bad("cycle", col("cycle"), fmt.Sprintf("%d cycles are named %q in project %s", len(found), v, t.Project.Key))
		case !now.Before(found[0].Ends):
			bad("cycle", col("cycle"), fmt.Sprintf("cycle %q is over; plan the issue in a current or future cycle", v))
		default:
			d.in.CycleID = found[0].ID
		}
	}
	ids := make([]string, 0, len(d.fields))
	for id := range d.fields {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		def := issue.FieldDef{}
		for _, f := range t.Fields {
			if f.ID == id {
				def = f
			}
		}
		raw, reason := cellValue(def, d.fields[id], users)
		var v any
		if reason == "" {
			v, reason = def.Normalize(raw)
		}
		if reason != "" {
			bad("fields."+id, col("fields."+id), reason)
			continue
		}
		if xs, ok := v.([]string); ok { // as JSON would give it, for Create to check again
			v = toAny(xs)
		}
		if d.in.Fields == nil {
			d.in.Fields = map[string]any{}
		}
		d.in.Fields[id] = v
	}
}

// estimatePoints reads an estimate cell: a scale's label (XS..XL) or a
// whole number (Jira writes 3.0).
func estimatePoints(scale issue.EstimateScale, v string) (int, bool) {
	for _, sv := range scale.Values() {
		if strings.EqualFold(sv.Label, v) {
			return sv.Points, true
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f != float64(int(f)) {
		return 0, false
	}
	return int(f), true
}

// cellValue is a custom field's cell as the API's JSON value would be: a
// number, a date in any of the import's date forms, an option matched
// without regard to case, options separated by commas, a user by email.
func cellValue(def issue.FieldDef, v string, users map[string]string) (any, string) {
	option := func(o string) any {
		o = strings.TrimSpace(o)
		for _, opt := range def.Options {
			if strings.EqualFold(opt, o) {
				return opt
			}
		}
		return o
	}
	switch def.Type {
	case issue.FieldNumber:
		f, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", ""), 64)
		if err != nil {
			return nil, fmt.Sprintf("%q is not a number", v)
		}
		return f, ""
	case issue.FieldDate:
		for _, l := range dateLayouts {
			if t, err := time.Parse(l, v); err == nil {
				return t.Format(issue.DateLayout), ""
			}
		}
		return nil, fmt.Sprintf("%q is not a date", v)
	case issue.FieldSelect:
		return option(v), ""
	case issue.FieldMultiSelect:
		var out []any
		for _, o := range strings.Split(v, ",") {
			if strings.TrimSpace(o) != "" {
				out = append(out, option(o))
			}
		}
		return out, ""
	case issue.FieldUser:
		id, ok := users[strings.ToLower(v)]
		if !ok {
			return nil, fmt.Sprintf("no user with email %s in this workspace", v)
		}
		return id, ""
	}
	return v, ""
}

func toAny(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
