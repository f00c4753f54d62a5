package issuedb

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/usage"
)

type av = types.AttributeValue

func str(s string) *types.AttributeValueMemberS { return &types.AttributeValueMemberS{Value: s} }

// failFunc turns a failed condition of one transaction item into a domain
// error; old is the item as it was (nil when absent).
type failFunc func(old map[string]av) error

// tx builds one TransactWriteItems call; each item carries what its failed
// condition means, so a cancellation becomes the right 4xx.
type tx struct {
	table string
	items []types.TransactWriteItem
	fail  []failFunc
	err   error
	// bytes is how much the transaction grows the tenant's stored items:
	// every put adds its item's size, gone subtracts what it replaces or
	// deletes. Reported to the usage meter once the transaction commits.
	bytes int64
}

// gone records that item (as stored) is replaced or deleted by the transaction.
func (t *tx) gone(item any) {
	if m, err := attributevalue.MarshalMap(item); err == nil {
		t.bytes -= dynamo.ItemSize(m)
	}
}

func (t *tx) put(item any, cond *expression.ConditionBuilder, fail failFunc) {
	m, err := attributevalue.MarshalMap(item)
	if err != nil {
		t.err = errors.Join(t.err, err)
		return
	}
	t.bytes += dynamo.ItemSize(m)
	p := &types.Put{TableName: aws.String(t.table), Item: m}
	if cond != nil {
		e, err := expression.NewBuilder().WithCondition(*cond).Build()
		if err != nil {
			t.err = errors.Join(t.err, err)
			return
		}
		p.ConditionExpression, p.ExpressionAttributeNames, p.ExpressionAttributeValues = e.Condition(), e.Names(), e.Values()
		p.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	}
	t.items = append(t.items, types.TransactWriteItem{Put: p})
	t.fail = append(t.fail, fail)
}

func (t *tx) del(k map[string]av) { t.delIf(k, nil, nil) }

// delIf deletes k if cond holds (nil: unconditionally).
func (t *tx) delIf(k map[string]av, cond *expression.ConditionBuilder, fail failFunc) {
	d := &types.Delete{TableName: aws.String(t.table), Key: k}
	if cond != nil {
		e, err := expression.NewBuilder().WithCondition(*cond).Build()
		if err != nil {
			t.err = errors.Join(t.err, err)
			return
		}
		d.ConditionExpression, d.ExpressionAttributeNames, d.ExpressionAttributeValues = e.Condition(), e.Names(), e.Values()
		d.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	}
	t.items = append(t.items, types.TransactWriteItem{Delete: d})
	t.fail = append(t.fail, fail)
}

func (t *tx) check(k map[string]av, cond *expression.ConditionBuilder, fail failFunc) {
	e, err := expression.NewBuilder().WithCondition(*cond).Build()
	if err != nil {
		t.err = errors.Join(t.err, err)
		return
	}
	t.items = append(t.items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: aws.String(t.table), Key: k, ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}})
	t.fail = append(t.fail, fail)
}

// MaxTxItems is DynamoDB's limit of actions in one transaction.
const MaxTxItems = 100

func (t *tx) run(ctx context.Context, db *dynamodb.Client, op string) error {
	if t.err != nil {
		return fmt.Errorf("%s: %w", op, t.err)
	}
	if len(t.items) > MaxTxItems {
		return fmt.Errorf("%s: %d transaction items exceed %d", op, len(t.items), MaxTxItems)
	}
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: t.items})
	var tce *types.TransactionCanceledException
	if failed, ok := dynamo.CancelledItems(err); ok && errors.As(err, &tce) {
		for i, f := range failed {
			if f && i < len(t.fail) && t.fail[i] != nil {
				return t.fail[i](tce.CancellationReasons[i].Item)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	usage.AddItemBytes(ctx, t.bytes)
	return nil
}

func notExists() *expression.ConditionBuilder {
	c := expression.AttributeNotExists(expression.Name("pk"))
	return &c
}

func exists() *expression.ConditionBuilder {
	c := expression.AttributeExists(expression.Name("pk"))
	return &c
}
