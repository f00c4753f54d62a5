package app

import (
	"context"
	"log"
	"os"

	"github.com/issuetracker/issuetracker/internal/lambdahttp"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// Serve runs fn as this process's Lambda function: clients are built once
// per cold start, then every invocation goes through the route table.
func Serve(fn routes.Function) {
	useLambdaLogging(fn, os.Stdout)
	deps, err := DepsFromEnv(context.Background())
	if err != nil {
		log.Fatalf("%s: %v", fn, err)
	}
	lambdahttp.Start(MustFunction(fn, deps))
}
