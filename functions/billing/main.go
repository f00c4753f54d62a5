// Command billing is the Lambda function of usage and billing: the routes
// the route table gives to "billing" (internal/routes) behind API Gateway's
// REST proxy, Stripe's webhook among them, and the scheduled jobs (hourly:
// dunning and usage; monthly: the close) EventBridge Scheduler invokes it
// with (internal/app.RunJob).
package main

import "github.com/issuetracker/issuetracker/internal/app"

func main() { app.ServeBilling() }
