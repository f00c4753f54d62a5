package app_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/oklog/ulid/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var pathParam = regexp.MustCompile(`\{(\w+)\}`)

// Every route with path parameters, called as its example with each
// parameter replaced by a well-formed id that exists nowhere (a ULID, a
// slug) or by one that cannot be an id (too long, another alphabet,
// spaces, quotes, a key of the table, a number out of any range), answers
// a 4xx problem+json, never a 5xx or a success, and writes nothing. It
// found GET /v1/admin/tenants/{tenantId}/audit answering an empty 200 log
// for any slug (getTenant answers 404). "+0" and "00" since audit11 (a part
// number spelled so wrote part 0: TestIssue12DoneWhen, as the example's
// import here has every part in).
func TestEveryPathParameterRefusesIdsThatCannotBe(t *testing.T) {
	t.Parallel()
	w, c, examples := seededWorld(t)
	before := tables(t, w)

	bad := []string{ulid.Make().String(), "nosuchtenant", strings.Repeat("A", 300), "é文字", "a b", `a"b`, "'; DROP", "-1", "99999999999999999999999", "T#acme#ISSUE", "x*", "+0", "00"}
	tried := 0
	for _, rt := range routes.All() {
		params := pathParam.FindAllStringSubmatch(rt.Path, -1)
		if len(params) == 0 {
			continue
		}
		ex, ok := examples[rt.OperationID]
		require.True(t, ok, "%s has no example", rt.OperationID)
		target := ex.Target(c, rt.Path)
		_, query, _ := strings.Cut(target, "?")
		for _, p := range params {
			t.Run(rt.OperationID+"/"+p[1], func(t *testing.T) {
				for _, v := range bad {
					tried++
					ids := apitest.Content{}
					for k, val := range c {
						ids[k] = val
					}
					ids[p[1]] = url.PathEscape(v)
					path := ids.Path(rt.Path)
					if query != "" {
						path += "?" + query
					}
					res := w.Call(ex, rt.Method, path, ex.Body)
					assert.GreaterOrEqual(t, res.Status, 400, "%s %s: %s", rt.Method, path, res.Body)
					assert.Less(t, res.Status, 500, "%s %s: %s", rt.Method, path, res.Body)
					assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"), "%s %s: %d %s", rt.Method, path, res.Status, res.Body)
				}
			})
		}
	}
	t.Logf("%d bad path ids", tried)
	after := tables(t, w)
	assert.Equal(t, before, after, "a refused path id changed the tables")
}
