package tenantdata_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

// The freeze's drain reads the old home only: after a Sync and a
// CheckTarget (before the freeze), Drain writes the last changes (an
// added item, an updated one, a deleted one) and returns digests that say
// both homes are equal, which a whole read of the new home confirms.
// Something else writing the new home after the Sync is caught by
// CheckTarget, outside the freeze.
func TestTheDrainWritesAndChecksOnlyTheLastChanges(t *testing.T) {
	ctx := tenancy.WithTenant(context.Background(), "t1")
	db, names := testenv.Tables(t)
	to := onboarding.Home{Table: names.App() + "-t1", Silo: true}
	require.NoError(t, dynamo.EnsureTable(ctx, db, schema.App, to.Table))
	from := onboarding.Home{Table: names.App()}
	p := schema.TenantKeyPrefix("t1")
	put := func(table, pk, sk string) {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: every(pk, sk)})
		require.NoError(t, err)
	}
	for _, sk := range []string{"META", "C#01", "C#02", "H#01"} {
		put(from.Table, p+"ISSUE#1", sk)
	}
	s := tenantdata.Store{DB: db, Memo: tenantdata.NewSyncMemo()}
	n, _, err := s.Sync(ctx, "t1", from, to)
	require.NoError(t, err)
	require.Equal(t, 4, n)
	require.NoError(t, s.CheckTarget(ctx, "t1", to))

	// The last changes: one added, one changed, one deleted.
	put(from.Table, p+"ISSUE#2", "META")
	_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(from.Table), Key: map[string]types.AttributeValue{
		schema.PK: &types.AttributeValueMemberS{Value: p + "ISSUE#1"}, schema.SK: &types.AttributeValueMemberS{Value: "C#01"}},
		UpdateExpression:          aws.String("SET n = :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "7"}}})
	require.NoError(t, err)
	_, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(from.Table), Key: map[string]types.AttributeValue{
		schema.PK: &types.AttributeValueMemberS{Value: p + "ISSUE#1"}, schema.SK: &types.AttributeValueMemberS{Value: "H#01"}}})
	require.NoError(t, err)

	n, src, dst, err := s.Drain(ctx, "t1", from, to)
	require.NoError(t, err)
	assert.Equal(t, 3, n, "only the last changes are written")
	assert.Equal(t, src, dst)
	whole, err := s.Digest(ctx, "t1", to)
	require.NoError(t, err)
	assert.Equal(t, src, whole, "the new home read whole agrees")

	// A stray write into the new home after the Sync fails the check.
	_, _, err = s.Sync(ctx, "t1", from, to)
	require.NoError(t, err)
	put(to.Table, p+"ISSUE#9", "META")
	err = s.CheckTarget(ctx, "t1", to)
	assert.True(t, errs.Is(err, errs.KindUnprocessable), "verification_failed: %v", err)
	// Without a memo (a run resumed elsewhere), Drain reads both homes.
	n, src, dst, err = s.Drain(ctx, "t1", from, to)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the stray item deleted")
	assert.Equal(t, src, dst)
}
