package app_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// caller of a route in the world: Root for root routes, acme's Super Admin
// for the others.
func callerFor(w *apitest.World, rt routes.Route) apitest.Caller {
	if rt.Access.Kind == routes.Root {
		return w.Root()
	}
	return w.As("owner@acme.test")
}

// target of a list route with its query.
func target(c apitest.Content, rt routes.Route, q url.Values) string {
	if rt.OperationID == "searchIssues" {
		q.Set("q", "zebra")
	}
	return c.Path(rt.Path) + "?" + q.Encode()
}

// Every list of the route table, found by asking every GET route for a
// page with a forged cursor: each one answers 400 invalid_cursor to a
// forged, truncated, oversized, foreign (another list, another tenant) or
// extended cursor, and pages with the cursors it wrote.
func TestEveryListRefusesForeignAndForgedCursors(t *testing.T) {
	t.Parallel()
	w := apitest.NewWorld(t)
	c := w.SeedContent()

	var lists []routes.Route
	for _, rt := range routes.All() {
		if rt.Method != http.MethodGet {
			continue
		}
		res := callerFor(w, rt).Do("GET", target(c, rt, url.Values{"cursor": {"forged.cursor"}}), nil)
		if res.Status == http.StatusBadRequest && res.Map(t)["code"] == "invalid_cursor" {
			lists = append(lists, rt)
		}
	}
	var found []string
	for _, rt := range lists {
		found = append(found, rt.OperationID)
	}
	for _, want := range []string{"listIssues", "searchIssues", "listIssueStatusHistory", "listIssueActivity", "listComments",
		"listUsers", "listUserTeams", "listTeams", "listTeamMembers", "rootListTenantUsers", "listTenants", "listTenantAudit"} {
		assert.Contains(t, found, want, "a list that does not check its cursor")
	}

	cursors := map[string]string{}
	for _, rt := range lists {
		t.Run(rt.OperationID, func(t *testing.T) {
			if rt.OperationID == "listInvoices" {
				// Invoices are paged by the provider, and stripe-mock answers
				// one fixed page: there is no second page to walk. The forged
				// cursor above, and billingapi's tests (bad limits, a provider
				// id as cursor), cover its checks.
				t.Skip("stripe-mock lists one fixed page of invoices")
			}
			caller := callerFor(w, rt)
			first := caller.Do("GET", target(c, rt, url.Values{"limit": {"1"}}), nil)
			require.Equal(t, http.StatusOK, first.Status, string(first.Body))
			next, _ := first.Map(t)["next_cursor"].(string)
			require.NotEmpty(t, next, "the seeded list has more than one entry")
			cursors[rt.OperationID] = next

			second := caller.Do("GET", target(c, rt, url.Values{"limit": {"1"}, "cursor": {next}}), nil)
			require.Equal(t, http.StatusOK, second.Status, "its own cursor pages: %s", second.Body)
			assert.NotEqual(t, first.Map(t)["items"], second.Map(t)["items"])

			body, tag, _ := strings.Cut(next, ".")
			raw, _ := base64.RawURLEncoding.DecodeString(body)
			extended := base64.RawURLEncoding.EncodeToString(append(raw[:len(raw)-1], []byte(`,"gsi9pk":"T#globex#X"}`)...)) + "." + tag
			bad := map[string]string{
				"truncated":                       next[:len(next)-2],
				"with extra attributes, same tag": extended,
				"flipped":                         strings.ToUpper(next[:4]) + next[4:],
				"oversized":                       strings.Repeat("A", 5000),
				"unsigned":                        body,
			}
			for other, oc := range cursors {
				if other != rt.OperationID {
					bad["of "+other] = oc
				}
			}
			for name, cur := range bad {
				res := caller.Do("GET", target(c, rt, url.Values{"limit": {"1"}, "cursor": {cur}}), nil)
				assert.Equal(t, http.StatusBadRequest, res.Status, "%s: %s", name, res.Body)
				if res.Header.Get("Content-Type") == "application/problem+json" {
					assert.Contains(t, []any{"invalid_cursor", "malformed_query"}, res.Map(t)["code"], name)
				}
			}
			if rt.Access.Kind == routes.Tenant {
				res := w.As("owner@globex.test").Do("GET", target(apitest.Content{"tenantId": "globex"}, rt, url.Values{"limit": {"1"}, "cursor": {next}}), nil)
				if res.Status != http.StatusNotFound { // a list under an acme object is a 404 for globex
					assert.Equal(t, http.StatusBadRequest, res.Status, "another tenant's cursor: %s", res.Body)
					assert.Equal(t, "invalid_cursor", res.Map(t)["code"])
				}
			}
			for _, limit := range []string{"0", "101", "ten", "-1", "", "1.5", "+5", "05"} {
				res := caller.Do("GET", target(c, rt, url.Values{"limit": {limit}}), nil)
				assert.Equal(t, http.StatusBadRequest, res.Status, "limit=%s: %s", limit, res.Body)
			}
		})
	}
}
