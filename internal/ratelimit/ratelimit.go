// Package ratelimit counts attempts per key in fixed windows shared by every
// function instance (the public lifecycle endpoints' limits per client
// address and per registration). The API gateway's usage plans are not here:
// they are per tenant API key (internal/gateway, the CDK API construct).
package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/issuetracker/issuetracker/internal/dynamo"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// Limiter counts attempts per key in fixed windows.
type Limiter interface {
	// Allow counts one attempt for key; false with the wait when over the limit.
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// Window is a fixed-window counter in the control table, shared by
// every function instance: pk "RATE#<scope>#<key>", sk the window start;
// items expire by TTL after their window.
type Window struct {
	DB     *dynamodb.Client
	Table  string
	Scope  string
	Max    int
	Window time.Duration
	Now    func() time.Time
}

// Allow implements Limiter with one conditional UpdateItem.
func (l Window) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	start := now.Truncate(l.Window)
	_, err := l.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(l.Table),
		Key:                      dynamo.Key(schema.ControlRate+l.Scope+"#"+key, strconv.FormatInt(start.Unix(), 10)),
		UpdateExpression:         aws.String("ADD #n :one SET #exp = :exp"),
		ConditionExpression:      aws.String("attribute_not_exists(#n) OR #n < :max"),
		ExpressionAttributeNames: map[string]string{"#n": "count", "#exp": schema.ExpiresAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": &types.AttributeValueMemberN{Value: "1"},
			":max": &types.AttributeValueMemberN{Value: strconv.Itoa(l.Max)},
			":exp": &types.AttributeValueMemberN{Value: strconv.FormatInt(start.Add(2*l.Window).Unix(), 10)},
		},
	})
	if dynamo.ConditionFailed(err) {
		return false, start.Add(l.Window).Sub(now), nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("rate limit %s: %w", l.Scope, err)
	}
	return true, 0, nil
}
