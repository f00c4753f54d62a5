// Command analytics is the Lambda function that serves the analytics routes (metrics and reports) behind API Gateway's REST proxy.
// It imports only its own wiring (internal/app/analyticswire), so its binary links
// only what its routes need (docs/architecture.md, "Wiring").
package main

import (
	_ "time/tzdata" // tenants' time zones, whatever the runtime image holds

	"github.com/issuetracker/issuetracker/internal/app/analyticswire"
	"github.com/issuetracker/issuetracker/internal/app/core"
)

func main() { core.Serve(analyticswire.Analytics) }
