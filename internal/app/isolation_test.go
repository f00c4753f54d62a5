package app_test

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every tenant route's example, whose path, query and body name acme's
// objects, is sent by another tenant's Super Admin twice: once naming
// acme's objects, once naming well-formed ids that exist nowhere. The two
// answers must be the same (status, code, type, title, detail, fields):
// another tenant's object is indistinguishable from a missing one, in the
// path (GET, PATCH, DELETE, POST on sub-resources) as in a body or a
// filter (assignee, project, label, parent, cycle, view...). Neither is a
// success that touches acme, and neither is a 5xx. The routes are the
// route table's: a tenant route whose path names an object that is not
// acme's fails the test, so no route is left out (the five project routes
// were, on the default project, whose id "default" globex has too).
func TestAnotherTenantsObjectsAnswerAsMissingOnes(t *testing.T) {
	t.Parallel()
	w := apitest.NewWorld(t)
	c := w.SeedContent()
	examples := w.Examples(c)
	// The default project's id is "default" in every tenant (globex's
	// own): the project routes name another of acme's projects, so they
	// are cases too (five were left out).
	project := w.As("owner@acme.test").Do("POST", "/v1/projects", map[string]any{"name": "Isolated", "key": "ISO"})
	require.Equal(t, 201, project.Status, string(project.Body))
	projectID := project.Map(t)["id"].(string)
	c["projectId"] = projectID

	// acme's ids: every path parameter of every example, and the content.
	ids := map[string]bool{}
	for k, v := range c {
		if k != "tenantId" {
			ids[v] = true
		}
	}
	for _, rt := range routes.All() {
		ex, ok := examples[rt.OperationID]
		if !ok || rt.Access.Kind != routes.Tenant {
			continue
		}
		p := ex.Target(c, rt.Path)
		for name, v := range pathParams(rt.Path, strings.SplitN(p, "?", 2)[0]) {
			if name != "tenantId" && v != "me" {
				ids[v] = true
			}
		}
	}
	// globex has a project "default" of its own; a short value is no id.
	delete(ids, "default")
	for id := range ids {
		if len(id) < 8 {
			delete(ids, id)
		}
	}
	twins := map[string]string{}
	var sorted []string
	for id := range ids {
		twins[id] = missingTwin(id)
		sorted = append(sorted, id)
	}
	t.Logf("acme's ids and their missing twins: %v", twins)
	// Longer ids first, so an id that contains another is replaced whole.
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	swap := func(s string) string {
		var pairs []string
		for _, id := range sorted {
			pairs = append(pairs, id, twins[id])
		}
		return strings.NewReplacer(pairs...).Replace(s)
	}

	// globex's Super Admin, on acme's tier so no tier gate answers first.
	other := w.Principal("owner@globex.test")
	other.Tier = tiers.Premium
	stranger := w.API.As(other)
	send := func(ex apitest.Example, method, path string, body []byte) *apitest.Response {
		var b any
		if body != nil {
			b = body
		}
		return stranger.Do(method, path, b, ex.Headers...)
	}

	tried := 0
	for _, rt := range routes.All() {
		if rt.Access.Kind != routes.Tenant {
			continue
		}
		ex, ok := examples[rt.OperationID]
		require.True(t, ok, "no example for %s", rt.OperationID)
		path := ex.Target(c, rt.Path)
		var body []byte
		if ex.Body != nil {
			raw, err := json.Marshal(ex.Body)
			require.NoError(t, err)
			body = raw
		}
		if swap(path) == path && (body == nil || swap(string(body)) == string(body)) {
			// A route whose path names an object must have its case: the
			// list of cases is the route table's, none left out.
			for name, v := range pathParams(rt.Path, strings.SplitN(path, "?", 2)[0]) {
				if v != "me" {
					t.Errorf("%s %s names an object (%s=%s) that is not acme's: no case of another tenant's object", rt.Method, rt.Path, name, v)
				}
			}
			continue // names no object of acme's
		}
		tried++
		t.Run(rt.OperationID, func(t *testing.T) {
			var missingBody []byte
			if body != nil {
				missingBody = []byte(swap(string(body)))
			}
			foreign := send(ex, rt.Method, path, body)
			missing := send(ex, rt.Method, swap(path), missingBody)
			assert.Less(t, foreign.Status, 500, "acme's objects: %s", foreign.Body)
			assert.Less(t, missing.Status, 500, "missing objects: %s", missing.Body)
			assert.Equal(t, missing.Status, foreign.Status, "acme's objects: %s\nmissing ones: %s", foreign.Body, missing.Body)
			if foreign.Status < 300 && strings.Contains(rt.Path, "{") {
				t.Errorf("another tenant's %s answered %d: %s", rt.Path, foreign.Status, foreign.Body)
			}
			if foreign.Status >= 400 && missing.Status >= 400 {
				// An id echoed in the detail is the one sent: compare with acme's ids swapped.
				assert.JSONEq(t, problemOf(t, missing), swap(problemOf(t, foreign)), "acme's objects and missing ones answer differently")
			}
		})
	}
	assert.GreaterOrEqual(t, tried, 71, "routes naming acme's objects")
	t.Logf("%d routes naming acme's objects", tried)

	// Filters naming acme's objects: the same answer (status, items) as
	// filters naming missing ones.
	filters := map[string]string{"assignee": c["userId"], "team": c["teamId"], "label": c["labelId"],
		"project": projectID, "parent": c["issueId"], "cycle": c["cycleId"]}
	for _, list := range []string{"/v1/issues?", "/v1/search?q=zebra&", "/v1/analytics/issues?bucket=week&"} {
		for name, id := range filters {
			if strings.HasPrefix(list, "/v1/analytics") && name != "team" && name != "assignee" {
				continue
			}
			target := list + name + "=" + id
			t.Run("GET "+target, func(t *testing.T) {
				foreign, missing := stranger.Do("GET", target, nil), stranger.Do("GET", swap(target), nil)
				assert.Less(t, foreign.Status, 500, string(foreign.Body))
				require.Equal(t, missing.Status, foreign.Status, "acme's: %s\nmissing: %s", foreign.Body, missing.Body)
				if foreign.Status >= 400 {
					assert.JSONEq(t, problemOf(t, missing), swap(problemOf(t, foreign)))
					return
				}
				f, m := foreign.Map(t), missing.Map(t)
				delete(f, "next_cursor")
				delete(m, "next_cursor")
				assert.Equal(t, m, f, "a filter naming acme's object answers otherwise than one naming nothing")
			})
		}
	}
}

// pathParams matches a concrete path against a route path.
func pathParams(route, path string) map[string]string {
	rs, ps := strings.Split(route, "/"), strings.Split(path, "/")
	out := map[string]string{}
	if len(rs) != len(ps) {
		return out
	}
	for i, r := range rs {
		if strings.HasPrefix(r, "{") {
			out[strings.Trim(r, "{}")] = ps[i]
		}
	}
	return out
}

var (
	ulidRe = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)
	uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	hexRe  = regexp.MustCompile(`^[0-9a-f]{16,}$`)
)

// missingTwin is a well-formed id of the same shape that names nothing.
func missingTwin(id string) string {
	switch {
	case ulidRe.MatchString(id):
		return id[:10] + "0000000000000000"
	case uuidRe.MatchString(id):
		return id[:24] + "000000000000"
	case hexRe.MatchString(id):
		return id[:len(id)-8] + "00000000"
	}
	// Another shape (a key such as ACM-1, a slug): change its last
	// characters, keeping its alphabet.
	r := []byte(id)
	for i := len(r) - 1; i >= 0 && i >= len(r)-3; i-- {
		switch {
		case r[i] >= '0' && r[i] <= '9':
			r[i] = '9'
		case r[i] >= 'a' && r[i] <= 'z':
			r[i] = 'q'
		case r[i] >= 'A' && r[i] <= 'Z':
			r[i] = 'Q'
		}
	}
	return string(r)
}

// problemOf is an error answer without its request id and instance.
func problemOf(t *testing.T, r *apitest.Response) string {
	p := map[string]any{"status": r.Status, "content-type": r.Header.Get("Content-Type"), "body": string(r.Body)}
	if r.Header.Get("Content-Type") == "application/problem+json" {
		p = r.Map(t)
		delete(p, "request_id")
		delete(p, "instance")
	}
	b, err := json.Marshal(p)
	require.NoError(t, err)
	return string(b)
}
