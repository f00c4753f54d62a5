package issueapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/text"
)

// values reads a parameter given repeated and/or comma-separated.
func values(q url.Values, k string) []string {
	var out []string
	for _, v := range q[k] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func enumParam[T ~string](q url.Values, k string, valid []T) ([]T, error) {
	var out []T
	for _, v := range values(q, k) {
		if !slices.Contains(valid, T(v)) {
			return nil, errs.Field(k, fmt.Sprintf("%q is not one of %v", v, valid))
		}
		out = append(out, T(v))
	}
	return out, nil
}

// parseFilter reads the filter parameters; "me" and "none" are assignee
// shorthands for the caller and for unassigned issues, "mine" a team
// shorthand for the caller's teams (issue.MyTeams, resolved by the service).
func parseFilter(q url.Values, p tenancy.Principal) (issue.Filter, error) {
	var f issue.Filter
	for _, step := range []func(url.Values, *issue.Filter) error{
		enums, assignees(p), ids, dueDates, overdue, timestamps, customFields,
	} {
		if err := step(q, &f); err != nil {
			return f, err
		}
	}
	return f, nil
}

// enums reads status, category, priority and type.
func enums(q url.Values, f *issue.Filter) error {
	var err error
	for _, v := range values(q, "status") { // statuses are data of each project's workflow
		if !issue.ValidStatusID(issue.Status(v)) {
			return errs.Field("status", fmt.Sprintf("%q is not a status id (open, in_progress, ...)", v))
		}
		f.Statuses = append(f.Statuses, issue.Status(v))
	}
	if f.Categories, err = enumParam(q, "category", issue.Categories); err != nil {
		return err
	}
	if f.Priorities, err = enumParam(q, "priority", issue.Priorities); err != nil {
		return err
	}
	f.Types, err = enumParam(q, "type", issue.Types)
	return err
}

// assignees reads assignee: user ids, "me" (p) or "none".
func assignees(p tenancy.Principal) func(url.Values, *issue.Filter) error {
	return func(q url.Values, f *issue.Filter) error {
		for _, a := range values(q, "assignee") {
			switch a {
			case "me":
				a = p.UserID
			case "none":
				a = issue.NoAssignee
			default:
				if !issue.ValidID(a) {
					return errs.Field("assignee", "must be a user id, me or none")
				}
			}
			f.Assignees = append(f.Assignees, a)
		}
		return nil
	}
}

// ids reads team (ids or "mine"), label (ids or names), project (ids or
// keys), parent (issue ids or keys) and cycle (cycle ids).
func ids(q url.Values, f *issue.Filter) error {
	for _, k := range []struct {
		name string
		dst  *[]string
	}{{"team", &f.Teams}, {"label", &f.Labels}, {"project", &f.Projects}, {"parent", &f.Parents}, {"cycle", &f.Cycles}} {
		for _, v := range values(q, k.name) {
			if k.name == "team" && v == "mine" {
				v = issue.MyTeams
			} else if k.name == "label" {
				// a label id or name (the service resolves names)
				if text.Problem(v, text.Line) != "" {
					return errs.Field("label", "is not a valid label id or name")
				}
			} else if !issue.ValidID(v) {
				return errs.Field(k.name, "is not a valid id")
			}
			*k.dst = append(*k.dst, v)
		}
	}
	return nil
}

// dueDates reads due_before and due_after (calendar dates).
func dueDates(q url.Values, f *issue.Filter) error {
	for _, k := range []struct {
		name string
		dst  *string
	}{{"due_before", &f.DueBefore}, {"due_after", &f.DueAfter}} {
		if v := q.Get(k.name); v != "" {
			if _, err := time.Parse(issue.DateLayout, v); err != nil {
				return errs.Field(k.name, "must be a date YYYY-MM-DD")
			}
			*k.dst = v
		}
	}
	return nil
}

// overdue reads overdue (true or false).
func overdue(q url.Values, f *issue.Filter) error {
	switch q.Get("overdue") {
	case "", "false":
	case "true":
		f.Overdue = true
	default:
		return errs.Field("overdue", "must be true or false")
	}
	return nil
}

// timestamps reads created_after/_before and updated_after/_before.
func timestamps(q url.Values, f *issue.Filter) error {
	for _, k := range []struct {
		name string
		dst  *time.Time
	}{{"created_after", &f.CreatedAfter}, {"created_before", &f.CreatedBefore},
		{"updated_after", &f.UpdatedAfter}, {"updated_before", &f.UpdatedBefore}} {
		if v := q.Get(k.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return errs.Field(k.name, "must be an RFC 3339 timestamp")
			}
			*k.dst = t
		}
	}
	return nil
}

// listOrder reads sort and order: newest, most urgent and soonest due come
// first unless order says otherwise.
func listOrder(q url.Values, lq *issue.ListQuery) error {
	lq.Sort = issue.SortUpdated
	if fs, ok, err := fieldSort(q.Get("sort")); ok {
		lq.Sort = fs
		if err != nil {
			return err
		}
	} else if s := q.Get("sort"); s != "" {
		if !slices.Contains(issue.Sorts, issue.Sort(s)) {
			return errs.Field("sort", "must be one of updated, created, priority, due, field.<custom field id>")
		}
		lq.Sort = issue.Sort(s)
	}
	lq.Desc = lq.Sort != issue.SortDue && !lq.Sort.Field()
	switch q.Get("order") {
	case "":
	case "asc":
		lq.Desc = false
	case "desc":
		lq.Desc = true
	default:
		return errs.Field("order", "must be asc or desc")
	}
	return nil
}

func (d Deps) listIssues(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	req, err := list.Params(q)
	if err != nil {
		return err
	}
	lq := issue.ListQuery{Cursor: req.Cursor, Limit: req.Limit}
	if err := listOrder(q, &lq); err != nil {
		return err
	}
	if lq.Filter, err = parseFilter(q, p); err != nil {
		return err
	}
	pg, err := d.Service.List(r.Context(), p, lq)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, pg)
}

func (d Deps) searchIssues(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	req, err := list.Params(q)
	if err != nil {
		return err
	}
	f, err := parseFilter(q, p)
	if err != nil {
		return err
	}
	pg, err := d.Service.Search(r.Context(), p, issue.SearchQuery{Text: q.Get("q"), Filter: f,
		Limit: req.Limit, Cursor: req.Cursor, Bind: searchBinding(q)})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, pg)
}

// searchBinding is what a search cursor is bound to besides the tenant:
// the words and filters of the request.
func searchBinding(q url.Values) string {
	c := url.Values{}
	for k, v := range q {
		if k != "cursor" && k != "limit" {
			c[k] = v
		}
	}
	return c.Encode()
}

// FilterParams are the names of the issue list's filter parameters (saved
// views hold only these): the query parameters the route table gives GET
// /v1/issues (routes.Route.QueryParams, the one list), but its page (limit,
// cursor), its order (sort, order) and the custom field family (field.*,
// which views hold under view.FieldFilterPrefix).
func FilterParams() []string {
	rt, _ := routes.ByOperation("listIssues")
	var out []string
	for _, k := range rt.QueryParams() {
		if !slices.Contains([]string{"limit", "cursor", "sort", "order"}, k) && !strings.HasSuffix(k, ".*") {
			out = append(out, k)
		}
	}
	return out
}

// ParseListQuery reads an issue list's filter, sort and order as GET
// /v1/issues does (saved views check and apply theirs with it); limit and
// cursor are the caller's.
func ParseListQuery(q url.Values, p tenancy.Principal) (issue.ListQuery, error) {
	var lq issue.ListQuery
	if err := listOrder(q, &lq); err != nil {
		return lq, err
	}
	var err error
	lq.Filter, err = parseFilter(q, p)
	return lq, err
}
