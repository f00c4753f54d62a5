package awsx_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx"
)

// errStop ends a call once its stack is built: nothing is sent.
var errStop = errors.New("stack seen")

// ourMiddlewares are the IDs of the middlewares awsx.DynamoDB adds (txclaim,
// keylog, owntoken), as they appear on a call's stack.
var ourMiddlewares = []string{"IdempotencyClaimMarker", "MigrationKeyLog", "OwnWriteToken", "OwnWriteTokenAttempts"}

// The SDK builds every call's middleware stack anew: a middleware added to
// every operation costs every read its insertion and a layer of the handler
// chain (11 of a GetItem's 470 allocations). awsx.DynamoDB's own middlewares
// act on writes only (the idempotency marker on TransactWriteItems, the
// migration key log on the five writes, the write token on the conditional
// single-item writes) and must be on those, and on no read.
func TestWriteMiddlewaresStayOffReads(t *testing.T) {
	db := awsx.DynamoDB(awsx.LocalConfig(), awsx.Endpoints{DynamoDB: "http://127.0.0.1:1"})
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k"}}
	tbl := aws.String("t")
	calls := map[string]func(ctx context.Context, o func(*dynamodb.Options)) error{
		"GetItem": func(ctx context.Context, o func(*dynamodb.Options)) error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: key}, o)
			return err
		},
		"Query": func(ctx context.Context, o func(*dynamodb.Options)) error {
			_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: tbl}, o)
			return err
		},
		"Scan": func(ctx context.Context, o func(*dynamodb.Options)) error {
			_, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: tbl}, o)
			return err
		},
		"BatchGetItem": func(ctx context.Context, o func(*dynamodb.Options)) error {
			_, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"t": {Keys: []map[string]types.AttributeValue{key}}}}, o)
			return err
		},
		"TransactGetItems": func(ctx context.Context, o func(*dynamodb.Options)) error {
			_, err := db.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{{Get: &types.Get{TableName: tbl, Key: key}}}}, o)
			return err
		},
		"PutItem": func(ctx context.Context, o func(*dynamodb.Options)) error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: key}, o)
			return err
		},
		"UpdateItem": func(ctx context.Context, o func(*dynamodb.Options)) error {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tbl, Key: key}, o)
			return err
		},
		"DeleteItem": func(ctx context.Context, o func(*dynamodb.Options)) error {
			_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: tbl, Key: key}, o)
			return err
		},
		"BatchWriteItem": func(ctx context.Context, o func(*dynamodb.Options)) error {
			_, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"t": {{DeleteRequest: &types.DeleteRequest{Key: key}}}}}, o)
			return err
		},
		"TransactWriteItems": func(ctx context.Context, o func(*dynamodb.Options)) error {
			_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Delete: &types.Delete{TableName: tbl, Key: key}}}}, o)
			return err
		},
	}
	want := map[string][]string{
		"GetItem": nil, "Query": nil, "Scan": nil, "BatchGetItem": nil, "TransactGetItems": nil,
		"PutItem":            {"MigrationKeyLog", "OwnWriteToken", "OwnWriteTokenAttempts"},
		"UpdateItem":         {"MigrationKeyLog", "OwnWriteToken", "OwnWriteTokenAttempts"},
		"DeleteItem":         {"MigrationKeyLog", "OwnWriteToken", "OwnWriteTokenAttempts"},
		"BatchWriteItem":     {"MigrationKeyLog"},
		"TransactWriteItems": {"IdempotencyClaimMarker", "MigrationKeyLog"},
	}
	for op, call := range calls {
		var got []string
		see := func(o *dynamodb.Options) {
			o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
				require.Equal(t, op, st.ID())
				for _, id := range append(st.Initialize.List(), st.Finalize.List()...) {
					for _, ours := range ourMiddlewares {
						if id == ours {
							got = append(got, id)
						}
					}
				}
				return errStop
			})
		}
		err := call(context.Background(), see)
		require.ErrorIs(t, err, errStop, op)
		assert.ElementsMatch(t, want[op], got, "%s carries %v", op, got)
	}
}
