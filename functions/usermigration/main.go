// Command usermigration is the user-migration trigger of the tenant user
// pools: after a tier migration moved a tenant between the shared pool and
// a pool of its own, each user follows with their password on their first
// sign-in (internal/cognito/usermigration). It builds only the clients it
// needs: Cognito and the control table.
package main

import (
	"log"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/assumerole"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/cognito/usermigration"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

func main() {
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		if err := envvars.Check(routes.FnUserMigration); err != nil {
			log.Fatal(err)
		}
	}
	e := awsx.EndpointsFromEnv()
	cfg, err := awsx.LoadFunction(e)
	if err != nil {
		log.Fatalf("usermigration: %v", err)
	}
	// In a Platinum tenant's own account the shared pool and the registry
	// are the platform account's: read through the role it gives the
	// tenant accounts. In the platform's account, the tenants in accounts
	// of their own give it a role on their pools (a downgrade's source).
	platform := cfg
	if arn := os.Getenv(envvars.PlatformRoleARN); arn != "" {
		platform = usermigration.CrossAccount(cfg, assumerole.New(cfg), arn, "issuetracker-user-migration")
	}
	roles, err := envvars.ParseTenantRoles(os.Getenv(envvars.TenantPoolRoles))
	if err != nil {
		log.Fatalf("usermigration: %s: %v", envvars.TenantPoolRoles, err)
	}
	pools := map[string]usermigration.Cognito{}
	for tenant, arn := range roles {
		pools[tenant] = cognito.NewClient(usermigration.CrossAccount(cfg, assumerole.New(cfg), arn, "issuetracker-user-migration-"+tenant), e)
	}
	tr := usermigration.Trigger{
		C:            cognito.NewClient(platform, e),
		Tenants:      tenantdb.New(awsx.DynamoDB(platform, e), schema.Names{Prefix: os.Getenv(envvars.TablePrefix)}),
		TenantPools:  pools,
		SharedPool:   os.Getenv(envvars.TenantPoolID),
		SharedClient: strings.Split(os.Getenv(envvars.TenantClientIDs), ",")[0],
		IssuerBase:   usermigration.IssuerBase(os.Getenv(envvars.CognitoIssuerBase), cfg.Region),
		Log:          slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	}
	if os.Getenv(envvars.CognitoIssuerBase) != "" {
		// The local platform's template mode: cognito-local needs the
		// answer to carry a sub (Trigger.Local).
		lambda.Start(tr.Local)
	}
	lambda.Start(tr.Handle)
}
