package tenantapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/audit/auditdb"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/mail/maildb"
	"github.com/issuetracker/issuetracker/internal/tenantapi"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
)

// Root lists the mail suppression list and lifts an address off it: the
// platform mails it again, and the lift is audited with what the address
// was suppressed for. Nobody else may; a malformed or unlisted address
// changes nothing.
func TestRootListsAndLiftsMailSuppressions(t *testing.T) {
	t.Parallel()
	w := apitest.NewWorld(t)
	ctx := context.Background()
	sup := maildb.Suppressions{DB: w.Deps.Control(), Table: w.Deps.Names.Control()}
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, s := range []mail.Suppression{{Address: "Ann@Example.com", Reason: mail.ReasonBounce, Detail: "550 5.1.1 user unknown", At: at},
		{Address: "bob@example.com", Reason: mail.ReasonComplaint, At: at}, {Address: "carl@example.com", Reason: mail.ReasonBounce, At: at}} {
		require.NoError(t, sup.Suppress(ctx, s))
	}
	root := w.Root()

	var addrs []string
	path := "/v1/admin/suppressions?limit=2"
	for path != "" {
		res := root.Do("GET", path, nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		var pg list.Page[mail.Suppression]
		res.JSON(t, &pg)
		for _, s := range pg.Items {
			addrs = append(addrs, s.Address)
			if s.Address == "ann@example.com" {
				assert.Equal(t, mail.ReasonBounce, s.Reason)
				assert.Equal(t, "550 5.1.1 user unknown", s.Detail)
				assert.True(t, at.Equal(s.At))
			}
		}
		path = ""
		if pg.NextCursor != "" {
			path = "/v1/admin/suppressions?limit=2&cursor=" + pg.NextCursor
		}
	}
	assert.Equal(t, []string{"ann@example.com", "bob@example.com", "carl@example.com"}, addrs, "every address, by address, over pages")

	for _, c := range []apitest.Caller{w.As("owner@acme.test"), w.As("owner@globex.test")} {
		assert.Equal(t, http.StatusForbidden, c.Do("GET", "/v1/admin/suppressions", nil).Status)
		assert.Equal(t, http.StatusForbidden, c.Do("DELETE", "/v1/admin/suppressions/ann@example.com", nil).Status)
	}
	res := root.Do("DELETE", "/v1/admin/suppressions/not-an-address", nil)
	require.Equal(t, http.StatusBadRequest, res.Status, string(res.Body))
	assert.Contains(t, string(res.Body), `"address"`)
	res = root.Do("DELETE", "/v1/admin/suppressions/dave@example.com", nil)
	require.Equal(t, http.StatusNotFound, res.Status, string(res.Body))
	assert.Equal(t, "mail_suppression_not_found", res.Map(t)["code"])
	suppressed, err := sup.Suppressed(ctx, "ann@example.com")
	require.NoError(t, err)
	require.True(t, suppressed, "nothing changed")

	res = root.Do("DELETE", "/v1/admin/suppressions/ANN@example.com", nil)
	require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
	suppressed, err = sup.Suppressed(ctx, "ann@example.com")
	require.NoError(t, err)
	assert.False(t, suppressed, "the platform mails the address again")
	assert.Equal(t, http.StatusNotFound, root.Do("DELETE", "/v1/admin/suppressions/ann@example.com", nil).Status, "lifted once")
	pg := root.Do("GET", "/v1/admin/suppressions", nil)
	assert.NotContains(t, string(pg.Body), "ann@example.com")

	recs, err := auditdb.New(w.Deps.Control(), w.Deps.Names).List(ctx, tenantapi.PlatformAudit, list.Request{Limit: 10})
	require.NoError(t, err)
	require.Len(t, recs.Items, 1, "one lift, one record")
	r := recs.Items[0]
	assert.Equal(t, tenantapi.ActionSuppressionLifted, r.Action)
	assert.Equal(t, "root@provider.test", r.Actor.Email)
	assert.Equal(t, map[string]string{"address": "ann@example.com", "reason": "bounce", "suppressed_at": "2026-11-30T12:00:00Z"}, r.Detail)
}
