// Command presignup is the PreSignUp trigger of the shared tenant pool when
// Google sign-in is on: it links a first Google sign-in to the person a
// tenant invited with the same verified email, and refuses everyone else
// (internal/federation).
package main

import (
	"context"
	"log"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/federation"
	"github.com/issuetracker/issuetracker/internal/routes"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	app.MustHaveEnvironment(routes.FnPreSignUp)
	ctx := context.Background()
	e := awsx.EndpointsFromEnv()
	cfg, err := awsx.Load(ctx, e)
	if err != nil {
		log.Fatalf("presignup: %v", err)
	}
	lambda.Start(federation.Linker{C: awsx.Cognito(cfg, e)}.Handle)
}
