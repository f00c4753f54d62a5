package devstack

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

// SeedTenant adds an active pooled tenant and its users (password
// DemoPassword) to a running local platform, as the demo seed does: trusted,
// without sign-up. Load and fault-injection runs use it; it is idempotent.
func SeedTenant(ctx context.Context, db *dynamodb.Client, cog *cognitoidentityprovider.Client, pl Platform, dt DemoTenant) error {
	names := schema.Names{Prefix: pl.Prefix}
	return seedTenant(ctx, tenantdb.New(db, names), peopledb.UserDB{DB: db}, cognito.Pools{C: cog}, pl.TenantPoolID, names, dt)
}
