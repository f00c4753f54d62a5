package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// BatchGet reads the items at keys of one table (strongly consistent), 100
// keys a call, retrying unprocessed keys with a short backoff. Missing items
// are absent from the answer, which is in no particular order.
func BatchGet(ctx context.Context, db *dynamodb.Client, table string, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	for start := 0; start < len(keys); start += 100 {
		pending := keys[start:min(start+100, len(keys))]
		for attempt := 0; len(pending) > 0; attempt++ {
			if err := backoff(ctx, attempt); err != nil {
				return nil, err
			}
			res, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				table: {Keys: pending, ConsistentRead: aws.Bool(true)}}})
			if err != nil {
				return nil, fmt.Errorf("batch get %s: %w", table, err)
			}
			out = append(out, res.Responses[table]...)
			pending = res.UnprocessedKeys[table].Keys
		}
	}
	return out, nil
}

// BatchPut writes items to one table, 25 a call, retrying unprocessed ones
// (jobs: each item is a whole replacement, unconditional).
func BatchPut(ctx context.Context, db *dynamodb.Client, table string, items []map[string]types.AttributeValue) error {
	for start := 0; start < len(items); start += 25 {
		var pending []types.WriteRequest
		for _, it := range items[start:min(start+25, len(items))] {
			pending = append(pending, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		}
		for attempt := 0; len(pending) > 0; attempt++ {
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
			res, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: pending}})
			if err != nil {
				return fmt.Errorf("batch write %s: %w", table, err)
			}
			pending = res.UnprocessedItems[table]
		}
	}
	return nil
}

func backoff(ctx context.Context, attempt int) error {
	if attempt == 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Duration(20<<min(attempt, 5)) * time.Millisecond):
		return nil
	}
}
