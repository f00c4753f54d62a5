// Command authorizer is the API's Lambda REQUEST authorizer: it verifies the
// Cognito token, confirms tenant and user in the registry and returns the
// policy, the principal and the tenant's API key (internal/authorizer).
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/authorizer"
	"github.com/issuetracker/issuetracker/internal/identity"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

func main() {
	ctx := context.Background()
	deps, err := app.DepsFromEnv(ctx)
	if err != nil {
		log.Fatalf("authorizer: %v", err)
	}
	cfg, err := authorizer.ConfigFromEnv()
	if err != nil {
		log.Fatalf("authorizer: %v", err)
	}
	cfg.MFAEnabled = identity.Pools{C: deps.Cognito}.MFAEnabled
	a := authorizer.New(cfg, tenantdb.New(deps.Control(), deps.Names), peopledb.UserDB{DB: deps.DB})
	lambda.Start(a.Handle)
}
