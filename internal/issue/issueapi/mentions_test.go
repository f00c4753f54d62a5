package issueapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 9 item 11: mentions resolve to user ids when the text is written,
// in issue descriptions and comments; the text stays as written and
// unknown, ambiguous or other tenants' handles stay text.
func TestMentionsResolveToUsersAtWriteTime(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	for _, u := range []people.User{
		{ID: "sam-1", Email: "sam@acme.test"}, {ID: "sam-2", Email: "sam@partner.test"},
	} {
		u.TenantID, u.Username, u.Role, u.Status = "acme", u.Email, roles.User, people.UserActive
		require.NoError(t, peopledb.UserDB{DB: w.dir.DB}.Put(ctx, tenancy.Scope{Table: w.table, TenantID: u.TenantID}, u))
	}
	bob, ann := issue.Mention{Handle: "bob@acme.test", UserID: w.bob.UserID}, w.ann.UserID

	i := w.create(t, w.ann, map[string]any{"title": "mentions",
		"description": "Hey @bob@acme.test, ask @nobody and @gus@globex.test; @sam is ambiguous, @sam@partner.test is not."})
	t.Run("an issue description: emails resolve, unknown, ambiguous and other tenants' stay text", func(t *testing.T) {
		assert.Equal(t, []issue.Mention{bob, {Handle: "sam@partner.test", UserID: "sam-2"}}, i.Mentions)
		assert.Contains(t, i.Description, "@bob@acme.test", "the text is kept as written")
		var got issue.Issue
		w.api.As(w.ann).Do("GET", "/v1/issues/"+i.ID, nil).JSON(t, &got)
		assert.Equal(t, i.Mentions, got.Mentions, "and stored")
	})
	t.Run("editing the description resolves again; other edits keep them", func(t *testing.T) {
		res := w.api.As(w.ann).Do("PATCH", "/v1/issues/"+i.ID, map[string]any{"description": "now @ann and @ADA@ACME.TEST"})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		var got issue.Issue
		res.JSON(t, &got)
		assert.Equal(t, []issue.Mention{{Handle: "ann", UserID: ann}, {Handle: "ADA@ACME.TEST", UserID: w.ada.UserID}}, got.Mentions)
		res = w.api.As(w.ann).Do("PATCH", "/v1/issues/"+i.ID, map[string]any{"priority": "high"})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		res.JSON(t, &got)
		assert.Len(t, got.Mentions, 2)
	})
	t.Run("a comment's mentions, in both forms", func(t *testing.T) {
		res := w.api.As(w.bob).Do("POST", "/v1/issues/"+i.ID+"/comments", map[string]any{"body": "@ann: see @bob@acme.test's note"})
		require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
		var c issue.Comment
		res.JSON(t, &c)
		assert.Equal(t, []issue.Mention{{Handle: "ann", UserID: ann}, bob}, c.Mentions)
	})
	t.Run("an issue without mentions lists none (not null)", func(t *testing.T) {
		res := w.api.As(w.ann).Do("POST", "/v1/issues", map[string]any{"title": "quiet"})
		assert.Contains(t, string(res.Body), `"mentions":[]`)
	})
	t.Run("another tenant cannot mention acme's users", func(t *testing.T) {
		j := w.create(t, w.gus, map[string]any{"title": "hi", "description": "@bob@acme.test @ann"})
		assert.Empty(t, j.Mentions)
	})
}
