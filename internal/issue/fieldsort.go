package issue

import (
	"cmp"
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Field reports whether the sort is by a custom field (field.<id>).
func (s Sort) Field() bool { return strings.HasPrefix(string(s), "field.") }

// MaxFieldSort bounds the issues a list sorted by a custom field reads: no
// index holds custom field values, so the list reads every issue its
// filter selects (in update order, pages of 100) and sorts them in memory.
const MaxFieldSort = 1000

// fieldCursor is a position in a list sorted by a custom field: an offset
// into the sorted matches, bound to the tenant, sort, order and filter.
type fieldCursor struct {
	Offset int `json:"o"`
}

// listByField answers a page of issues sorted by a custom field's value
// (absent values last, then most recently updated). It reads the filter's
// matches through the store's plan (a project filter reads gsi7: one Query
// per 100 issues) up to MaxFieldSort; more is a 422 asking for a narrower
// filter. Each page reads them again: at most 10 list calls per page.
func (s *Service) listByField(ctx context.Context, p tenancy.Principal, q ListQuery) (list.Page[Issue], error) {
	id := strings.TrimPrefix(string(q.Sort), "field.")
	scope := list.Scope("issues-by-field", p.TenantID, string(q.Sort), boolStr(q.Desc), filterKey(q.Filter))
	var at fieldCursor
	if q.Cursor != "" {
		if err := s.Cursors.Decode(ctx, scope, q.Cursor, &at); err != nil {
			return list.Page[Issue]{}, err
		}
	}
	var all []Issue
	inner := ListQuery{Sort: SortUpdated, Desc: true, Filter: q.Filter, Limit: 100}
	for {
		items, next, err := s.Store.List(ctx, p.Scope(), inner)
		if err != nil {
			return list.Page[Issue]{}, err
		}
		all = append(all, items...)
		if next == "" {
			break
		}
		if len(all) >= MaxFieldSort {
			return list.Page[Issue]{}, errs.E(errs.KindUnprocessable, "too_many_to_sort",
				"sorting by a custom field reads at most %d issues; add a filter (a project, a cycle, a status...)", MaxFieldSort).
				WithFields(errs.FieldError{Field: "sort", Reason: "too many issues to sort by a custom field"})
		}
		inner.Cursor = next
	}
	// sort.SliceStable, not the generic SortStableFunc: a generic sort is compiled again for
	// each element shape (~9 KB of code per struct type), sort.SliceStable is one
	// (issue 19).
	sort.SliceStable(all, func(i, j int) bool {
		ka, pa := FieldSortKey(all[i].Fields[id])
		kb, pb := FieldSortKey(all[j].Fields[id])
		switch {
		case pa != pb: // absent last, either order
			return pa
		case q.Desc:
			return cmp.Less(kb, ka)
		}
		return cmp.Less(ka, kb)
	})
	if at.Offset < 0 || at.Offset > len(all) {
		at.Offset = len(all)
	}
	end := min(at.Offset+q.Limit, len(all))
	page := all[at.Offset:end]
	next := ""
	if end < len(all) {
		var err error
		if next, err = s.Cursors.Encode(ctx, scope, fieldCursor{Offset: end}); err != nil {
			return list.Page[Issue]{}, err
		}
	}
	return list.NewPage(page, next), nil
}

func boolStr(b bool) string {
	if b {
		return "desc"
	}
	return "asc"
}

// filterKey is the filter as a cursor's scope sees it.
func filterKey(f Filter) string {
	b, _ := json.Marshal(f)
	return string(b)
}
