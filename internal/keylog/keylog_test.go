package keylog_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
)

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{schema.PK: &types.AttributeValueMemberS{Value: pk}, schema.SK: &types.AttributeValueMemberS{Value: sk}}
}

// Under a Target, every kind of write into the target's table logs the
// tenant's keys it writes, each once in Keys, and nothing else: not
// another tenant's keys in the same call, not another table, not reads,
// not writes made before the log's checkpoint. A log that cannot be
// written stops the write.
func TestWritesLogTheirKeysFirst(t *testing.T) {
	db, names := testenv.Tables(t)
	table := names.App()
	p, other := schema.TenantKeyPrefix("kl1"), schema.TenantKeyPrefix("kl2")
	base := tenancy.WithTenant(context.Background(), "kl1")
	_, err := db.PutItem(base, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key(p+"ISSUE#0", "META")})
	require.NoError(t, err, "before the log")
	since := time.Now()
	ctx := keylog.With(base, &keylog.Target{Tenant: "kl1", Table: table, DB: db})

	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key(p+"ISSUE#1", "META")})
	require.NoError(t, err)
	_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key(p+"ISSUE#1", "META"),
		UpdateExpression: aws.String("SET n = :n"), ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "1"}}})
	require.NoError(t, err)
	_, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key(p+"ISSUE#0", "META")})
	require.NoError(t, err)
	_, err = db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: {
		{PutRequest: &types.PutRequest{Item: key(p+"ISSUE#2", "META")}},
		{DeleteRequest: &types.DeleteRequest{Key: key(p+"ISSUE#3", "META")}},
	}}})
	require.NoError(t, err)
	_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(table), Item: key(p+"ISSUE#4", "C#1")}},
		{Update: &types.Update{TableName: aws.String(table), Key: key(p+"ISSUE#4", "META"), UpdateExpression: aws.String("SET n = :n"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "2"}}}},
		{Put: &types.Put{TableName: aws.String(names.Control()), Item: key("IDEM#x", "IDEM")}}, // another table
	}})
	require.NoError(t, err)
	_, err = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key(p+"ISSUE#5", "META")})
	require.NoError(t, err, "a read logs nothing")
	// Another tenant's key in the same table is not this log's business.
	_, err = db.PutItem(tenancy.WithTenant(ctx, "kl2"), &dynamodb.PutItemInput{TableName: aws.String(table), Item: key(other+"ISSUE#9", "META")})
	require.NoError(t, err)

	got, err := keylog.Keys(base, db, table, "kl1", since)
	require.NoError(t, err)
	var ids []string
	for id := range got {
		ids = append(ids, id)
	}
	assert.ElementsMatch(t, []string{
		p + "ISSUE#1\x00META", p + "ISSUE#0\x00META", p + "ISSUE#2\x00META", p + "ISSUE#3\x00META", p + "ISSUE#4\x00C#1", p + "ISSUE#4\x00META",
	}, ids)
	later, err := keylog.Keys(base, db, table, "kl1", time.Now())
	require.NoError(t, err)
	assert.Empty(t, later, "nothing logged after the checkpoint")

	// The log cannot be written: the write is not sent.
	bad := keylog.With(base, &keylog.Target{Tenant: "kl1", Table: table, DB: failing{}})
	_, err = db.PutItem(bad, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key(p+"ISSUE#7", "META")})
	require.Error(t, err)
	out, err := db.GetItem(base, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key(p+"ISSUE#7", "META"), ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	assert.Nil(t, out.Item, "a write whose key could not be logged is not made")
}

type failing struct{}

func (failing) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return nil, errors.New("log unavailable")
}

// A logged write is bounded (keylog.Bound from the time its key was
// logged, over every attempt): one held longer fails with
// context.DeadlineExceeded and is never sent, though its key is logged.
// And a Target's Admit is asked before each write: a refusal fails the
// write unsent and unlogged (the guard's check made again, so a request
// admitted before a freeze cannot begin a write long after it).
func TestALoggedWriteIsBoundedAndAdmittedAnew(t *testing.T) {
	db, names := testenv.Tables(t)
	table := names.App()
	p := schema.TenantKeyPrefix("kl3")
	base := tenancy.WithTenant(context.Background(), "kl3")
	since := time.Now()
	refuse := errors.New("frozen")
	var admit error
	ctx := keylog.With(base, &keylog.Target{Tenant: "kl3", Table: table, DB: db, Admit: func(context.Context) error { return admit }})

	// Held after the key log, before sending, longer than the bound.
	began := time.Now()
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key(p+"ISSUE#1", "META")}, func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("Hold", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				select {
				case <-time.After(keylog.Bound + 2*time.Second):
				case <-ctx.Done():
					return middleware.FinalizeOutput{}, middleware.Metadata{}, ctx.Err()
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
		})
	})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(began), keylog.Bound+time.Second, "given up at the bound")
	got, err := db.GetItem(base, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key(p+"ISSUE#1", "META"), ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	assert.Empty(t, got.Item, "never sent")

	admit = refuse
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key(p+"ISSUE#2", "META")})
	require.ErrorIs(t, err, refuse)
	got, err = db.GetItem(base, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key(p+"ISSUE#2", "META"), ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	assert.Empty(t, got.Item, "refused unsent")

	keys, err := keylog.Keys(base, db, table, "kl3", since)
	require.NoError(t, err)
	assert.Contains(t, keys, keylog.ID(key(p+"ISSUE#1", "META")), "the bounded write's key is logged")
	assert.NotContains(t, keys, keylog.ID(key(p+"ISSUE#2", "META")), "a refused write logs nothing")
}
