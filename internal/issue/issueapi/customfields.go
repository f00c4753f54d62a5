package issueapi

import (
	"net/url"
	"strings"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue"
)

// fieldPrefix starts a custom field filter (field.<id>=a,b) and sort
// (sort=field.<id>).
const fieldPrefix = "field."

// maxFieldFilters bounds the custom fields one list filters on.
const maxFieldFilters = 5

// fieldParams are the custom field filter parameters of q (allowed besides
// the fixed ones).
func fieldParams(q url.Values) []string {
	var out []string
	for k := range q {
		if strings.HasPrefix(k, fieldPrefix) {
			out = append(out, k)
		}
	}
	return out
}

// customFields reads field.<id>=v1,v2 (any of the values; none: no value).
func customFields(q url.Values, f *issue.Filter) error {
	for _, k := range fieldParams(q) {
		id := strings.TrimPrefix(k, fieldPrefix)
		if !issue.ValidID(id) {
			return errs.Field(k, "is not a custom field id")
		}
		vs := values(q, k)
		if len(vs) == 0 {
			return errs.Field(k, "name at least one value")
		}
		if f.Fields == nil {
			f.Fields = map[string][]string{}
		}
		f.Fields[id] = vs
	}
	if len(f.Fields) > maxFieldFilters {
		return errs.Field("field", "filter on at most 5 custom fields")
	}
	return nil
}

// fieldSort reads sort=field.<id>: ok is false for the other sorts.
func fieldSort(s string) (issue.Sort, bool, error) {
	id, ok := strings.CutPrefix(s, fieldPrefix)
	if !ok {
		return "", false, nil
	}
	if !issue.ValidID(id) {
		return "", true, errs.Field("sort", "field.<id> must name a custom field id")
	}
	return issue.Sort(s), true, nil
}
