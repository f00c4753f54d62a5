package issueapi

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"golang.org/x/sync/errgroup"
)

// filterParams are the query parameters of the issue filter (list and search).
var filterParams = []string{"status", "category", "assignee", "team", "label", "priority", "type",
	"due_before", "due_after", "overdue", "created_after", "created_before", "updated_after", "updated_before"}

func onlyParams(q url.Values, allowed ...string) error {
	for k := range q {
		if !slices.Contains(allowed, k) {
			return errs.Invalid("unknown_parameter", fmt.Sprintf("unknown query parameter %q", k),
				errs.FieldError{Field: k, Reason: "unknown query parameter"})
		}
	}
	return nil
}

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

// myTeams stands for team=mine until filter resolves it.
const myTeams = "\x00mine"

// filter reads the filter parameters and resolves team=mine to the caller's
// teams (one Query; none at all matches no issue).
func (d Deps) filter(ctx context.Context, q url.Values, p tenancy.Principal) (issue.Filter, error) {
	f, err := parseFilter(q, p, d.now())
	if err != nil || !slices.Contains(f.Teams, myTeams) {
		return f, err
	}
	mine, err := d.Directory.UserTeams(ctx, p.Table, p.TenantID, p.UserID)
	if err != nil {
		return f, err
	}
	teams := slices.DeleteFunc(f.Teams, func(t string) bool { return t == myTeams })
	for _, t := range mine {
		if !slices.Contains(teams, t) {
			teams = append(teams, t)
		}
	}
	if len(teams) == 0 {
		teams = []string{issue.NoTeam}
	}
	f.Teams = teams
	return f, nil
}

// parseFilter reads the filter parameters; "me" and "none" are assignee
// shorthands for the caller and for unassigned issues, "mine" a team
// shorthand for the caller's teams (resolved by Deps.filter).
func parseFilter(q url.Values, p tenancy.Principal, now time.Time) (issue.Filter, error) {
	f := issue.Filter{Today: now.Format(issue.DateLayout)}
	var err error
	if f.Statuses, err = enumParam(q, "status", issue.Statuses); err != nil {
		return f, err
	}
	if f.Categories, err = enumParam(q, "category", issue.Categories); err != nil {
		return f, err
	}
	if f.Priorities, err = enumParam(q, "priority", issue.Priorities); err != nil {
		return f, err
	}
	if f.Types, err = enumParam(q, "type", issue.Types); err != nil {
		return f, err
	}
	for _, a := range values(q, "assignee") {
		switch a {
		case "me":
			a = p.UserID
		case "none":
			a = issue.NoAssignee
		default:
			if !issue.ValidID(a) {
				return f, errs.Field("assignee", "must be a user id, me or none")
			}
		}
		f.Assignees = append(f.Assignees, a)
	}
	for _, k := range []struct {
		name string
		dst  *[]string
	}{{"team", &f.Teams}, {"label", &f.Labels}} {
		for _, v := range values(q, k.name) {
			if k.name == "team" && v == "mine" {
				v = myTeams
			} else if !issue.ValidID(v) {
				return f, errs.Field(k.name, "is not a valid id")
			}
			*k.dst = append(*k.dst, v)
		}
	}
	for _, k := range []struct {
		name string
		dst  *string
	}{{"due_before", &f.DueBefore}, {"due_after", &f.DueAfter}} {
		if v := q.Get(k.name); v != "" {
			if _, err := time.Parse(issue.DateLayout, v); err != nil {
				return f, errs.Field(k.name, "must be a date YYYY-MM-DD")
			}
			*k.dst = v
		}
	}
	switch q.Get("overdue") {
	case "", "false":
	case "true":
		f.Overdue = true
	default:
		return f, errs.Field("overdue", "must be true or false")
	}
	for _, k := range []struct {
		name string
		dst  *time.Time
	}{{"created_after", &f.CreatedAfter}, {"created_before", &f.CreatedBefore},
		{"updated_after", &f.UpdatedAfter}, {"updated_before", &f.UpdatedBefore}} {
		if v := q.Get(k.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, errs.Field(k.name, "must be an RFC 3339 timestamp")
			}
			*k.dst = t
		}
	}
	return f, nil
}

func (d Deps) listIssues(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	req, err := list.Params(q, append(filterParams, "sort", "order")...)
	if err != nil {
		return err
	}
	lq := issuedb.ListQuery{Sort: issue.SortUpdated, Cursor: req.Cursor, Limit: req.Limit}
	if s := q.Get("sort"); s != "" {
		if !slices.Contains(issue.Sorts, issue.Sort(s)) {
			return errs.Field("sort", "must be one of updated, created, priority, due")
		}
		lq.Sort = issue.Sort(s)
	}
	// Newest, most urgent and soonest due come first unless order says otherwise.
	lq.Desc = lq.Sort != issue.SortDue
	switch q.Get("order") {
	case "":
	case "asc":
		lq.Desc = false
	case "desc":
		lq.Desc = true
	default:
		return errs.Field("order", "must be asc or desc")
	}
	if lq.Filter, err = d.filter(r.Context(), q, p); err != nil {
		return err
	}
	items, next, err := d.Store.List(r.Context(), p.Table, p.TenantID, lq)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, list.NewPage(items, next))
}

// Hit is a search result.
type Hit struct {
	Score int         `json:"score"`
	Issue issue.Issue `json:"issue"`
}

// maxCandidates bounds the issues one search reads (top-ranked first).
const maxCandidates = 200

// searchCursor is a search position; its scope binds it to the tenant,
// the words and the filters.
type searchCursor struct {
	Offset int `json:"o"`
}

// searchIssues answers q (every word must match, by prefix, in the title,
// description or a comment) with the list filters, best score first. Each
// word is one Query of the inverted index; the candidates are read with
// BatchGetItem: cost grows with the matches, not the tenant's issues.
func (d Deps) searchIssues(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	req, err := list.Params(q, append(filterParams, "q")...)
	if err != nil {
		return err
	}
	limit := req.Limit
	f, err := d.filter(r.Context(), q, p)
	if err != nil {
		return err
	}
	words := issue.Dedup(issue.Words(q.Get("q")))
	switch {
	case len(q.Get("q")) > 200:
		return errs.Field("q", "is longer than 200 characters")
	case len(words) == 0:
		return errs.Field("q", fmt.Sprintf("needs a word of at least %d letters or digits", issue.MinTermLen))
	case len(words) > issue.MaxQueryWords:
		return errs.Field("q", fmt.Sprintf("at most %d words", issue.MaxQueryWords))
	}
	scope := searchScope(p.TenantID, q)
	offset := 0
	if req.Cursor != "" {
		var sc searchCursor
		if err := d.Store.Cursors.Decode(r.Context(), scope, req.Cursor, &sc); err != nil {
			return err
		}
		if sc.Offset < 0 || sc.Offset > maxCandidates {
			return errs.Invalid("invalid_cursor", "the cursor is damaged", errs.FieldError{Field: "cursor", Reason: "damaged"})
		}
		offset = sc.Offset
	}

	perWord := make([]map[string]int, len(words))
	g, ctx := errgroup.WithContext(r.Context())
	for n, word := range words {
		g.Go(func() error {
			hits, _, err := d.Store.WordHits(ctx, p.Table, p.TenantID, word)
			perWord[n] = hits
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	scores := perWord[0]
	for _, m := range perWord[1:] {
		for id, s := range scores {
			if m[id] == 0 {
				delete(scores, id)
			} else {
				scores[id] = s + m[id]
			}
		}
	}
	ids := make([]string, 0, len(scores))
	for id := range scores {
		ids = append(ids, id)
	}
	// Best score first; among equals the newest issue (ULIDs sort by time).
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(scores[b]-scores[a], strings.Compare(b, a)) })
	if len(ids) > maxCandidates {
		ids = ids[:maxCandidates]
	}
	found, err := d.Store.GetMany(r.Context(), p.Table, p.TenantID, ids)
	if err != nil {
		return err
	}
	var hits []Hit
	for _, id := range ids {
		if i, ok := found[id]; ok && f.Match(i) {
			hits = append(hits, Hit{Score: scores[id], Issue: i})
		}
	}
	var next string
	if offset > len(hits) {
		offset = len(hits)
	}
	end := min(offset+limit, len(hits))
	if end < len(hits) {
		if next, err = d.Store.Cursors.Encode(r.Context(), scope, searchCursor{Offset: end}); err != nil {
			return err
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, list.NewPage(hits[offset:end], next))
}

// searchScope binds a search cursor to the tenant, the words and filters.
func searchScope(tenant string, q url.Values) string {
	c := url.Values{}
	for k, v := range q {
		if k != "cursor" && k != "limit" {
			c[k] = v
		}
	}
	return list.Scope("search", tenant, c.Encode())
}
