package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// control writes to DynamoDB Local directly, without the platform, while
// it is killed: each writer advances its own counter with a conditional
// TransactWriteItems (the kind of call an issue write makes) and records
// the newest value acknowledged. A counter found below it after the restart
// is a write DynamoDB Local acknowledged and lost by itself, which tells an
// emulator's loss from the platform's.
type control struct {
	db    *dynamodb.Client
	table string
	acked []atomic.Int64
	at    []atomic.Int64 // when the newest acknowledged value was answered (Unix ns)
	stop  atomic.Bool
	wg    sync.WaitGroup
}

const controlWriters = 16

func startControl(ctx context.Context, endpoint, table string) (*control, error) {
	e := awsx.Endpoints{DynamoDB: endpoint}
	cfg, err := awsconfig.Load(ctx, e)
	if err != nil {
		return nil, err
	}
	c := &control{db: awsx.DynamoDB(cfg, e), table: table, acked: make([]atomic.Int64, controlWriters), at: make([]atomic.Int64, controlWriters)}
	if err := dynamo.EnsureTable(ctx, c.db, schema.App, c.table); err != nil {
		return nil, err
	}
	for w := range controlWriters {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			for next := int64(1); !c.stop.Load(); {
				if c.write(ctx, w, next) == nil {
					c.at[w].Store(time.Now().UnixNano())
					c.acked[w].Store(next)
					next++
				}
			}
		}()
	}
	return c, nil
}

func (c *control) key(w int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{schema.PK: &types.AttributeValueMemberS{Value: fmt.Sprintf("CONTROL#%d", w)},
		schema.SK: &types.AttributeValueMemberS{Value: "COUNTER"}}
}

func (c *control) write(ctx context.Context, w int, v int64) error {
	item := c.key(w)
	item["v"] = &types.AttributeValueMemberN{Value: fmt.Sprint(v)}
	entry := map[string]types.AttributeValue{schema.PK: item[schema.PK], schema.SK: &types.AttributeValueMemberS{Value: fmt.Sprintf("LOG#%09d", v)}}
	_, err := c.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(c.table), Item: item, ConditionExpression: aws.String("attribute_not_exists(v) OR v = :prev"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":prev": &types.AttributeValueMemberN{Value: fmt.Sprint(v - 1)}}}},
		{Put: &types.Put{TableName: aws.String(c.table), Item: entry}},
	}})
	return err
}

// halt stops the writers (after the kill).
func (c *control) halt() { c.stop.Store(true); c.wg.Wait() }

// lost reads every counter back (after the restart) and returns how many
// are below the value acknowledged, and how many writes were acknowledged;
// it prints each counter behind with how long before the kill its value
// was acknowledged.
func (c *control) lost(ctx context.Context, killed time.Time) (lost int, acked int64, err error) {
	for w := range controlWriters {
		out, err := c.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(c.table), Key: c.key(w), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return 0, 0, err
		}
		var got int64
		if n, ok := out.Item["v"].(*types.AttributeValueMemberN); ok {
			fmt.Sscan(n.Value, &got)
		}
		a := c.acked[w].Load()
		acked += a
		if got < a {
			lost++
			fmt.Printf("   control counter %d: %d acknowledged %s before the SIGKILL, %d found\n", w, a, killed.Sub(time.Unix(0, c.at[w].Load())).Round(time.Millisecond), got)
		}
	}
	return lost, acked, nil
}
