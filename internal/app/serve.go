package app

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/issuetracker/issuetracker/internal/authorizer"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/lambdahttp"
	"github.com/issuetracker/issuetracker/internal/onboarding/awsstacks"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

// Serve runs fn as this process's Lambda function: clients are built once
// per cold start, then every invocation goes through the route table.
func Serve(fn routes.Function) {
	useLambdaLogging(fn, os.Stdout)
	deps, err := DepsFromEnv(context.Background())
	if err != nil {
		log.Fatalf("%s: %v", fn, err)
	}
	if deps.Cursors.Keys == nil && !awsx.EndpointsFromEnv().Local() {
		log.Fatalf("%s: no list cursor key: set %s (or %s)", fn, EnvCursorKeySecret, EnvCursorKey)
	}
	if runsLifecycle(fn) {
		if deps.Lifecycle, err = LifecycleFromEnv(context.Background(), deps); err != nil {
			log.Fatalf("%s: %v", fn, err)
		}
	}
	lambdahttp.Start(MustFunction(fn, deps))
}

// ServeOnboardingEvents runs this process as the onboarding function: the
// provisioning pipeline's outcome events on the platform bus resume or fail
// the tenant runs that wait on them (awsstacks.Handler).
func ServeOnboardingEvents() {
	useLambdaLogging("onboarding", os.Stdout)
	ctx := context.Background()
	deps, err := DepsFromEnv(ctx)
	if err != nil {
		log.Fatalf("onboarding: %v", err)
	}
	svc, err := LifecycleFromEnv(ctx, deps)
	if err != nil {
		log.Fatalf("onboarding: %v", err)
	}
	lambda.Start(awsstacks.Handler{M: svc.Machine}.Handle)
}

// ServeAuthorizer runs this process as the API's Lambda authorizer: the
// tenant registry, the user directory and Cognito's MFA state, built once
// per cold start.
func ServeAuthorizer() {
	useLambdaLogging("authorizer", os.Stdout)
	deps, err := DepsFromEnv(context.Background())
	if err != nil {
		log.Fatalf("authorizer: %v", err)
	}
	cfg, err := authorizer.ConfigFromEnv()
	if err != nil {
		log.Fatalf("authorizer: %v", err)
	}
	cfg.MFAEnabled = cognito.Pools{C: deps.Cognito}.MFAEnabled
	a := authorizer.New(cfg, tenantdb.New(deps.Control(), deps.Names), peopledb.UserDB{DB: deps.DB})
	lambda.Start(a.Handle)
}
