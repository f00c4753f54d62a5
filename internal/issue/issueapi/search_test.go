package issueapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSearch(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ann := w.api.As(w.ann)
	login := w.create(t, w.ann, map[string]any{"title": "Login fails with SSO", "description": "The authentication callback times out", "type": "bug"})
	audit := w.create(t, w.ann, map[string]any{"title": "Audit export", "description": "Export the login history for auditors", "priority": "high"})
	other := w.create(t, w.ann, map[string]any{"title": "Dark mode", "description": "Nice to have"})
	res := ann.Do("POST", "/v1/issues/"+other.ID+"/comments", map[string]any{"body": "Blocked by the authentication rewrite"})
	require.Equal(t, http.StatusCreated, res.Status)

	search := func(q string) []string {
		t.Helper()
		p := list[issue.Hit](t, ann, "/v1/search?q="+url.QueryEscape(q))
		var keys []string
		for _, h := range p.Items {
			keys = append(keys, h.Issue.Key)
		}
		return keys
	}
	t.Run("a word matches titles and descriptions, title matches ranked first", func(t *testing.T) {
		assert.Equal(t, []string{login.Key, audit.Key}, search("login"))
	})
	t.Run("a prefix matches longer words, in comments too", func(t *testing.T) {
		assert.ElementsMatch(t, []string{login.Key, other.Key}, search("authent"))
		assert.ElementsMatch(t, []string{login.Key, audit.Key}, search("logi"))
	})
	t.Run("every word must match", func(t *testing.T) {
		assert.Equal(t, []string{audit.Key}, search("login export"))
		assert.Empty(t, search("login zebra"))
	})
	t.Run("search combines with the list filters", func(t *testing.T) {
		p := list[issue.Hit](t, ann, "/v1/search?q=login&type=bug")
		require.Len(t, p.Items, 1)
		assert.Equal(t, login.Key, p.Items[0].Issue.Key)
	})
	t.Run("results page with a cursor tied to the query", func(t *testing.T) {
		p := list[issue.Hit](t, ann, "/v1/search?q=login&limit=1")
		require.Len(t, p.Items, 1)
		require.NotEmpty(t, p.NextCursor)
		p2 := list[issue.Hit](t, ann, "/v1/search?q=login&limit=1&cursor="+p.NextCursor)
		require.Len(t, p2.Items, 1)
		assert.Equal(t, audit.Key, p2.Items[0].Issue.Key)
		assert.Empty(t, p2.NextCursor)
		_, field := problem(t, ann.Do("GET", "/v1/search?q=export&cursor="+p.NextCursor, nil), http.StatusBadRequest)
		assert.Equal(t, "cursor", field)
	})
	t.Run("an edit re-indexes: old words stop matching, new ones match", func(t *testing.T) {
		require.Equal(t, http.StatusOK, ann.Do("PATCH", "/v1/issues/"+other.ID, `{"title":"Theme switcher"}`).Status)
		assert.Empty(t, search("dark"))
		assert.Equal(t, []string{other.Key}, search("theme"))
	})
	t.Run("deleted issues and comments leave the results", func(t *testing.T) {
		require.Equal(t, http.StatusNoContent, w.api.As(w.ada).Do("DELETE", "/v1/issues/"+audit.ID, nil).Status)
		assert.Equal(t, []string{login.Key}, search("login"))
	})
	t.Run("another tenant finds nothing of this one", func(t *testing.T) {
		p := list[issue.Hit](t, w.api.As(w.gus), "/v1/search?q=login")
		assert.Empty(t, p.Items)
	})
}

// Search with projects and sub-issues: project= takes a key (current or
// former) or an id, parent= an issue's key or id, and a search for an
// issue's key finds that issue, sub-issue or not.
func TestSearchByProjectKeyAndSubIssues(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ann, ada := w.api.As(w.ann), w.api.As(w.ada)
	res := ada.Do("POST", "/v1/projects", map[string]any{"key": "WEB", "name": "Web"})
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	webID := res.Map(t)["id"].(string)
	parent := w.create(t, w.ann, map[string]any{"title": "Checkout redesign", "project_id": "WEB"})
	child := w.create(t, w.ann, map[string]any{"title": "Checkout button colour", "project_id": "WEB", "parent_id": parent.Key})
	other := w.create(t, w.ann, map[string]any{"title": "Checkout latency"})
	require.Equal(t, parent.ID, child.ParentID)

	keys := func(target string) []string {
		t.Helper()
		p := list[issue.Hit](t, ann, target)
		var out []string
		for _, h := range p.Items {
			out = append(out, h.Issue.Key)
		}
		return out
	}
	assert.ElementsMatch(t, []string{parent.Key, child.Key, other.Key}, keys("/v1/search?q=checkout"))
	assert.ElementsMatch(t, []string{parent.Key, child.Key}, keys("/v1/search?q=checkout&project=WEB"))
	assert.ElementsMatch(t, []string{parent.Key, child.Key}, keys("/v1/search?q=checkout&project=web"), "keys in any case")
	assert.ElementsMatch(t, []string{parent.Key, child.Key}, keys("/v1/search?q=checkout&project="+webID))
	assert.Equal(t, []string{other.Key}, keys("/v1/search?q=checkout&project=default"))
	assert.Equal(t, []string{child.Key}, keys("/v1/search?q=checkout&parent="+parent.Key), "sub-issues of a parent by key")
	assert.Equal(t, []string{child.Key}, keys("/v1/search?q=checkout&parent="+parent.ID))
	p := list[issue.Hit](t, ann, "/v1/search?q=button")
	require.Len(t, p.Items, 1)
	assert.Equal(t, parent.ID, p.Items[0].Issue.ParentID, "a sub-issue's hit names its parent")

	// a renamed project's old key still filters
	require.Equal(t, http.StatusOK, ada.Do("PATCH", "/v1/projects/WEB", map[string]any{"key": "SHOP"}).Status)
	assert.ElementsMatch(t, []string{parent.Key, child.Key}, keys("/v1/search?q=checkout&project=WEB"))
	assert.ElementsMatch(t, []string{parent.Key, child.Key}, keys("/v1/search?q=checkout&project=SHOP"))

	// a key as the query (any case, a former key too) finds that issue first
	for _, q := range []string{child.Key, strings.ToLower(child.Key), strings.Replace(child.Key, "WEB", "SHOP", 1)} {
		p := list[issue.Hit](t, ann, "/v1/search?q="+url.QueryEscape(q))
		require.NotEmpty(t, p.Items, q)
		assert.Equal(t, child.ID, p.Items[0].Issue.ID, q)
		assert.Equal(t, issue.KeyHitScore, p.Items[0].Score, q)
	}
	p = list[issue.Hit](t, ann, "/v1/search?q="+child.Key+"&project=default")
	for _, h := range p.Items {
		assert.NotEqual(t, child.ID, h.Issue.ID, "the filters still apply")
	}

	_, field := problem(t, ann.Do("GET", "/v1/search?q=checkout&project=NOPE", nil), http.StatusBadRequest)
	assert.Equal(t, "project", field)
	_, field = problem(t, ann.Do("GET", "/v1/search?q=checkout&parent=WEB-99", nil), http.StatusBadRequest)
	assert.Equal(t, "parent", field)
}
