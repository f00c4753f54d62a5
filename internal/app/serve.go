package app

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/issuetracker/issuetracker/internal/authorizer"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/federation"
	"github.com/issuetracker/issuetracker/internal/lambdahttp"
	"github.com/issuetracker/issuetracker/internal/onboarding/awsstacks"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/usage"
)

// Serve runs fn as this process's Lambda function: clients are built once
// per cold start, then every invocation goes through the route table.
func Serve(fn routes.Function) {
	useLambdaLogging(fn, os.Stdout)
	MustHaveEnvironment(fn)
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
	// Usage is aggregated here and flushed in the background: once a
	// minute while the environment runs, and on SIGTERM (WithEnableSIGTERM
	// registers the extension that makes Lambda send it before shutdown).
	deps.Meter = NewMeter(deps)
	go deps.Meter.Run(context.Background(), usage.DefaultFlushInterval)
	lambdahttp.Start(MustFunction(fn, deps), lambda.WithEnableSIGTERM(func() {
		deps.Meter.FlushWithin(context.Background(), 400*time.Millisecond)
	}))
}

// ServeOnboardingEvents runs this process as the onboarding function: the
// provisioning pipeline's outcome events on the platform bus resume or fail
// the tenant runs that wait on them (awsstacks.Handler).
func ServeOnboardingEvents() {
	useLambdaLogging(routes.FnOnboarding, os.Stdout)
	MustHaveEnvironment(routes.FnOnboarding)
	ctx := context.Background()
	deps, err := DepsFromEnv(ctx)
	if err != nil {
		log.Fatalf("onboarding: %v", err)
	}
	svc, err := LifecycleFromEnv(ctx, deps)
	if err != nil {
		log.Fatalf("onboarding: %v", err)
	}
	lambda.Start(awsstacks.Handler{M: svc.Machine, Maintain: svc.Maintain}.Handle)
}

// ServeAuthorizer runs this process as the API's Lambda authorizer: the
// tenant registry, the user directory and Cognito's MFA state, built once
// per cold start.
func ServeAuthorizer() {
	useLambdaLogging(routes.FnAuthorizer, os.Stdout)
	MustHaveEnvironment(routes.FnAuthorizer)
	deps, err := DepsFromEnv(context.Background())
	if err != nil {
		log.Fatalf("authorizer: %v", err)
	}
	cfg, err := authorizer.ConfigFromEnv()
	if err != nil {
		log.Fatalf("authorizer: %v", err)
	}
	cfg.MFAEnabled = cognito.Pools{C: deps.Cognito}.MFAEnabled
	if deps.CellDirectory != nil {
		cfg.Cell, cfg.Cells = deps.Cell, deps.CellDirectory
	}
	a := authorizer.New(cfg, tenantdb.New(deps.Control(), deps.Names), peopledb.UserDB{DB: deps.DB})
	lambda.Start(a.Handle)
}

// MustHaveEnvironment stops a Lambda cold start when the platform stack did
// not set a variable the function needs (internal/envvars): a clear init
// error beats a function that half works. Outside Lambda (make dev, tests)
// the local platform configures the code directly.
func MustHaveEnvironment(fn routes.Function) {
	if !inLambda() {
		return
	}
	if err := envvars.Check(fn); err != nil {
		log.Fatal(err)
	}
}

// ServePreSignUp runs this process as the shared tenant pool's PreSignUp
// trigger (Google sign-in on): a first Google sign-in is linked to the
// person a tenant invited with the same verified email, everyone else is
// refused (internal/federation).
func ServePreSignUp() {
	useLambdaLogging(routes.FnPreSignUp, os.Stdout)
	MustHaveEnvironment(routes.FnPreSignUp)
	ctx := context.Background()
	e := awsx.EndpointsFromEnv()
	cfg, err := awsx.Load(ctx, e)
	if err != nil {
		log.Fatalf("presignup: %v", err)
	}
	lambda.Start(federation.Linker{C: awsx.Cognito(cfg, e)}.Handle)
}
