// Package authwire wires the API's Lambda authorizer. The shared pool's
// PreSignUp trigger, which links the SDK's Cognito client, is
// presignupwire's: the authorizer reads the pools' MFA state with the
// hand-signed calls (cognitowire) and does not link that client.
package authwire

import (
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/issuetracker/issuetracker/internal/app/cognitowire"
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/authorizer"
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
	cfg.MFAEnabled, cfg.UserEnabled = deps.Cognito.MFAEnabled, deps.Cognito.UserEnabled
	if deps.CellDirectory != nil {
		cfg.Cell, cfg.Cells = deps.Cell, deps.CellDirectory
	}
	a := authorizer.New(cfg, tenantdb.New(deps.Control(), deps.Names), peopledb.UserDB{DB: deps.DB})
	lambda.Start(a.Handle)
}
