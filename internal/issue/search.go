package issue

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"golang.org/x/sync/errgroup"
)

// resolve dates the filter (today, for Overdue) and replaces MyTeams with
// the caller's teams (one Query; none at all matches no issue).
func (s *Service) resolve(ctx context.Context, p tenancy.Principal, f Filter) (Filter, error) {
	if f.Today == "" {
		f.Today = s.now().Format(DateLayout)
	}
	var err error
	if f.Labels, err = s.LabelIDs(ctx, p, "label", f.Labels); err != nil {
		return f, err
	}
	if f.Projects, err = s.resolveProjects(ctx, p, f.Projects); err != nil {
		return f, err
	}
	if f.Parents, err = s.resolveParents(ctx, p, f.Parents); err != nil {
		return f, err
	}
	if !slices.Contains(f.Teams, MyTeams) {
		return f, nil
	}
	mine, err := s.Directory.UserTeams(ctx, p.Scope(), p.UserID)
	if err != nil {
		return f, err
	}
	teams := slices.DeleteFunc(f.Teams, func(t string) bool { return t == MyTeams })
	for _, t := range mine {
		if !slices.Contains(teams, t) {
			teams = append(teams, t)
		}
	}
	if len(teams) == 0 {
		teams = []string{NoTeam}
	}
	f.Teams = teams
	return f, nil
}

// checkFilterRefs answers a filter that names something the workspace does not
// hold (a team, cycle, assignee, project or label id: unknown, deleted,
// or another tenant's, alike) with a 400 naming the parameter, as a label
// name or a project key it cannot resolve: never the empty list, which
// reads as "nothing matches" when the filter matches nothing at all
// (README, "Query parameters"; the analytics filters answer the same).
// Only an empty answer pays for it (List and Search call it then): a
// filter that selected an issue named something the issue carries. One
// read per id, 8 at a time (the query's limits bound the ids: an indexed
// filter already costs a Query per value); the shorthands (me, none, mine)
// need none.
func (s *Service) checkFilterRefs(ctx context.Context, p tenancy.Principal, f Filter) error {
	// A status no workflow of the workspace has (?status=bogus) is a
	// typo, not a status nothing is in: a 400, as checkBulkStatus refuses
	// it; it answered the empty list until audit11. One read of the
	// tenant's custom statuses answers every status beyond the default
	// workflow's (until left9, a Query each).
	unknown, err := s.unknownStatuses(ctx, p, f.Statuses)
	if err != nil {
		return err
	}
	if len(unknown) > 0 {
		return errs.Field("status", fmt.Sprintf("%q is a status of no project's workflow", unknown[0]))
	}
	type ref struct{ param, id string }
	var refs []ref
	add := func(param string, ids []string, skip ...string) {
		for _, id := range Dedup(ids) {
			if !slices.Contains(skip, id) {
				refs = append(refs, ref{param, id})
			}
		}
	}
	add("team", f.Teams, MyTeams, NoTeam)
	add("assignee", f.Assignees, NoAssignee, p.UserID)
	add("cycle", f.Cycles)
	add("project", f.Projects)
	add("label", f.Labels)
	if len(refs) == 0 {
		return nil
	}
	found := make([]bool, len(refs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, r := range refs {
		g.Go(func() error {
			ok, err := s.refExists(gctx, p, r.param, r.id)
			found[i] = ok
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, r := range refs {
		if !found[i] {
			noun := r.param
			if noun == "assignee" {
				noun = "user"
			}
			return errs.Field(r.param, fmt.Sprintf("no %s %s in this workspace", noun, r.id))
		}
	}
	return nil
}

// refExists reports whether the workspace holds the id a filter parameter names.
func (s *Service) refExists(ctx context.Context, p tenancy.Principal, param, id string) (bool, error) {
	var err error
	switch param {
	case "team":
		return s.Directory.TeamExists(ctx, p.Scope(), id)
	case "assignee":
		return s.userExists(ctx, p.Scope(), id)
	case "cycle":
		if s.Cycles == nil {
			return false, nil
		}
		_, err = s.readCycle(ctx, p, id)
	case "project":
		if s.Projects == nil {
			return id == DefaultProjectID, nil
		}
		_, err = s.readProject(ctx, p, id)
	case "label":
		_, err = s.Store.Label(ctx, p.Scope(), id)
	}
	if errs.Is(err, errs.KindNotFound) {
		return false, nil
	}
	return err == nil, err
}

// resolveProjects turns project keys of a filter into ids (one read each);
// ids are kept as they are (checkFilterRefs reads them).
func (s *Service) resolveProjects(ctx context.Context, p tenancy.Principal, refs []string) ([]string, error) {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		if looksLikeProjectKey(r) {
			id, err := s.projectID(ctx, p, strings.ToUpper(r))
			if errs.Is(err, errs.KindNotFound) {
				return nil, errs.Field("project", fmt.Sprintf("no project has the key %s", r))
			} else if err != nil {
				return nil, err
			}
			r = id
		}
		out = append(out, r)
	}
	return out, nil
}

// resolveParents turns issue keys of a parent filter into ids.
func (s *Service) resolveParents(ctx context.Context, p tenancy.Principal, refs []string) ([]string, error) {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		if _, _, isKey := SplitKey(r); isKey {
			i, err := s.Load(ctx, p, r)
			if errs.Is(err, errs.KindNotFound) {
				return nil, errs.Field("parent", fmt.Sprintf("no issue %s", r))
			} else if err != nil {
				return nil, err
			}
			r = i.ID
		}
		out = append(out, r)
	}
	return out, nil
}

// looksLikeProjectKey tells a project key (WEB, web, ACME2: 2-10 letters or
// digits) from a project id (a 26-character ULID, or "default").
func looksLikeProjectKey(ref string) bool {
	if ref == DefaultProjectID || len(ref) < 1 || len(ref) > 10 {
		return false
	}
	for _, r := range ref {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// List answers one page of the caller's tenant's issues.
func (s *Service) List(ctx context.Context, p tenancy.Principal, q ListQuery) (list.Page[Issue], error) {
	var err error
	if q.Filter, err = s.resolve(ctx, p, q.Filter); err != nil {
		return list.Page[Issue]{}, err
	}
	if len(q.Filter.Categories) > 0 && len(q.Filter.Statuses) == 0 && s.Workflows != nil {
		if q.Custom, err = s.Workflows.CustomStatuses(ctx, p); err != nil {
			return list.Page[Issue]{}, err
		}
	}
	var page list.Page[Issue]
	if q.Sort.Field() {
		if err := s.checkFieldRefs(ctx, p, q); err != nil {
			return list.Page[Issue]{}, err
		}
		page, err = s.listByField(ctx, p, q)
	} else {
		var items []Issue
		var next string
		items, next, err = s.Store.List(ctx, p.Scope(), q)
		page = list.NewPage(items, next)
	}
	if err != nil {
		return list.Page[Issue]{}, err
	}
	if len(page.Items) == 0 {
		if err := s.checkFilterRefs(ctx, p, q.Filter); err != nil {
			return list.Page[Issue]{}, err
		}
		if !q.Sort.Field() {
			if err := s.checkFieldRefs(ctx, p, q); err != nil {
				return list.Page[Issue]{}, err
			}
		}
	}
	return page, nil
}

// checkFieldRefs is CheckFieldRefs for the issue list and the search, which
// take custom fields without a project filter: the fields a query filters
// or sorts on (field.<id>) must be fields of the projects it filters on,
// or of any of the workspace's projects (one Query of fields per project).
// A field naming nothing (a typo, a deleted field, another tenant's) is a
// 400 naming the parameter, as for the other filters (checkFilterRefs): it
// answered the empty list, or the list unsorted, until audit11. Run only
// when the answer is empty or the list sorts by a field (which reads up to
// MaxFieldSort issues anyway).
func (s *Service) checkFieldRefs(ctx context.Context, p tenancy.Principal, q ListQuery) error {
	if len(q.Filter.Fields) == 0 && !q.Sort.Field() {
		return nil
	}
	if len(q.Filter.Projects) == 0 {
		q.Filter.Projects = []string{DefaultProjectID}
		if s.Projects != nil {
			ids, err := s.Projects.ProjectIDs(ctx, p)
			if err != nil {
				return err
			}
			q.Filter.Projects = ids
		}
	}
	return s.CheckFieldRefs(ctx, p, q)
}

// SearchQuery is one page of a search.
type SearchQuery struct {
	Text   string
	Filter Filter
	Limit  int
	Cursor string
	// Bind is what a cursor is bound to besides the tenant: the words and
	// filters as the caller wrote them.
	Bind string
}

// Hit is a search result.
type Hit struct {
	Score int   `json:"score"`
	Issue Issue `json:"issue"`
}

// MaxSearchLen bounds the text of a search.
const MaxSearchLen = 200

// maxCandidates bounds the issues one search reads (top-ranked first).
const maxCandidates = 200

// searchCursor is a search position; its scope binds it to the tenant,
// the words and the filters.
type searchCursor struct {
	Offset int `json:"o"`
}

// Search answers q.Text (every word must match, by prefix, in the title,
// description or a comment) with the filter, best score first. Each word is
// one Query of the inverted index and the candidates one batch read: cost
// grows with the matches, not the tenant's issues.
func (s *Service) Search(ctx context.Context, p tenancy.Principal, q SearchQuery) (list.Page[Hit], error) {
	f, err := s.resolve(ctx, p, q.Filter)
	if err != nil {
		return list.Page[Hit]{}, err
	}
	words, err := searchWords(q.Text)
	if err != nil {
		return list.Page[Hit]{}, err
	}
	scope := list.Scope("search", p.TenantID, q.Bind)
	offset, err := s.searchOffset(ctx, scope, q.Cursor)
	if err != nil {
		return list.Page[Hit]{}, err
	}
	scores, err := s.score(ctx, p, words)
	if err != nil {
		return list.Page[Hit]{}, err
	}
	hits, err := s.matching(ctx, p, scores, f)
	if err != nil {
		return list.Page[Hit]{}, err
	}
	if k, ok, err := s.keyHit(ctx, p, q.Text, f); err != nil {
		return list.Page[Hit]{}, err
	} else if ok {
		hits = append([]Hit{k}, slices.DeleteFunc(hits, func(h Hit) bool { return h.Issue.ID == k.Issue.ID })...)
	}
	if len(hits) == 0 {
		if err := s.checkFilterRefs(ctx, p, f); err != nil {
			return list.Page[Hit]{}, err
		}
		if err := s.checkFieldRefs(ctx, p, ListQuery{Filter: f}); err != nil {
			return list.Page[Hit]{}, err
		}
	}
	offset = min(offset, len(hits))
	end := min(offset+q.Limit, len(hits))
	var next string
	if end < len(hits) {
		if next, err = s.Cursors.Encode(ctx, scope, searchCursor{Offset: end}); err != nil {
			return list.Page[Hit]{}, err
		}
	}
	return list.NewPage(hits[offset:end], next), nil
}

// KeyHitScore is the score of the issue a search names by its key.
const KeyHitScore = 1000

// keyHit is the issue a search text names by key (WEB-12, web-12, or a
// renamed project's former key, as GET /v1/issues/{key} resolves it),
// ranked first when the filter passes it: someone who types a key wants
// that issue, sub-issue or not. Two to three reads, only for such a text.
func (s *Service) keyHit(ctx context.Context, p tenancy.Principal, text string, f Filter) (Hit, bool, error) {
	ref := strings.ToUpper(strings.TrimSpace(text))
	if _, _, isKey := SplitKey(ref); !isKey || strings.ContainsAny(ref, " \t") {
		return Hit{}, false, nil
	}
	i, err := s.Load(ctx, p, ref)
	if errs.Is(err, errs.KindNotFound) || errs.Is(err, errs.KindInvalid) {
		return Hit{}, false, nil
	}
	if err != nil || !f.Match(i) {
		return Hit{}, false, err
	}
	return Hit{Score: KeyHitScore, Issue: i}, true, nil
}

// searchWords are the distinct words of a search text.
func searchWords(text string) ([]string, error) {
	words := Dedup(Words(text))
	switch {
	case len(text) > MaxSearchLen:
		return nil, errs.Field("q", fmt.Sprintf("is longer than %d characters", MaxSearchLen))
	case len(words) == 0:
		return nil, errs.Field("q", fmt.Sprintf("needs a word of at least %d letters or digits", MinTermLen))
	case len(words) > MaxQueryWords:
		return nil, errs.Field("q", fmt.Sprintf("at most %d words", MaxQueryWords))
	}
	return words, nil
}

// searchOffset reads where a search cursor resumes (0 without one).
func (s *Service) searchOffset(ctx context.Context, scope, cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	var sc searchCursor
	if err := s.Cursors.Decode(ctx, scope, cursor, &sc); err != nil {
		return 0, err
	}
	if sc.Offset < 0 || sc.Offset > maxCandidates {
		return 0, errs.Invalid("invalid_cursor", "the cursor is damaged", errs.FieldError{Field: "cursor", Reason: "damaged"})
	}
	return sc.Offset, nil
}

// score looks every word up in parallel and keeps the issues that match
// all of them, with the sum of their scores.
func (s *Service) score(ctx context.Context, p tenancy.Principal, words []string) (map[string]int, error) {
	perWord := make([]map[string]int, len(words))
	g, ctx := errgroup.WithContext(ctx)
	for n, word := range words {
		g.Go(func() error {
			hits, _, err := s.Store.WordHits(ctx, p.Scope(), word)
			perWord[n] = hits
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	scores := perWord[0]
	for _, m := range perWord[1:] {
		for id, sc := range scores {
			if m[id] == 0 {
				delete(scores, id)
			} else {
				scores[id] = sc + m[id]
			}
		}
	}
	return scores, nil
}

// matching reads the best maxCandidates issues of scores and keeps those
// the filter passes, best score first; among equals the newest issue
// (ULIDs sort by time).
func (s *Service) matching(ctx context.Context, p tenancy.Principal, scores map[string]int, f Filter) ([]Hit, error) {
	ids := make([]string, 0, len(scores))
	for id := range scores {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(scores[b]-scores[a], strings.Compare(b, a)) })
	if len(ids) > maxCandidates {
		ids = ids[:maxCandidates]
	}
	found, err := s.Store.GetMany(ctx, p.Scope(), ids)
	if err != nil {
		return nil, err
	}
	var hits []Hit
	for _, id := range ids {
		if i, ok := found[id]; ok && f.Match(i) {
			hits = append(hits, Hit{Score: scores[id], Issue: i})
		}
	}
	return hits, nil
}
