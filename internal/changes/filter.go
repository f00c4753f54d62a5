package changes

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// Filter names the records a consumer wants by their sort key. It is data:
// the CDK app renders it as the event source mapping's filter criteria (so
// Lambda is not even invoked for other records, such as the rollups the
// analytics consumer writes back into the same table), and the local poller
// applies the same rule.
type Filter struct {
	// SortKeys match exactly; SortKeyPrefixes match the start.
	SortKeys        []string
	SortKeyPrefixes []string
}

// Match reports whether the change passes. An empty filter passes all.
func (f Filter) Match(c Change) bool {
	if len(f.SortKeys) == 0 && len(f.SortKeyPrefixes) == 0 {
		return true
	}
	return slices.Contains(f.SortKeys, c.SK) || slices.ContainsFunc(f.SortKeyPrefixes, func(p string) bool {
		return strings.HasPrefix(c.SK, p)
	})
}

// WithBarriers is f letting the tier migrations' freeze barriers through
// too (keylog.BarrierPrefix): the filter of a consumer wrapped in HomeOnly,
// which acknowledges them (docs/migration.md "Stream consumers").
func (f Filter) WithBarriers() Filter {
	f.SortKeyPrefixes = append(slices.Clip(f.SortKeyPrefixes), keylog.BarrierPrefix)
	return f
}

// Select returns the changes that pass.
func (f Filter) Select(batch []Change) []Change {
	out := batch[:0:0]
	for _, c := range batch {
		if f.Match(c) {
			out = append(out, c)
		}
	}
	return out
}

// Pattern is the filter as one Lambda event filtering pattern (the values
// of one array are alternatives): {"dynamodb":{"Keys":{"sk":{"S":[...]}}}}.
// "" for an empty filter.
func (f Filter) Pattern() string {
	var values []any
	for _, k := range f.SortKeys {
		values = append(values, k)
	}
	for _, p := range f.SortKeyPrefixes {
		values = append(values, map[string]string{"prefix": p})
	}
	if len(values) == 0 {
		return ""
	}
	b, _ := json.Marshal(map[string]any{"dynamodb": map[string]any{"Keys": map[string]any{schema.SK: map[string]any{"S": values}}}})
	return string(b)
}
