package awsx_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
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
