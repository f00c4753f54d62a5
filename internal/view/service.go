package view

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/oklog/ulid/v2"
)

// Store keeps views (viewdb.Store). Keys are built from sc's tenant.
type Store interface {
	// Put writes v (new, or over old when old is not nil; a visibility
	// change moves it): conflict view_limit past the caps is the caller's
	// check, precondition_failed view_changed when old is stale.
	Put(ctx context.Context, sc tenancy.Scope, old *View, v View) error
	// Get returns the view if the caller may see it (theirs, or shared),
	// else not_found view_not_found.
	Get(ctx context.Context, sc tenancy.Scope, userID, id string) (View, error)
	// Visible lists the user's private views and the tenant's shared ones.
	Visible(ctx context.Context, sc tenancy.Scope, userID string) ([]View, error)
	Delete(ctx context.Context, sc tenancy.Scope, v View) error
}

// Issues is what views need of the issue domain (issue.Service).
type Issues interface {
	List(ctx context.Context, p tenancy.Principal, q issue.ListQuery) (list.Page[issue.Issue], error)
	LabelIDs(ctx context.Context, p tenancy.Principal, field string, refs []string) ([]string, error)
	Labels(ctx context.Context, p tenancy.Principal) ([]issue.Label, error)
	// CheckFieldRefs checks the custom fields a query filters or sorts on
	// against the projects it filters on.
	CheckFieldRefs(ctx context.Context, p tenancy.Principal, q issue.ListQuery) error
}

// ParseQuery reads an issue list's query parameters (filter, sort, order)
// exactly as GET /v1/issues does (issueapi.ParseListQuery), so a view can
// hold only what the list supports.
type ParseQuery func(q url.Values, p tenancy.Principal) (issue.ListQuery, error)

// FieldFilterPrefix starts a custom field filter (field.<id>=v1,v2): a view
// may hold one for a field of the projects its filter names.
const FieldFilterPrefix = "field."

// FilterParams are the filter parameter names the list takes.
type FilterParams []string

// Service is the saved views' behaviour.
type Service struct {
	Store   Store
	Tracker Issues
	Parse   ParseQuery
	// Params are the issue list's filter parameter names.
	Params FilterParams
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// List answers the caller's private views and the tenant's shared views, by name.
func (s *Service) List(ctx context.Context, p tenancy.Principal) ([]View, error) {
	vs, err := s.Store.Visible(ctx, p.Scope(), p.UserID)
	if err != nil {
		return nil, err
	}
	// sort.Slice, not slices.SortFunc: a generic sort is compiled again for
	// each element shape (~9 KB of code per struct type; issue 19).
	sort.Slice(vs, func(i, j int) bool {
		return strings.ToLower(vs[i].Name)+vs[i].ID < strings.ToLower(vs[j].Name)+vs[j].ID
	})
	return vs, nil
}

// Get returns a view the caller may see; another user's private view and
// another tenant's view are not found.
func (s *Service) Get(ctx context.Context, p tenancy.Principal, id string) (View, error) {
	if !issue.ValidID(id) {
		return View{}, errs.NotFound("view")
	}
	return s.Store.Get(ctx, p.Scope(), p.UserID, id)
}

// Create saves a new view owned by the caller. A bad filter, sort, order,
// grouping or column is a 422 naming the field (filter.<parameter>).
func (s *Service) Create(ctx context.Context, p tenancy.Principal, in Input) (View, error) {
	if in.Name == nil {
		return View{}, unprocessable(errs.Field("name", "is required"))
	}
	now := s.now()
	v := View{ID: ulid.Make().String(), OwnerID: p.UserID, Visibility: Private, Filter: map[string]string{},
		Sort: DefaultSort, GroupBy: "none", Columns: slices.Clone(DefaultColumns), CreatedAt: now, UpdatedAt: now}
	if err := s.fill(ctx, p, &v, in); err != nil {
		return View{}, err
	}
	if err := s.checkCount(ctx, p, v, nil); err != nil {
		return View{}, err
	}
	if err := s.Store.Put(ctx, p.Scope(), nil, v); err != nil {
		return View{}, err
	}
	return v, nil
}

// Update changes a view: its owner may, and an Admin may change a shared one.
func (s *Service) Update(ctx context.Context, p tenancy.Principal, id string, in Input) (View, error) {
	old, err := s.Get(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	if err := mayChange(p, old); err != nil {
		return View{}, err
	}
	v := old
	if err := s.fill(ctx, p, &v, in); err != nil {
		return View{}, err
	}
	if v.Visibility != old.Visibility {
		if err := s.checkCount(ctx, p, v, &old); err != nil {
			return View{}, err
		}
	}
	v.UpdatedAt = s.now()
	if err := s.Store.Put(ctx, p.Scope(), &old, v); err != nil {
		return View{}, err
	}
	return v, nil
}

// Delete removes a view (its owner, or an Admin for a shared one).
func (s *Service) Delete(ctx context.Context, p tenancy.Principal, id string) error {
	v, err := s.Get(ctx, p, id)
	if err != nil {
		return err
	}
	if err := mayChange(p, v); err != nil {
		return err
	}
	return s.Store.Delete(ctx, p.Scope(), v)
}

// Issues lists one page of the issues the view selects, in its order, as
// the caller sees them ("me" is the caller).
func (s *Service) Issues(ctx context.Context, p tenancy.Principal, id string, req list.Request) (list.Page[issue.Issue], error) {
	v, err := s.Get(ctx, p, id)
	if err != nil {
		return list.Page[issue.Issue]{}, err
	}
	q, err := s.Parse(v.Query(), p)
	if err != nil {
		return list.Page[issue.Issue]{}, err
	}
	q.Limit, q.Cursor = req.Limit, req.Cursor
	return s.Tracker.List(ctx, p, q)
}

// Query is the view as the issue list's query parameters.
func (v View) Query() url.Values {
	q := url.Values{}
	for k, val := range v.Filter {
		q.Set(k, val)
	}
	if v.Sort != "" {
		q.Set("sort", v.Sort)
	}
	if v.Order != "" {
		q.Set("order", v.Order)
	}
	return q
}

// mayChange: the owner changes a view; an Admin also changes shared ones.
func mayChange(p tenancy.Principal, v View) error {
	if v.OwnerID == p.UserID || (v.Visibility == Shared && p.Role.AtLeast(roles.Admin)) {
		return nil
	}
	return errs.Forbidden("view_not_yours", "only its owner or an Admin may change a shared view")
}

// fill applies in to v and checks the filter and sort with the issue
// list's parser; label names become ids, so a renamed label keeps its views.
func (s *Service) fill(ctx context.Context, p tenancy.Principal, v *View, in Input) error {
	if err := in.apply(v); err != nil {
		return err
	}
	filter := map[string]string{}
	for k, val := range v.Filter {
		if !slices.Contains(s.Params, k) && !strings.HasPrefix(k, FieldFilterPrefix) {
			return unprocessable(errs.Field("filter."+k, fmt.Sprintf("is not a filter of the issue list (one of %v)", []string(s.Params))))
		}
		if val = strings.TrimSpace(val); val == "" {
			// As on the list (?label=: 400 empty_parameter): read as no
			// filter, it would save a view of every issue.
			return unprocessable(errs.Field("filter."+k, "is empty: leave it out, or give it a value"))
		}
		if len(val) > MaxFilterValue {
			return unprocessable(errs.Field("filter."+k, fmt.Sprintf("at most %d characters", MaxFilterValue)))
		}
		filter[k] = val
	}
	v.Filter = filter
	q, err := s.Parse(v.Query(), p)
	if err != nil {
		return unprocessable(prefixFields(err))
	}
	if err := s.Tracker.CheckFieldRefs(ctx, p, q); err != nil {
		return unprocessable(prefixFields(err))
	}
	// The list resolves what the parser only reads (a project key, a label
	// name): a view naming a project of no one in this workspace (another
	// tenant's key) is refused now, as the list would refuse it, not saved
	// to fail on every read. One page of one issue, as the caller.
	q.Limit = 1
	if _, err := s.Tracker.List(ctx, p, q); err != nil {
		return unprocessable(prefixFields(err))
	}
	if l := v.Filter["label"]; l != "" {
		ids, err := s.Tracker.LabelIDs(ctx, p, "filter.label", strings.Split(l, ","))
		if err != nil {
			return unprocessable(err)
		}
		v.Filter["label"] = strings.Join(ids, ",")
	}
	return nil
}

// prefixFields names a filter parameter's error filter.<name> (sort and
// order are fields of the view itself).
func prefixFields(err error) error {
	e := errs.As(err)
	if e.Kind != errs.KindInvalid {
		return err
	}
	out := *e
	out.Fields = nil
	for _, f := range e.Fields {
		if f.Field != "sort" && f.Field != "order" {
			f.Field = "filter." + f.Field
		}
		out.Fields = append(out.Fields, f)
	}
	return &out
}

// checkCount keeps a user's private views and a tenant's shared views
// within their caps (one Query of what the user sees).
func (s *Service) checkCount(ctx context.Context, p tenancy.Principal, v View, old *View) error {
	vs, err := s.Store.Visible(ctx, p.Scope(), p.UserID)
	if err != nil {
		return err
	}
	n := 0
	for _, x := range vs {
		if x.Visibility == v.Visibility && (v.Visibility == Shared || x.OwnerID == p.UserID) && (old == nil || x.ID != old.ID) {
			n++
		}
	}
	limit := map[Visibility]int{Private: MaxPrivate, Shared: MaxShared}[v.Visibility]
	if n >= limit {
		return errs.Conflict("view_limit", fmt.Sprintf("at most %d %s views", limit, v.Visibility))
	}
	return nil
}
