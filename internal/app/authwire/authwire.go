// Package authwire wires the functions that guard the way in: the API's
// Lambda authorizer and the shared pool's PreSignUp trigger.
package authwire

import (
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/issuetracker/issuetracker/internal/app/cognitowire"
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/authorizer"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/federation"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

// ServeAuthorizer runs this process as the API's Lambda authorizer: the
// tenant registry, the user directory and Cognito's MFA state, built once
// per cold start.
func ServeAuthorizer() {
	core.UseLambdaLogging(routes.FnAuthorizer, os.Stdout)
	core.MustHaveEnvironment(routes.FnAuthorizer)
	deps, _ := core.Init(routes.FnAuthorizer, cognitowire.WithCognito)
	cfg, err := authorizer.ConfigFromEnv()
	if err != nil {
		log.Fatalf("authorizer: %v", err)
	}
	cfg.MFAEnabled = deps.Cognito.MFAEnabled
	if deps.CellDirectory != nil {
		cfg.Cell, cfg.Cells = deps.Cell, deps.CellDirectory
	}
	a := authorizer.New(cfg, tenantdb.New(deps.Control(), deps.Names), peopledb.UserDB{DB: deps.DB})
	lambda.Start(a.Handle)
}

// ServePreSignUp runs this process as the shared tenant pool's PreSignUp
// trigger (Google sign-in on): a first Google sign-in is linked to the
// person a tenant invited with the same verified email, everyone else is
// refused (internal/federation).
func ServePreSignUp() {
	core.UseLambdaLogging(routes.FnPreSignUp, os.Stdout)
	core.MustHaveEnvironment(routes.FnPreSignUp)
	e, err := core.LoadAWS()
	if err != nil {
		log.Fatalf("presignup: %v", err)
	}
	lambda.Start(federation.Linker{C: cognito.NewClient(e.AWS, e.Endpoints)}.Handle)
}
