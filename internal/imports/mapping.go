package imports

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/issue"
)

// headerFields maps export column names (lower-cased, spaces collapsed) of
// Jira, Linear and this tracker to issue fields.
var headerFields = map[string]string{
	"summary": "title", "title": "title",
	"description": "description",
	"status":      "status", "state": "status",
	"priority":       "priority",
	"assignee email": "assignee", "assignee e-mail": "assignee", "assignee": "assignee", "assignee_email": "assignee",
	"labels": "labels", "label": "labels", "tags": "labels",
	"issue type": "type", "issuetype": "type", "type": "type",
	"issue key": "key", "key": "key", "id": "key", "identifier": "key",
	"due date": "due_date", "due_date": "due_date", "due": "due_date", "duedate": "due_date",
}

// statusOf maps status names of Jira and Linear workflows (lower-cased).
var statusOf = map[string]issue.Status{
	"open": issue.Open, "to do": issue.Open, "todo": issue.Open, "backlog": issue.Open, "triage": issue.Open,
	"new": issue.Open, "selected for development": issue.Open, "unstarted": issue.Open, "reopened": issue.Open,
	"in progress": issue.InProgress, "in_progress": issue.InProgress, "in development": issue.InProgress,
	"started": issue.InProgress, "doing": issue.InProgress,
	"in review": issue.InReview, "in_review": issue.InReview, "review": issue.InReview, "code review": issue.InReview,
	"in qa": issue.InReview, "qa": issue.InReview,
	"done": issue.Closed, "closed": issue.Closed, "resolved": issue.Closed, "completed": issue.Closed,
	"canceled": issue.Closed, "cancelled": issue.Closed, "won't do": issue.Closed, "duplicate": issue.Closed,
}

// priorityOf maps priority names of Jira and Linear (Linear's CSV may hold
// its numbers: 0 none, 1 urgent, 2 high, 3 medium, 4 low).
var priorityOf = map[string]issue.Priority{
	"": issue.PriorityNone, "none": issue.PriorityNone, "no priority": issue.PriorityNone, "0": issue.PriorityNone,
	"highest": issue.PriorityUrgent, "blocker": issue.PriorityUrgent, "urgent": issue.PriorityUrgent, "1": issue.PriorityUrgent,
	"high": issue.PriorityHigh, "critical": issue.PriorityHigh, "major": issue.PriorityHigh, "2": issue.PriorityHigh,
	"medium": issue.PriorityMedium, "normal": issue.PriorityMedium, "3": issue.PriorityMedium,
	"low": issue.PriorityLow, "lowest": issue.PriorityLow, "minor": issue.PriorityLow, "trivial": issue.PriorityLow, "4": issue.PriorityLow,
}

// typeOf maps issue types of Jira and Linear.
var typeOf = map[string]issue.Type{
	"": issue.Task, "bug": issue.Bug, "defect": issue.Bug,
	"feature": issue.Feature, "new feature": issue.Feature, "story": issue.Feature, "improvement": issue.Feature, "epic": issue.Feature,
	"task": issue.Task, "sub-task": issue.Task, "subtask": issue.Task, "chore": issue.Task,
}

// dateLayouts are the due-date forms of Jira and Linear exports.
var dateLayouts = []string{issue.DateLayout, time.RFC3339, "2006-01-02 15:04", "02/Jan/06 3:04 PM", "02/Jan/06", "1/2/2006", "2006/01/02"}

var spaces = regexp.MustCompile(`\s+`)

func norm(s string) string {
	return strings.ToLower(spaces.ReplaceAllString(strings.TrimSpace(s), " "))
}

// columns is the file's header mapped: the column indexes of each field
// (Jira repeats Labels), the file columns each maps and those ignored.
type columns struct {
	idx     map[string][]int
	mapped  map[string]string
	ignored []string
}

func mapHeader(h []string) (columns, error) {
	c := columns{idx: map[string][]int{}, mapped: map[string]string{}, ignored: []string{}}
	for n, name := range h {
		name = strings.TrimPrefix(name, "\ufeff") // a spreadsheet's byte order mark
		f, ok := headerFields[norm(name)]
		if !ok {
			c.ignored = append(c.ignored, name)
			continue
		}
		if f != "labels" && len(c.idx[f]) > 0 {
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
	problems []RowError
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
	d := draft{row: row, key: c.get(rec, "key")}
	bad := func(field, reason string) {
		d.problems = append(d.problems, RowError{Row: row, Key: d.key, Field: field, Reason: reason})
	}
	d.in.Title = c.get(rec, "title")
	d.in.Description = c.get(rec, "description")
	if v := c.get(rec, "status"); v != "" {
		s, ok := statusOf[norm(v)]
		if !ok {
			bad("status", fmt.Sprintf("unknown status %q", v))
		}
		d.status = s
	}
	p, ok := priorityOf[norm(c.get(rec, "priority"))]
	if !ok {
		bad("priority", fmt.Sprintf("unknown priority %q", c.get(rec, "priority")))
	}
	d.in.Priority = p
	t, ok := typeOf[norm(c.get(rec, "type"))]
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
func parse(file []byte) (columns, []draft, error) {
	r := csv.NewReader(bytes.NewReader(file))
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return columns{}, nil, fmt.Errorf("the header row cannot be read: %w", err)
	}
	cols, err := mapHeader(head)
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
