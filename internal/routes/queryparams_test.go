package routes

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// queryParams is looked up by binary search: it must stay sorted by
// operation id, one entry per operation, each one a route's.
func TestQueryParamsAreSorted(t *testing.T) {
	assert.True(t, slices.IsSortedFunc(queryParams, func(a, b opParams) int { return strings.Compare(a.op, b.op) }), "queryParams is not sorted by operation id")
	for i, p := range queryParams {
		if i > 0 {
			assert.NotEqual(t, queryParams[i-1].op, p.op, "two entries for %s", p.op)
		}
		r, ok := ByOperation(p.op)
		if assert.True(t, ok, "%s is no route's operation", p.op) {
			assert.Equal(t, p.params, r.QueryParams(), p.op)
		}
	}
	assert.Nil(t, Route{OperationID: "getMe"}.QueryParams())
	assert.Nil(t, Route{OperationID: "zzz"}.QueryParams())
}

// summaries has one entry per route, in the table's order, and nothing
// else: a route added without its summary, or a summary of no route,
// fails.
func TestEveryRouteHasOneSummary(t *testing.T) {
	ops := make([]string, len(table))
	for i, r := range table {
		ops[i] = r.OperationID
	}
	sums := make([]string, len(summaries))
	for i, s := range summaries {
		sums[i] = s.op
		assert.NotEmpty(t, s.text, s.op)
	}
	assert.Equal(t, ops, sums)
	assert.Equal(t, "Liveness of the API", Summary("getHealth"))
	assert.Empty(t, Summary("zzz"))
}

// ifMatch is sorted, names each operation once, and only operations of
// the table that change or delete something.
func TestIfMatchIsSorted(t *testing.T) {
	assert.True(t, slices.IsSortedFunc(ifMatch, func(a, b opText) int { return strings.Compare(a.op, b.op) }), "ifMatch is not sorted by operation id")
	for i, p := range ifMatch {
		if i > 0 {
			assert.NotEqual(t, ifMatch[i-1].op, p.op, "two entries for %s", p.op)
		}
		r, ok := ByOperation(p.op)
		if assert.True(t, ok, "%s is no route's operation", p.op) {
			assert.NotEqual(t, "GET", r.Method, p.op)
			assert.Equal(t, p.text, r.IfMatch(), p.op)
		}
	}
	assert.Empty(t, Route{OperationID: "updateView"}.IfMatch())
}

func TestWithoutBodyIsSorted(t *testing.T) {
	assert.True(t, slices.IsSorted(withoutBody), "withoutBody is not sorted")
	for i, op := range withoutBody {
		if i > 0 {
			assert.NotEqual(t, withoutBody[i-1], op, "two entries for %s", op)
		}
		r, ok := ByOperation(op)
		if assert.True(t, ok, "%s is no route's operation", op) {
			assert.NotEqual(t, "GET", r.Method, op)
			assert.False(t, r.TakesBody(), op)
		}
	}
	assert.False(t, Route{Method: "GET", OperationID: "listIssues"}.TakesBody())
	assert.True(t, Route{Method: "POST", OperationID: "createIssue"}.TakesBody())
}
