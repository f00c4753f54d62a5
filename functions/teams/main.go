// Command teams is the Lambda function that serves the routes the route table
// gives to "teams" (internal/routes), behind API Gateway's REST proxy.
package main

import (
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/routes"
)

func main() { app.Serve(routes.FnTeams) }
