package openapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/openapi"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/stretchr/testify/assert"
)

// The document describes exactly the query parameters the route table
// lets through (routes.Route.QueryParams, enforced by internal/app/core):
// none more (the guard would refuse a documented one), none fewer (an
// undocumented one the clients could not know).
func TestTheDocumentsQueryParametersAreTheRouteTables(t *testing.T) {
	bodies := openapi.Bodies()
	for _, rt := range routes.All() {
		var documented []string
		for _, q := range bodies[rt.OperationID].Query {
			documented = append(documented, q.Name)
		}
		slices.Sort(documented)
		var declared []string
		for _, p := range rt.QueryParams() {
			if !strings.HasSuffix(p, ".*") { // a family (field.<id>): the filters' descriptions name it
				declared = append(declared, p)
			}
		}
		slices.Sort(declared)
		assert.Equal(t, declared, documented, "%s %s (%s)", rt.Method, rt.Path, rt.OperationID)
	}
}

// The document describes a request body exactly for the routes that take
// one (routes.Route.TakesBody, enforced by internal/app/core: a body sent
// to another is a 400 body_not_allowed), but the one-click unsubscribe,
// whose RFC 8058 form body (List-Unsubscribe=One-Click) mail clients send
// and the route ignores.
func TestTheDocumentsRequestBodiesAreTheRouteTables(t *testing.T) {
	bodies := openapi.Bodies()
	for _, rt := range routes.All() {
		documented := bodies[rt.OperationID].Request != nil || rt.OperationID == "unsubscribeNotifications"
		assert.Equal(t, documented, rt.TakesBody(), "%s %s (%s)", rt.Method, rt.Path, rt.OperationID)
	}
}
