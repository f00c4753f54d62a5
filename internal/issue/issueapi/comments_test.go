package issueapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/issuetracker/issuetracker/internal/testing/apitest"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestComments(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ann, bob, ada := w.api.As(w.ann), w.api.As(w.bob), w.api.As(w.ada)
	i := w.create(t, w.ann, map[string]any{"title": "discuss"})
	base := "/v1/issues/" + i.ID + "/comments"
	post := func(who string, body any) issue.Comment {
		t.Helper()
		caller := map[string]apitest.Caller{"ann": ann, "bob": bob}[who]
		res := caller.Do("POST", base, body)
		require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
		var c issue.Comment
		res.JSON(t, &c)
		return c
	}
	root := post("ann", map[string]any{"body": "Ping @bob and @ada.smith, see mail@example.com"})
	t.Run("mentions resolve to users; unknown ones stay text", func(t *testing.T) {
		assert.Equal(t, []issue.Mention{{Handle: "bob", UserID: w.bob.UserID}}, root.Mentions)
		assert.Contains(t, root.Body, "@ada.smith", "the text is kept as written")
	})
	reply := post("bob", map[string]any{"body": "on it", "parent_id": root.ID})
	t.Run("a reply threads under its parent", func(t *testing.T) {
		p := list[issue.Comment](t, ann, base)
		require.Len(t, p.Items, 2)
		assert.Equal(t, root.ID, p.Items[1].ParentID)
		assert.Equal(t, reply.ID, p.Items[1].ID)
	})
	t.Run("the author edits their comment, nobody else may", func(t *testing.T) {
		res := bob.Do("PATCH", base+"/"+reply.ID, `{"body":"on it, @ann"}`)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		var c issue.Comment
		res.JSON(t, &c)
		assert.NotNil(t, c.EditedAt)
		assert.Equal(t, []issue.Mention{{Handle: "ann", UserID: w.ann.UserID}}, c.Mentions)
		code, _ := problem(t, ann.Do("PATCH", base+"/"+reply.ID, `{"body":"hijack"}`), http.StatusForbidden)
		assert.Equal(t, "not_comment_author", code)
		problem(t, ada.Do("PATCH", base+"/"+reply.ID, `{"body":"hijack"}`), http.StatusForbidden)
	})
	t.Run("another user may not delete it, an admin may, leaving a tombstone", func(t *testing.T) {
		problem(t, ann.Do("DELETE", base+"/"+reply.ID, nil), http.StatusForbidden)
		require.Equal(t, http.StatusNoContent, ada.Do("DELETE", base+"/"+reply.ID, nil).Status)
		p := list[issue.Comment](t, ann, base)
		require.Len(t, p.Items, 2)
		assert.Empty(t, p.Items[1].Body)
		assert.NotNil(t, p.Items[1].DeletedAt)
		problem(t, bob.Do("PATCH", base+"/"+reply.ID, `{"body":"back"}`), http.StatusNotFound)
	})
	t.Run("the author deletes their own comment", func(t *testing.T) {
		c := post("ann", map[string]any{"body": "oops"})
		assert.Equal(t, http.StatusNoContent, ann.Do("DELETE", base+"/"+c.ID, nil).Status)
	})
	t.Run("50 parallel comments all persist and page in order", func(t *testing.T) {
		j := w.create(t, w.ann, map[string]any{"title": "busy"})
		b := "/v1/issues/" + j.ID + "/comments"
		var wg sync.WaitGroup
		for n := range 50 {
			wg.Go(func() {
				res := ann.Do("POST", b, map[string]any{"body": fmt.Sprintf("comment %d", n)})
				if res.Status != http.StatusCreated {
					t.Errorf("comment %d: %d %s", n, res.Status, res.Body)
				}
			})
		}
		wg.Wait()
		seen := map[string]bool{}
		cursor := ""
		for range 20 {
			p := list[issue.Comment](t, ann, b+"?limit=7&cursor="+url.QueryEscape(cursor))
			for _, c := range p.Items {
				assert.False(t, seen[c.Body], c.Body)
				seen[c.Body] = true
			}
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		assert.Len(t, seen, 50)
	})
	t.Run("comments of a missing issue are not found", func(t *testing.T) {
		code, _ := problem(t, ann.Do("GET", "/v1/issues/NOPE/comments", nil), http.StatusNotFound)
		assert.Equal(t, "issue_not_found", code)
	})
}
