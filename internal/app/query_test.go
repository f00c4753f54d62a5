package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The route table's QueryParams are the one list of the parameters each
// route takes (handlers keep no copy; the OpenAPI document describes the
// same, internal/openapi). Every route of the table, called as its example
// (path, body, caller) with one parameter it does not declare (a typo:
// ?stauts=open), answers a 400 problem+json unknown_parameter naming it and
// saying what the route takes, before its handler runs: never the
// unfiltered answer, and no write (the tables are unchanged). Every
// parameter a GET route declares is taken: whatever the handler thinks of
// its value, the answer is no unknown_parameter.
func TestEveryRouteTakesOnlyItsDeclaredQueryParameters(t *testing.T) {
	t.Parallel()
	w, c, examples := seededWorld(t)
	before := tables(t, w)

	with := func(path, k, v string) string {
		p, q, _ := strings.Cut(path, "?")
		vs, err := url.ParseQuery(q)
		require.NoError(t, err)
		vs.Set(k, v)
		return p + "?" + vs.Encode()
	}

	refused := 0
	for _, rt := range routes.All() {
		ex, ok := examples[rt.OperationID]
		require.True(t, ok, "%s has no example", rt.OperationID)
		path := ex.Target(c, rt.Path)
		t.Run("unknown/"+rt.OperationID, func(t *testing.T) {
			for _, typo := range []string{"stauts", "limit_", "Limit", "token2", "field"} {
				refused++
				res := w.Call(ex, rt.Method, with(path, typo, "open"), ex.Body)
				require.Equal(t, http.StatusBadRequest, res.Status, "%s %s&%s: %s", rt.Method, path, typo, res.Body)
				assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
				p := res.Map(t)
				assert.Equal(t, "unknown_parameter", p["code"], "%s", res.Body)
				errs, _ := p["errors"].([]any)
				require.Len(t, errs, 1, "%s", res.Body)
				assert.Equal(t, typo, errs[0].(map[string]any)["field"])
				// The detail says what to send instead.
				want := "none"
				if ps := rt.QueryParams(); len(ps) > 0 {
					want = strings.Join(ps, ", ")
				}
				assert.Contains(t, p["detail"], "takes "+want, "%s", res.Body)
			}
		})
	}
	after := tables(t, w)
	assert.Equal(t, before, after, "a request refused for an unknown parameter changed the tables")

	// Values that the handlers take, where "x" would not do; a value they
	// refuse is fine too, as long as the refusal is not unknown_parameter.
	values := map[string]string{"limit": "1", "format": "json", "bucket": "week", "group_by": "team",
		"order": "asc", "sort": "created", "unread": "true", "overdue": "true", "cycles": "3", "month": "2026-11",
		"from": "2026-11-01", "to": "2026-11-30", "q": "zebra", "slug": "newco"}
	taken := 0
	for _, rt := range routes.All() {
		if rt.Method != http.MethodGet || len(rt.QueryParams()) == 0 {
			continue
		}
		ex := examples[rt.OperationID]
		path := ex.Target(c, rt.Path)
		t.Run("declared/"+rt.OperationID, func(t *testing.T) {
			for _, k := range rt.QueryParams() {
				if strings.HasSuffix(k, ".*") {
					k = strings.TrimSuffix(k, "*") + "01JAAAAAAAAAAAAAAAAAAAAAAA"
				}
				v, ok := values[k]
				if !ok {
					v = "x"
				}
				taken++
				res := w.Call(ex, rt.Method, with(path, k, v), nil)
				assert.Less(t, res.Status, 500, "%s=%s: %s", k, v, res.Body)
				if res.Header.Get("Content-Type") == "application/problem+json" {
					assert.NotEqual(t, "unknown_parameter", res.Map(t)["code"], "%s=%s: %s", k, v, res.Body)
				}
			}
		})
	}
	// A declared parameter sent empty (?label=) is refused too, naming it:
	// read as no filter, it would answer the unfiltered list. (cursor and
	// limit are the list toolkit's: invalid_cursor, invalid_limit; a
	// public route's token or slug its handler's: an empty token is a
	// wrong one.)
	empty := 0
	for _, rt := range routes.All() {
		if rt.Access.Kind == routes.Public {
			continue
		}
		ex := examples[rt.OperationID]
		path := ex.Target(c, rt.Path)
		for _, k := range rt.QueryParams() {
			if k == "cursor" || k == "limit" {
				continue
			}
			k = strings.Replace(k, ".*", ".01JAAAAAAAAAAAAAAAAAAAAAAA", 1)
			empty++
			res := w.Call(ex, rt.Method, with(path, k, ""), ex.Body)
			require.Equal(t, http.StatusBadRequest, res.Status, "%s %s with %s empty: %s", rt.Method, path, k, res.Body)
			p := res.Map(t)
			assert.Equal(t, "empty_parameter", p["code"], "%s: %s", k, res.Body)
			errs, _ := p["errors"].([]any)
			require.Len(t, errs, 1, "%s", res.Body)
			assert.Equal(t, k, errs[0].(map[string]any)["field"])
		}
	}
	after = tables(t, w)
	assert.Equal(t, before, after, "a request refused for an empty parameter changed the tables")
	assert.Greater(t, empty, 60, "declared parameters sent empty")

	// A declared parameter sent twice (?bucket=week&bucket=day) is refused,
	// naming it, on every route: no parameter of the API takes two values,
	// and the handler would read one of them (the analytics, exports and
	// public routes took the first until audit12; the lists refused it).
	twice := 0
	for _, rt := range routes.All() {
		ex := examples[rt.OperationID]
		path := ex.Target(c, rt.Path)
		for _, k := range rt.QueryParams() {
			k = strings.Replace(k, ".*", ".01JAAAAAAAAAAAAAAAAAAAAAAA", 1)
			v, ok := values[k]
			if !ok {
				v = "x"
			}
			p, q, _ := strings.Cut(path, "?")
			vs, err := url.ParseQuery(q)
			require.NoError(t, err)
			vs[k] = []string{v, v}
			twice++
			res := w.Call(ex, rt.Method, p+"?"+vs.Encode(), ex.Body)
			require.Equal(t, http.StatusBadRequest, res.Status, "%s %s with %s twice: %s", rt.Method, path, k, res.Body)
			m := res.Map(t)
			assert.Equal(t, "repeated_parameter", m["code"], "%s %s: %s", rt.OperationID, k, res.Body)
			errs, _ := m["errors"].([]any)
			require.Len(t, errs, 1, "%s", res.Body)
			assert.Equal(t, k, errs[0].(map[string]any)["field"])
		}
	}
	after = tables(t, w)
	assert.Equal(t, before, after, "a request refused for a repeated parameter changed the tables")
	t.Logf("%d declared parameters refused when sent twice", twice)

	assert.Greater(t, refused, 5*150, "routes refusing unknown parameters")
	assert.Greater(t, taken, 80, "declared parameters taken")
	t.Logf("%d unknown parameters refused over %d routes, %d declared ones taken", refused, len(routes.All()), taken)
}
