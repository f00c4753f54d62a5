package apitest

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant"
)

// TablePlatinum provisions a Platinum tenant as a table of its own in
// DynamoDB Local (the application schema, named after the test's prefix),
// its users staying in PoolID: the tenant stack without the CDK synth, so
// tests of what happens to the data (tier migrations) run in seconds. The
// real stack is provisioned by localdeploy (internal/devstack's tests).
type TablePlatinum struct {
	DB     *dynamodb.Client
	Names  schema.Names
	PoolID string
}

var _ onboarding.Provisioner = TablePlatinum{}

// Table is the tenant's table.
func (p TablePlatinum) Table(tenantID string) string { return p.Names.App() + "-" + tenantID }

// Provision implements onboarding.Provisioner.
func (p TablePlatinum) Provision(ctx context.Context, t tenant.Tenant) (onboarding.Placement, error) {
	if err := dynamo.EnsureTable(ctx, p.DB, schema.App, p.Table(t.ID)); err != nil {
		return onboarding.Placement{}, err
	}
	return onboarding.Placement{Table: p.Table(t.ID), UserPoolID: p.PoolID}, nil
}

// Destroy implements onboarding.Provisioner.
func (p TablePlatinum) Destroy(ctx context.Context, t tenant.Tenant) error {
	return dynamo.DeleteTable(ctx, p.DB, p.Table(t.ID))
}
