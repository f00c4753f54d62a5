package app_test

import (
	"testing"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/stretchr/testify/require"
)

// Every route of the table has an operation in its function, so the route
// table, the CDK API and the handlers cannot drift.
func TestEveryRouteHasAnOperation(t *testing.T) {
	d := app.Deps{Names: schema.Names{Prefix: "unit"}}
	for _, fn := range routes.Functions() {
		t.Run(string(fn), func(t *testing.T) {
			_, err := app.Function(fn, d)
			require.NoError(t, err)
		})
	}
}
