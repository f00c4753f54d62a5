package routes_test

import (
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTableIsWellFormed(t *testing.T) {
	seenOp := map[string]bool{}
	seenRoute := map[string]bool{}
	for _, r := range routes.All() {
		key := r.Method + " " + r.Path
		assert.False(t, seenRoute[key], "duplicate route %s", key)
		seenRoute[key] = true
		assert.False(t, seenOp[r.OperationID], "duplicate operation id %s", r.OperationID)
		seenOp[r.OperationID] = true
		assert.Contains(t, []string{"GET", "POST", "PUT", "PATCH", "DELETE"}, r.Method, key)
		assert.True(t, r.Path == "/health" || strings.HasPrefix(r.Path, "/v1/"), "%s is not versioned", key)
		assert.NotEmpty(t, r.Function, key)
		assert.NotEmpty(t, routes.Summary(r.OperationID), key)
		if r.Access.Kind == routes.Tenant {
			assert.True(t, r.Access.MinRole.IsTenant(), "%s needs a tenant MinRole", key)
		}
	}
}

func TestMatch(t *testing.T) {
	r, params, ok := routes.Match("GET", "/v1/me")
	require.True(t, ok)
	assert.Equal(t, "getMe", r.OperationID)
	assert.Empty(t, params)

	_, _, ok = routes.Match("DELETE", "/v1/me")
	assert.False(t, ok, "a known path with another method is a missing route")

	_, _, ok = routes.Match("GET", "/v1/nothing")
	assert.False(t, ok)

	// A literal segment wins over a parameter, as in API Gateway's
	// resource tree, whatever the table's order.
	r, params, ok = routes.Match("POST", "/v1/issues/bulk")
	require.True(t, ok)
	assert.Equal(t, "bulkEditIssues", r.OperationID)
	assert.Empty(t, params)
	_, _, ok = routes.Match("GET", "/v1/issues/bulk")
	assert.False(t, ok, "GET /v1/issues/bulk is not getIssue with the id \"bulk\"")
	r, params, ok = routes.Match("GET", "/v1/issues/ACME-1")
	require.True(t, ok)
	assert.Equal(t, "getIssue", r.OperationID)
	assert.Equal(t, map[string]string{"issueId": "ACME-1"}, params)
}

// Every pair of routes whose paths can both match one request: the one
// Match picks must be the one API Gateway's resource tree picks (the
// literal segment first), so no route is shadowed by a parameter.
func TestNoRouteIsShadowedByAParameter(t *testing.T) {
	for _, rt := range routes.All() {
		path := rt.Path // parameters filled with a value no literal has
		for _, seg := range strings.Split(rt.Path, "/") {
			if strings.HasPrefix(seg, "{") {
				path = strings.Replace(path, seg, "x-"+strings.Trim(seg, "{}"), 1)
			}
		}
		got, _, ok := routes.Match(rt.Method, path)
		require.True(t, ok, "%s %s", rt.Method, path)
		assert.Equal(t, rt.OperationID, got.OperationID, "%s %s", rt.Method, path)
	}
}

func TestAccessAllows(t *testing.T) {
	admin := routes.Access{Kind: routes.Tenant, MinRole: roles.Admin}
	assert.False(t, admin.Allows(roles.User))
	assert.True(t, admin.Allows(roles.Admin))
	assert.True(t, admin.Allows(roles.SuperAdmin))
	assert.False(t, admin.Allows(roles.Root), "root is not a tenant role")
	assert.True(t, routes.Access{Kind: routes.Root}.Allows(roles.Root))
	assert.False(t, routes.Access{Kind: routes.Root}.Allows(roles.SuperAdmin))
}

func TestOnlyPOSTsOfTheTableClaimTheirKeyInTheWrite(t *testing.T) {
	var got []string
	for _, rt := range routes.All() {
		if rt.WriteClaimsKey() {
			got = append(got, rt.Method+" "+rt.Path)
		}
	}
	assert.ElementsMatch(t, []string{"POST /v1/issues", "POST /v1/issues/{issueId}/comments"}, got)
}

// Match splits the request's path and fills its parameters; the table's
// paths are split once, not per request (the gateway matches every one).
func TestMatchAllocatesOnlyForTheRequest(t *testing.T) {
	routes.Match("GET", "/v1/issues/ISS-1") // the templates, once
	allocs := testing.AllocsPerRun(100, func() {
		if _, p, ok := routes.Match("GET", "/v1/issues/ISS-1"); !ok || p["issueId"] == "" {
			t.Fatal("no match")
		}
	})
	if allocs > 3 {
		t.Fatalf("Match allocated %.0f times; want at most 3 (the path's segments, the parameters map and its entries; 12 when every route's path was split per call)", allocs)
	}
}

func TestResourcePathsAreEveryPrefixOfEveryRoute(t *testing.T) {
	got := routes.ResourcePathsOf([]routes.Route{
		{Method: "GET", Path: "/health"},
		{Method: "DELETE", Path: "/v1/issues/{issueId}/relations/{relationId}"},
		{Method: "POST", Path: "/v1/issues"},
	})
	assert.Equal(t, []string{"/", "/health", "/v1", "/v1/issues", "/v1/issues/{issueId}", "/v1/issues/{issueId}/relations",
		"/v1/issues/{issueId}/relations/{relationId}"}, got)
	assert.Contains(t, routes.ResourcePaths(), "/v1/admin", "a resource without methods of its own")
}
