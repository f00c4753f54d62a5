package view

import (
	"context"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// MaxExport bounds the issues of one export call (10 list pages of 100);
// a larger view is exported in several calls, each continuing at the
// cursor the previous one answered.
const MaxExport = 1000

// Export is one slice of a view's issues, ready to be written as CSV or
// JSON: the view's columns and, per issue, the values of those columns
// (label names, not ids).
type Export struct {
	View       View       `json:"view"`
	Columns    []string   `json:"columns"`
	Rows       [][]string `json:"-"`
	Issues     []Issue    `json:"-"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// Issue is the issue type of an export (issue.Issue).
type Issue = issue.Issue

// Export reads up to MaxExport issues of the view from cursor on, in the
// view's order.
func (s *Service) Export(ctx context.Context, p tenancy.Principal, id, cursor string) (Export, error) {
	v, err := s.Get(ctx, p, id)
	if err != nil {
		return Export{}, err
	}
	q, err := s.Parse(v.Query(), p)
	if err != nil {
		return Export{}, err
	}
	labels, err := s.Tracker.Labels(ctx, p)
	if err != nil {
		return Export{}, err
	}
	names := map[string]string{}
	for _, l := range labels {
		names[l.ID] = l.Name
	}
	out := Export{View: v, Columns: v.Columns}
	q.Cursor, q.Limit = cursor, list.MaxLimit
	for len(out.Issues) < MaxExport {
		pg, err := s.Tracker.List(ctx, p, q)
		if err != nil {
			return Export{}, err
		}
		out.Issues = append(out.Issues, pg.Items...)
		if q.Cursor = pg.NextCursor; q.Cursor == "" {
			break
		}
	}
	out.NextCursor = q.Cursor
	for _, i := range out.Issues {
		out.Rows = append(out.Rows, row(i, v.Columns, names))
	}
	return out, nil
}

// row is the issue's values of the columns.
func row(i issue.Issue, cols []string, labelNames map[string]string) []string {
	out := make([]string, len(cols))
	for n, c := range cols {
		switch c {
		case "key":
			out[n] = i.Key
		case "title":
			out[n] = i.Title
		case "status":
			out[n] = string(i.Status)
		case "category":
			out[n] = string(i.Category)
		case "priority":
			out[n] = string(i.Priority)
		case "type":
			out[n] = string(i.Type)
		case "assignee":
			out[n] = i.AssigneeID
		case "team":
			out[n] = i.TeamID
		case "labels":
			ls := make([]string, len(i.Labels))
			for k, id := range i.Labels {
				ls[k] = labelNames[id]
			}
			out[n] = strings.Join(ls, ", ")
		case "due_date":
			out[n] = i.DueDate
		case "created_at":
			out[n] = i.CreatedAt.UTC().Format(time.RFC3339)
		case "updated_at":
			out[n] = i.UpdatedAt.UTC().Format(time.RFC3339)
		case "reporter":
			out[n] = i.ReporterID
		}
	}
	return out
}
