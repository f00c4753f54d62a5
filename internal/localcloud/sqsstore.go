package localcloud

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/issuetracker/issuetracker/internal/schema"
)

// DefaultVisibilityTimeout is SQS's: a received message is hidden this
// long unless deleted.
const DefaultVisibilityTimeout = 30 * time.Second

// StoredQueue is a local SQS queue whose messages are kept in a DynamoDB
// table with pk/sk keys (the control table: pk "LOCALSQS#<name>", sk
// "<sent at>|<id>"), so they survive a restart of the local platform, as a
// queue's messages survive in AWS (for its retention period).
type StoredQueue struct {
	DB    *dynamodb.Client
	Table string
	// Name is the queue's name (the last part of its URL).
	Name string
}

// Message is a received message.
type Message struct {
	ID, Body, ReceiptHandle string
	ReceiveCount            int
	SentAt                  time.Time
}

func (q *StoredQueue) pk() *types.AttributeValueMemberS {
	return &types.AttributeValueMemberS{Value: "LOCALSQS#" + q.Name}
}

// Send adds a message, visible after delay; it returns its id.
func (q *StoredQueue) Send(ctx context.Context, body string, delay time.Duration) (string, error) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	now := time.Now().UTC()
	_, err := q.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(q.Table), Item: map[string]types.AttributeValue{
		"pk": q.pk(), "sk": &types.AttributeValueMemberS{Value: schema.TimeKey(now) + "|" + id},
		"body":       &types.AttributeValueMemberS{Value: body},
		"visible_at": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(delay).UnixMilli(), 10)},
		"receives":   &types.AttributeValueMemberN{Value: "0"},
	}})
	if err != nil {
		return "", fmt.Errorf("queue %s: %w", q.Name, err)
	}
	return id, nil
}

type storedMessage struct {
	sk, body  string
	visibleAt int64
	receives  int
}

func (q *StoredQueue) all(ctx context.Context) ([]storedMessage, error) {
	var out []storedMessage
	var start map[string]types.AttributeValue
	for {
		res, err := q.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(q.Table), ConsistentRead: aws.Bool(true),
			KeyConditionExpression:    aws.String("pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": q.pk()}, ExclusiveStartKey: start})
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", q.Name, err)
		}
		for _, it := range res.Items {
			m := storedMessage{}
			if v, ok := it["sk"].(*types.AttributeValueMemberS); ok {
				m.sk = v.Value
			}
			if v, ok := it["body"].(*types.AttributeValueMemberS); ok {
				m.body = v.Value
			}
			if v, ok := it["visible_at"].(*types.AttributeValueMemberN); ok {
				m.visibleAt, _ = strconv.ParseInt(v.Value, 10, 64)
			}
			if v, ok := it["receives"].(*types.AttributeValueMemberN); ok {
				m.receives, _ = strconv.Atoi(v.Value)
			}
			out = append(out, m)
		}
		if start = res.LastEvaluatedKey; start == nil {
			return out, nil
		}
	}
}

// Receive returns up to n visible messages, oldest first, and hides each
// for visibility (a message received twice at once is not handed out
// twice: the hide is conditional).
func (q *StoredQueue) Receive(ctx context.Context, n int, visibility time.Duration) ([]Message, error) {
	all, err := q.all(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var out []Message
	for _, m := range all {
		if len(out) == n {
			break
		}
		if m.visibleAt > now.UnixMilli() {
			continue
		}
		_, err := q.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(q.Table),
			Key:                 map[string]types.AttributeValue{"pk": q.pk(), "sk": &types.AttributeValueMemberS{Value: m.sk}},
			UpdateExpression:    aws.String("SET visible_at = :v, receives = receives + :one"),
			ConditionExpression: aws.String("visible_at = :was"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":v":   &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(visibility).UnixMilli(), 10)},
				":one": &types.AttributeValueMemberN{Value: "1"},
				":was": &types.AttributeValueMemberN{Value: strconv.FormatInt(m.visibleAt, 10)},
			}})
		var cf *types.ConditionalCheckFailedException
		if errors.As(err, &cf) {
			continue // received by someone else meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", q.Name, err)
		}
		sent, id, _ := strings.Cut(m.sk, "|")
		at, _ := time.Parse(time.RFC3339Nano, sent)
		out = append(out, Message{ID: id, Body: m.body, ReceiptHandle: m.sk, ReceiveCount: m.receives + 1, SentAt: at})
	}
	return out, nil
}

// Delete removes a received message by its receipt handle.
func (q *StoredQueue) Delete(ctx context.Context, receipt string) error {
	if !strings.Contains(receipt, "|") {
		return fmt.Errorf("queue %s: invalid receipt handle %q", q.Name, receipt)
	}
	_, err := q.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(q.Table),
		Key: map[string]types.AttributeValue{"pk": q.pk(), "sk": &types.AttributeValueMemberS{Value: receipt}}})
	if err != nil {
		return fmt.Errorf("queue %s: %w", q.Name, err)
	}
	return nil
}

// Count is how many messages are visible and how many are hidden
// (received and not deleted, or delayed).
func (q *StoredQueue) Count(ctx context.Context) (visible, hidden int, err error) {
	all, err := q.all(ctx)
	if err != nil {
		return 0, 0, err
	}
	now := time.Now().UnixMilli()
	for _, m := range all {
		if m.visibleAt <= now {
			visible++
		} else {
			hidden++
		}
	}
	return visible, hidden, nil
}
