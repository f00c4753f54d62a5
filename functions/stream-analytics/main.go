// Command stream-analytics is the analytics consumer of a tenant table's
// change stream (the pooled table in the platform stack, a Platinum
// tenant's table in its own stack): it keeps the analytics rollups
// (internal/analytics) from the records of issues, status history and
// comments.
package main

import (
	_ "time/tzdata" // tenants' time zones, whatever the runtime image holds

	"github.com/issuetracker/issuetracker/internal/app"
)

func main() { app.ServeAnalyticsStream() }
