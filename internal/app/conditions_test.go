package app_test

import (
	"net/http"
	"testing"

	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A precondition the route would not evaluate is refused, never ignored:
// ignored, a client's conditional write (If-Match on a saved view, a
// webhook, a label, the branding; If-None-Match: * on a create) would be
// applied unconditionally, over someone else's change. Every route of the
// table, called as its example with If-Match where the route takes none
// (routes.Route.IfMatch), answers a 400 problem+json
// if_match_not_supported naming the header; every write, called with
// If-None-Match or If-Unmodified-Since, a 400 precondition_not_supported;
// every route that takes If-Match, called with a weak ETag (which never
// matches: RFC 9110 compares If-Match strongly) a 412 weak_etag, and with
// a malformed one a 400 invalid_if_match. Nothing is written.
func TestEveryRouteRefusesPreconditionsItDoesNotEvaluate(t *testing.T) {
	t.Parallel()
	w, c, examples := seededWorld(t)
	before := tables(t, w)

	problem := func(t *testing.T, res *apitest.Response, status int, code, field string) {
		t.Helper()
		require.Equal(t, status, res.Status, "%s", res.Body)
		assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
		p := res.Map(t)
		assert.Equal(t, code, p["code"], "%s", res.Body)
		errs, _ := p["errors"].([]any)
		require.Len(t, errs, 1, "%s", res.Body)
		assert.Equal(t, field, errs[0].(map[string]any)["field"])
	}

	refused, conditional, keyRefused := 0, 0, 0
	for _, rt := range routes.All() {
		ex, ok := examples[rt.OperationID]
		require.True(t, ok, "%s has no example", rt.OperationID)
		path := ex.Target(c, rt.Path)
		t.Run(rt.OperationID, func(t *testing.T) {
			if rt.IfMatch() == "" {
				for _, v := range []string{`"1"`, `*`, `W/"1"`} {
					refused++
					problem(t, w.Call(ex, rt.Method, path, ex.Body, "If-Match", v), http.StatusBadRequest, "if_match_not_supported", "If-Match")
				}
			} else {
				conditional++
				problem(t, w.Call(ex, rt.Method, path, ex.Body, "If-Match", `W/"1"`), http.StatusPreconditionFailed, "weak_etag", "If-Match")
				for _, v := range []string{`1`, `"0"`, `"+1"`, `""`, `"x"`} {
					problem(t, w.Call(ex, rt.Method, path, ex.Body, "If-Match", v), http.StatusBadRequest, "invalid_if_match", "If-Match")
				}
				// A list, however it is written, is refused as a list: a
				// write here is conditional on one version. Sent twice,
				// the header is one list too (RFC 9110, 5.3).
				for _, v := range [][]string{{`"1", "2"`}, {`*, "1"`}, {`"1", *`}, {`*, *`}, {`"1",`}, {`"1"`, `"2"`}, {`*`, `"1"`}} {
					var hs []string
					for _, one := range v {
						hs = append(hs, "If-Match", one)
					}
					problem(t, w.Call(ex, rt.Method, path, ex.Body, hs...), http.StatusBadRequest, "if_match_list_not_supported", "If-Match")
				}
			}
			if rt.Method != http.MethodGet {
				for _, h := range []string{"If-None-Match", "If-Unmodified-Since"} {
					refused++
					problem(t, w.Call(ex, rt.Method, path, ex.Body, h, `*`), http.StatusBadRequest, "precondition_not_supported", h)
				}
			}
			// Only POSTs replay an answer: on a PUT, PATCH or DELETE the
			// key was ignored until audit12.
			if rt.Method == http.MethodPut || rt.Method == http.MethodPatch || rt.Method == http.MethodDelete {
				refused++
				keyRefused++
				problem(t, w.Call(ex, rt.Method, path, ex.Body, "Idempotency-Key", "retry-1"), http.StatusBadRequest, "idempotency_key_not_supported", "Idempotency-Key")
			}
		})
	}
	after := tables(t, w)
	assert.Equal(t, before, after, "a request refused for its precondition changed the tables")
	assert.Greater(t, refused, 3*150, "preconditions refused")
	assert.Equal(t, 16, conditional, "routes that take If-Match")
	assert.NotZero(t, keyRefused, "PUT, PATCH and DELETE routes refusing Idempotency-Key")
	t.Logf("%d PUT, PATCH and DELETE routes refuse Idempotency-Key", keyRefused)
	t.Logf("%d preconditions refused over %d routes; %d routes take If-Match", refused, len(routes.All()), conditional)
}
