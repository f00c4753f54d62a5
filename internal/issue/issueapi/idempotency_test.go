package issueapi_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ann := w.api.As(w.ann)
	body := `{"title":"once"}`
	first := ann.Do("POST", "/v1/issues", body, "Idempotency-Key", "k1")
	require.Equal(t, http.StatusCreated, first.Status)

	t.Run("a retry with the same key and body replays the first response", func(t *testing.T) {
		again := ann.Do("POST", "/v1/issues", body, "Idempotency-Key", "k1")
		assert.Equal(t, http.StatusCreated, again.Status)
		assert.JSONEq(t, string(first.Body), string(again.Body))
		assert.Equal(t, first.Header.Get("ETag"), again.Header.Get("ETag"))
		assert.Equal(t, first.Header.Get("Location"), again.Header.Get("Location"))
		assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	})
	t.Run("the same key with another body is a 422", func(t *testing.T) {
		code, field := problem(t, ann.Do("POST", "/v1/issues", `{"title":"twice"}`, "Idempotency-Key", "k1"), http.StatusUnprocessableEntity)
		assert.Equal(t, "idempotency_key_reused", code)
		assert.Equal(t, "Idempotency-Key", field)
	})
	t.Run("keys are per caller", func(t *testing.T) {
		res := w.api.As(w.bob).Do("POST", "/v1/issues", body, "Idempotency-Key", "k1")
		assert.Equal(t, http.StatusCreated, res.Status)
		assert.NotEqual(t, first.Map(t)["id"], res.Map(t)["id"])
	})
	t.Run("parallel retries of one key create one issue", func(t *testing.T) {
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				res := ann.Do("POST", "/v1/issues", `{"title":"racy"}`, "Idempotency-Key", "k-race")
				if res.Status != http.StatusCreated && res.Status != http.StatusConflict {
					t.Errorf("status %d: %s", res.Status, res.Body)
				}
				if res.Status == http.StatusConflict && res.Header.Get("Retry-After") == "" {
					t.Errorf("a 409 idempotency_in_progress says when to retry: %s", res.Body)
				}
			})
		}
		wg.Wait()
	})
	t.Run("comments, transitions and labels are idempotent too", func(t *testing.T) {
		var i issue.Issue
		first.JSON(t, &i)
		c1 := ann.Do("POST", "/v1/issues/"+i.ID+"/comments", `{"body":"hi"}`, "Idempotency-Key", "c1")
		c2 := ann.Do("POST", "/v1/issues/"+i.ID+"/comments", `{"body":"hi"}`, "Idempotency-Key", "c1")
		assert.JSONEq(t, string(c1.Body), string(c2.Body))
		t1 := ann.Do("POST", "/v1/issues/"+i.ID+"/transitions", `{"to":"in_progress"}`, "Idempotency-Key", "t1")
		t2 := ann.Do("POST", "/v1/issues/"+i.ID+"/transitions", `{"to":"in_progress"}`, "Idempotency-Key", "t1")
		assert.Equal(t, http.StatusOK, t2.Status, "a replayed transition is not a forbidden in_progress → in_progress")
		assert.JSONEq(t, string(t1.Body), string(t2.Body))
		l1 := w.api.As(w.ada).Do("POST", "/v1/labels", `{"name":"dup"}`, "Idempotency-Key", "l1")
		l2 := w.api.As(w.ada).Do("POST", "/v1/labels", `{"name":"dup"}`, "Idempotency-Key", "l1")
		assert.Equal(t, http.StatusCreated, l2.Status)
		assert.JSONEq(t, string(l1.Body), string(l2.Body))
	})
	t.Run("nothing was created twice", func(t *testing.T) {
		var titles []string
		for _, i := range list[issue.Issue](t, ann, "/v1/issues?limit=100").Items {
			titles = append(titles, i.Title)
		}
		assert.ElementsMatch(t, []string{"once", "once", "racy"}, titles)
		assert.Len(t, list[issue.Comment](t, ann, "/v1/issues/"+first.Map(t)["id"].(string)+"/comments").Items, 1)
	})
}

// TestTenantIsolation: every issue, comment, label and search route answers
// another tenant's objects exactly as missing ones.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	i := w.create(t, w.ann, map[string]any{"title": "secret plan"})
	res := w.api.As(w.ann).Do("POST", "/v1/issues/"+i.ID+"/comments", `{"body":"secret"}`)
	require.Equal(t, http.StatusCreated, res.Status)
	c := res.Map(t)["id"].(string)
	l := w.label(t, "secret")
	gus := w.gus
	gus.Role = w.ada.Role // even an admin of the other tenant
	caller := w.api.As(gus)
	routes := []struct{ method, path, body string }{
		{"GET", "/v1/issues/" + i.ID, ""},
		{"GET", "/v1/issues/ACME-1", ""},
		{"PATCH", "/v1/issues/" + i.ID, `{"title":"mine"}`},
		{"DELETE", "/v1/issues/" + i.ID, ""},
		{"POST", "/v1/issues/" + i.ID + "/transitions", `{"to":"closed"}`},
		{"GET", "/v1/issues/" + i.ID + "/history", ""},
		{"GET", "/v1/issues/" + i.ID + "/activity", ""},
		{"GET", "/v1/issues/" + i.ID + "/comments", ""},
		{"POST", "/v1/issues/" + i.ID + "/comments", `{"body":"x"}`},
		{"PATCH", "/v1/issues/" + i.ID + "/comments/" + c, `{"body":"x"}`},
		{"DELETE", "/v1/issues/" + i.ID + "/comments/" + c, ""},
		{"PATCH", "/v1/labels/" + l.ID, `{"name":"x"}`},
		{"DELETE", "/v1/labels/" + l.ID, ""},
	}
	for _, r := range routes {
		t.Run(r.method+" "+r.path+" is a 404 for another tenant", func(t *testing.T) {
			var body any
			if r.body != "" {
				body = r.body
			}
			got := caller.Do(r.method, r.path, body)
			code, _ := problem(t, got, http.StatusNotFound)
			// The same answer as for an id that exists nowhere.
			absent := caller.Do(r.method, replaceIDs(r.path, i.ID, c, l.ID), body)
			absentCode, _ := problem(t, absent, http.StatusNotFound)
			assert.Equal(t, absentCode, code)
		})
	}
	t.Run("search finds none of it", func(t *testing.T) {
		assert.Empty(t, list[map[string]any](t, caller, "/v1/search?q=secret").Items)
	})
	t.Run("and the owner still has everything", func(t *testing.T) {
		var got issue.Issue
		w.api.As(w.ann).Do("GET", "/v1/issues/"+i.ID, nil).JSON(t, &got)
		assert.Equal(t, "secret plan", got.Title)
		assert.Equal(t, int64(1), got.Version)
		assert.Len(t, list[issue.Comment](t, w.api.As(w.ann), "/v1/issues/"+i.ID+"/comments").Items, 1)
	})
}

func replaceAll(s, old, new string) string { return strings.ReplaceAll(s, old, new) }

func replaceIDs(path string, ids ...string) string {
	for _, id := range ids {
		path = replaceAll(path, id, "01ZZZZZZZZZZZZZZZZZZZZZZZZ")
	}
	return replaceAll(path, "ACME-1", "ACME-999")
}
