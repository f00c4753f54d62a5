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
