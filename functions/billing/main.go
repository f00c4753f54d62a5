// Command billing is the Lambda function of usage and billing: the routes
// the route table gives to "billing" (internal/routes) behind API Gateway's
// REST proxy, Stripe's webhook among them, and the scheduled jobs (the
// hourly dunning and usage sweep, the monthly close) EventBridge Scheduler
// invokes it with.
package main

import (
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/routes"
)

func main() { app.Serve(routes.FnBilling) }
