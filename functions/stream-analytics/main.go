// Command stream-analytics is the Lambda function that consumes a tenant table's stream for analytics.
// It imports only its own wiring (internal/app/analyticswire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	_ "time/tzdata" // tenants' time zones, whatever the runtime image holds

	"github.com/issuetracker/issuetracker/internal/app/analyticswire"
)

func main() { analyticswire.ServeAnalyticsStream() }
