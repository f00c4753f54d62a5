package awsx_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx"
)

// A batch call with awsx.Bulk waits for an answer that comes later than
// AttemptTimeout, once; without it the same call times out and is sent
// again by the SDK (DynamoDB Local answering a queued 25-item batch in
// 11-25 s: every attempt timed out, was executed anyway and resent, and a
// move's catch_up failed after its retries).
func TestABulkCallWaitsForASlowAnswerInsteadOfSendingItAgain(t *testing.T) {
	var sent atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		select { // answers later than an ordinary attempt waits (a lower bound: load only lengthens it)
		case <-time.After(awsx.AttemptTimeout + time.Second):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{"UnprocessedItems":{}}`))
	}))
	defer srv.Close()
	db := awsx.DynamoDB(awsx.LocalConfig(), awsx.Endpoints{DynamoDB: srv.URL})
	in := &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"t": {{PutRequest: &types.PutRequest{
		Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}, "sk": &types.AttributeValueMemberS{Value: "b"}}}}}}}
	once := func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }

	_, err := db.BatchWriteItem(context.Background(), in, once, awsx.Bulk)
	require.NoError(t, err, "the bulk call waits for the answer")
	assert.EqualValues(t, 1, sent.Load(), "sent once")

	sent.Store(0)
	_, err = db.BatchWriteItem(context.Background(), in, func(o *dynamodb.Options) { o.RetryMaxAttempts = 2 })
	assert.ErrorContains(t, err, "timeout awaiting response headers", "an ordinary call gives up after AttemptTimeout")
	assert.EqualValues(t, 2, sent.Load(), "and sends the batch again")
}
