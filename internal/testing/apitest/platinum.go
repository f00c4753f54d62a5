package apitest

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
)

// TablePlatinum provisions a Platinum tenant as a table of its own in
// DynamoDB Local (the application schema, named after the test's prefix),
// its users staying in PoolID, or, with Pools set, in a pool of its own
// (and an app client) there: the tenant stack without the CDK synth, so
// tests of what happens to the data and users (tier migrations) run in
// seconds. The real stack is provisioned by localdeploy (internal/devstack's
// tests).
type TablePlatinum struct {
	DB     *dynamodb.Client
	Names  schema.Names
	PoolID string
	// Pools and IssuerBase (cognito-local's URL), when set, give each
	// tenant a pool of its own.
	Pools      *cognito.Pools
	IssuerBase string
}

var _ onboarding.Provisioner = TablePlatinum{}

// Table is the tenant's table.
func (p TablePlatinum) Table(tenantID string) string { return p.Names.App() + "-" + tenantID }

// Provision implements onboarding.Provisioner.
func (p TablePlatinum) Provision(ctx context.Context, t tenant.Tenant) (onboarding.Placement, error) {
	if err := dynamo.EnsureTable(ctx, p.DB, schema.App, p.Table(t.ID)); err != nil {
		return onboarding.Placement{}, err
	}
	if p.Pools == nil {
		return onboarding.Placement{Table: p.Table(t.ID), UserPoolID: p.PoolID}, nil
	}
	pool, err := cognitotest.EnsurePool(ctx, p.Pools.C, p.Table(t.ID))
	if err != nil {
		return onboarding.Placement{}, err
	}
	client, err := cognitotest.EnsureClient(ctx, p.Pools.C, pool, "web")
	if err != nil {
		return onboarding.Placement{}, err
	}
	return onboarding.Placement{Table: p.Table(t.ID), UserPoolID: pool,
		Issuer: strings.TrimSuffix(p.IssuerBase, "/") + "/" + pool, ClientIDs: []string{client}}, nil
}

// Destroy implements onboarding.Provisioner.
func (p TablePlatinum) Destroy(ctx context.Context, t tenant.Tenant) error {
	return dynamo.DeleteTable(ctx, p.DB, p.Table(t.ID))
}
