package keylog

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/issuetracker/issuetracker/internal/schema"
)

// Middleware is installed only on WriteOperations: every operation whose
// input keysOf reads a key from must be in it, and only those.
func TestWriteOperationsAreWhatKeysOfReads(t *testing.T) {
	tg := &Target{Tenant: "acme", Table: "t"}
	it := map[string]types.AttributeValue{schema.PK: &types.AttributeValueMemberS{Value: schema.TenantKeyPrefix("acme") + "I#1"},
		schema.SK: &types.AttributeValueMemberS{Value: "ISSUE"}}
	tbl := aws.String("t")
	inputs := []any{
		&dynamodb.GetItemInput{TableName: tbl, Key: it},
		&dynamodb.QueryInput{TableName: tbl},
		&dynamodb.ScanInput{TableName: tbl},
		&dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"t": {Keys: []map[string]types.AttributeValue{it}}}},
		&dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{{Get: &types.Get{TableName: tbl, Key: it}}}},
		&dynamodb.ExecuteStatementInput{Statement: aws.String("SELECT 1")},
		&dynamodb.PutItemInput{TableName: tbl, Item: it},
		&dynamodb.UpdateItemInput{TableName: tbl, Key: it},
		&dynamodb.DeleteItemInput{TableName: tbl, Key: it},
		&dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"t": {{PutRequest: &types.PutRequest{Item: it}}}}},
		&dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: &types.Put{TableName: tbl, Item: it}}}},
	}
	var logged []string
	for _, in := range inputs {
		if len(tg.keysOf(in)) > 0 {
			logged = append(logged, strings.TrimSuffix(reflect.TypeOf(in).Elem().Name(), "Input"))
		}
	}
	if !slices.Equal(logged, WriteOperations) {
		t.Fatalf("keysOf reads keys of %v; Middleware is installed on %v", logged, WriteOperations)
	}
}
