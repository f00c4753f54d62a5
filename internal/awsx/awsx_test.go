package awsx_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"

	"github.com/issuetracker/issuetracker/internal/awsx"
)

func cancelled(codes ...string) error {
	var reasons []types.CancellationReason
	for _, c := range codes {
		reasons = append(reasons, types.CancellationReason{Code: aws.String(c)})
	}
	return fmt.Errorf("add comment: %w", &types.TransactionCanceledException{CancellationReasons: reasons})
}

func TestOnlyConflictingTransactionsAreRetried(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want aws.Ternary
	}{
		{"a conflict on one item", cancelled("None", "TransactionConflict", "None"), aws.TrueTernary},
		{"conflicts only", cancelled("TransactionConflict", "TransactionConflict"), aws.TrueTernary},
		{"a failed condition is the caller's answer", cancelled("ConditionalCheckFailed", "TransactionConflict"), aws.FalseTernary},
		{"a validation error", cancelled("None", "ValidationError"), aws.FalseTernary},
		{"no reason given", cancelled("None"), aws.FalseTernary},
		{"another error", errors.New("boom"), aws.UnknownTernary},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, awsx.TransactionConflict(c.err))
			if c.want == aws.TrueTernary {
				assert.True(t, awsx.DynamoDBRetryer().IsErrorRetryable(c.err), "the DynamoDB retryer retries it")
			}
			if c.want == aws.FalseTernary {
				assert.False(t, awsx.DynamoDBRetryer().IsErrorRetryable(c.err), "the DynamoDB retryer gives it back")
			}
		})
	}
	assert.Equal(t, awsx.DynamoDBMaxAttempts, awsx.DynamoDBRetryer().MaxAttempts())
}

// RetriesExhausted tells the SDK's giving up on an overloaded service (a
// 500, retried until the attempts ran out) from a refusal (a 400, not
// retried), on the errors a real DynamoDB client returns.
func TestRetriesExhaustedIsAnOverloadedServiceNotARefusal(t *testing.T) {
	for _, c := range []struct {
		status int
		code   string
		want   bool
	}{
		{500, "InternalServerError", true},
		{400, "ProvisionedThroughputExceededException", true},
		{400, "ValidationException", false},
		{400, "ConditionalCheckFailedException", false},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(c.status)
			fmt.Fprintf(w, `{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":"injected"}`, c.code)
		}))
		db := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
			Retryer:     retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts, o.MaxBackoff = 2, time.Millisecond })})
		_, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("t"),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k"}}})
		srv.Close()
		assert.Error(t, err)
		assert.Equal(t, c.want, awsx.RetriesExhausted(fmt.Errorf("a step: %w", err)), "%d %s: %v", c.status, c.code, err)
	}
	assert.False(t, awsx.RetriesExhausted(errors.New("not an AWS call")))
}
