package auditapi_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/audit/auditapi"
	"github.com/issuetracker/issuetracker/internal/audit/auditdb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAWorkspaceReadsAndExportsItsOwnAuditLog(t *testing.T) {
	w := apitest.NewWorld(t)
	w.SeedUser("admin@globex.test", "globex", roles.Admin)
	log := auditdb.New(w.Deps.Control(), w.Deps.Names)
	ctx := context.Background()
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		require.NoError(t, log.Append(ctx, audit.Record{TenantID: "acme", At: at.Add(time.Duration(i) * time.Minute),
			Actor:  audit.Actor{Kind: audit.ActorTenant, Email: "owner@acme.test", SourceIP: "10.0.0.1"},
			Action: fmt.Sprintf("people.step%d", i), Detail: map[string]string{"user_id": "u1", "note": "=SUM(A1)"}}))
	}
	require.NoError(t, log.Append(ctx, audit.Record{TenantID: "acme", At: at.Add(time.Hour),
		Actor: audit.Actor{Kind: audit.ActorRoot, Email: "root@provider.test", SourceIP: "192.0.2.7"}, Action: "tenant.suspended",
		Detail: map[string]string{"reason": "x"}}))
	require.NoError(t, log.Append(ctx, audit.Record{TenantID: "globex", At: at, Actor: audit.Actor{Kind: audit.ActorTenant, Email: "owner@globex.test"},
		Action: "people.secret"}))

	t.Run("an Admin reads the workspace's records, newest first, and no other tenant's", func(t *testing.T) {
		res := w.As("admin@acme.test").Do("GET", "/v1/audit?limit=2", nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		var page struct {
			Items      []audit.Record `json:"items"`
			NextCursor string         `json:"next_cursor"`
		}
		res.JSON(t, &page)
		require.Len(t, page.Items, 2)
		assert.Equal(t, "tenant.suspended", page.Items[0].Action)
		assert.Empty(t, page.Items[0].Actor.SourceIP, "the provider's addresses stay with the provider")
		assert.Equal(t, "root@provider.test", page.Items[0].Actor.Email)
		require.NotEmpty(t, page.NextCursor)
		res = w.As("admin@acme.test").Do("GET", "/v1/audit?limit=100&cursor="+page.NextCursor, nil)
		require.Equal(t, http.StatusOK, res.Status)
		assert.NotContains(t, string(res.Body), "people.secret")
		assert.Contains(t, string(res.Body), "people.step0")
		// A cursor of acme's log is refused on globex's.
		res = w.As("owner@globex.test").Do("GET", "/v1/audit?cursor="+page.NextCursor, nil)
		assert.Equal(t, http.StatusBadRequest, res.Status)
	})
	t.Run("a User cannot read it", func(t *testing.T) {
		assert.Equal(t, http.StatusForbidden, w.As("user@acme.test").Do("GET", "/v1/audit", nil).Status)
	})
	t.Run("an Admin cannot export; a Super Admin of a tier without audit export cannot either", func(t *testing.T) {
		assert.Equal(t, http.StatusForbidden, w.As("admin@acme.test").Do("GET", "/v1/audit/export?format=csv", nil).Status)
		res := w.As("owner@globex.test").Do("GET", "/v1/audit/export?format=csv", nil)
		assert.Equal(t, http.StatusForbidden, res.Status)
		assert.Equal(t, "feature_not_in_tier", res.Map(t)["code"])
	})
	t.Run("a Premium Super Admin exports CSV, formulas defused", func(t *testing.T) {
		res := w.As("owner@acme.test").Do("GET", "/v1/audit/export?format=csv", nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		assert.Equal(t, "text/csv; charset=utf-8", res.Header.Get("Content-Type"))
		assert.Contains(t, res.Header.Get("Content-Disposition"), `attachment; filename="audit-acme-`)
		rows, err := csv.NewReader(strings.NewReader(string(res.Body))).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 5)
		assert.Equal(t, auditapi.CSVHeader, rows[0])
		assert.Equal(t, []string{"2026-11-01T10:00:00Z", "tenant.suspended", "root", "", "root@provider.test", "", "reason=x"}, rows[1])
		assert.Equal(t, "note==SUM(A1); user_id=u1", rows[2][6], "details sorted by key")
		assert.Equal(t, "10.0.0.1", rows[2][5], "the workspace's own people's addresses are its own")
		assert.Empty(t, res.Header.Get("Link"), "one answer holds it all")
	})
	t.Run("JSON export, and bad parameters", func(t *testing.T) {
		res := w.As("owner@acme.test").Do("GET", "/v1/audit/export?format=json", nil)
		require.Equal(t, http.StatusOK, res.Status)
		var recs []audit.Record
		require.NoError(t, json.Unmarshal(res.Body, &recs))
		assert.Len(t, recs, 4)
		assert.Equal(t, http.StatusBadRequest, w.As("owner@acme.test").Do("GET", "/v1/audit/export?format=xml", nil).Status)
		assert.Equal(t, http.StatusBadRequest, w.As("owner@acme.test").Do("GET", "/v1/audit/export?format=csv&tenant=globex", nil).Status)
	})
}
