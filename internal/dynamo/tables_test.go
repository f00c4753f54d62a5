package dynamo_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnsureTableCreatesTheSchemaAndIsIdempotent(t *testing.T) {
	db := testenv.DynamoDB(t)
	ctx := context.Background()
	name := testenv.UniquePrefix(t) + "-app"
	t.Cleanup(func() { _ = dynamo.DeleteTable(ctx, db, name) })

	require.NoError(t, dynamo.EnsureTable(ctx, db, schema.App, name))
	require.NoError(t, dynamo.EnsureTable(ctx, db, schema.App, name), "a second call must succeed")

	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	require.NoError(t, err)
	var gsis []string
	for _, g := range out.Table.GlobalSecondaryIndexes {
		gsis = append(gsis, aws.ToString(g.IndexName))
	}
	var want []string
	for _, ix := range schema.App.Indexes {
		want = append(want, ix.Name)
	}
	assert.ElementsMatch(t, want, gsis)
	assert.Equal(t, schema.PK, aws.ToString(out.Table.KeySchema[0].AttributeName))

	ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	require.NoError(t, err)
	assert.Equal(t, schema.ExpiresAt, aws.ToString(ttl.TimeToLiveDescription.AttributeName))

	require.NoError(t, dynamo.DeleteTable(ctx, db, name))
	require.NoError(t, dynamo.DeleteTable(ctx, db, name), "deleting a missing table is not an error")
}

func TestEnsureTableAddsTheIndexesAnOlderTableLacks(t *testing.T) {
	// A DynamoDB Local of its own: adding an index takes about a second
	// there, and a minute or more on the instance the whole suite shares
	// (make test measured 107 s for this test on it).
	db := testenv.PrivateDynamoDB(t)
	ctx := context.Background()
	name := testenv.UniquePrefix(t) + "-app"
	t.Cleanup(func() { _ = dynamo.DeleteTable(ctx, db, name) }) // when it is the shared one
	old := schema.App
	// The table as made before gsi8 and gsi9: two indexes to add, one per
	// UpdateTable.
	old.Indexes = old.Indexes[:7]
	require.NoError(t, dynamo.EnsureTable(ctx, db, old, name))

	require.NoError(t, dynamo.EnsureTable(ctx, db, schema.App, name))
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	require.NoError(t, err)
	var gsis []string
	for _, g := range out.Table.GlobalSecondaryIndexes {
		gsis = append(gsis, aws.ToString(g.IndexName))
	}
	assert.ElementsMatch(t, []string{"gsi1", "gsi2", "gsi3", "gsi4", "gsi5", "gsi6", "gsi7", "gsi8", "gsi9"}, gsis)
}
