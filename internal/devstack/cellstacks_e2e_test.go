package devstack_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// Each local cell deploys a Platinum tenant's stack under its own names: the
// stack cell-2's provisioner deploys for a tenant (a Platinum tenant moved
// in) is not cell-1's stack of that tenant. Before, both cells applied the
// synth worker's template (the first cell's names) as it was, and a
// Platinum tenant's move to cell-2 stopped in provision_target: "the new
// home is the old one (issuetracker-tenant-umbrella)".
func TestEachLocalCellDeploysATenantStackUnderItsOwnNames(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("synthesizes with the CDK app")
	}
	base := testenv.UniquePrefix(t)
	dir := schema.Names{Prefix: base}.Directory()
	t.Cleanup(func() { _ = dynamo.DeleteTable(context.Background(), testenv.DynamoDB(t), dir) })
	cell := func(id string) *platform {
		return startPlatform(t, sharedSynth, func(c *devstack.Config) { c.Prefix, c.Cell, c.Directory = base, id, dir })
	}
	one, two := cell("cell-1"), cell("cell-2")
	ctx := context.Background()
	const id = "stacks-umbrella"
	tables := map[string]string{}
	for _, p := range []*platform{one, two} {
		out, err := p.s.DeployTenantStack(ctx, id)
		require.NoError(t, err, "deploy at %s", p.pl.Cell)
		t.Cleanup(func() { _ = p.s.DestroyTenantStack(context.Background(), id) })
		tables[p.pl.Cell] = out["TableName"]
		_, err = testenv.DynamoDB(t).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(out["TableName"])})
		assert.NoError(t, err, "%s's table %s exists", p.pl.Cell, out["TableName"])
	}
	assert.Equal(t, schema.Names{Prefix: one.pl.Prefix}.Silo(id), tables["cell-1"], "cell-1 keeps the names of a platform from before cells, under the test's prefix")
	assert.Equal(t, schema.Names{Prefix: two.pl.Prefix}.Silo(id), tables["cell-2"], "cell-2's stack carries its prefix")
	assert.NotEqual(t, tables["cell-1"], tables["cell-2"])
}
