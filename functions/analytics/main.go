// Command analytics is the Lambda function that serves the routes the route
// table gives to "analytics" (internal/routes): reports read from the
// rollups the stream-analytics function maintains.
package main

import (
	_ "time/tzdata" // tenants' time zones, whatever the runtime image holds

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/routes"
)

func main() { app.Serve(routes.FnAnalytics) }
