// Command teams is the Lambda function that serves the routes the route table
// gives to "teams" (internal/routes), behind API Gateway's REST proxy.
package main

import (
	"context"
	"log"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/lambdahttp"
	"github.com/issuetracker/issuetracker/internal/routes"
)

func main() {
	deps, err := app.DepsFromEnv(context.Background())
	if err != nil {
		log.Fatalf("teams: %v", err)
	}
	lambdahttp.Start(app.MustFunction(routes.FnTeams, deps))
}
