package localcloud_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/webhook"
	"github.com/issuetracker/issuetracker/internal/webhook/sqsqueue"
)

// The functions' SendMessage (sqsqueue.Client, hand-signed awsJson1.0, as
// a function process has it) sends to the local queue: the body and delay
// arrive, and the client accepts the answer (it checks the body's MD5).
func TestTheLocalSQSTakesTheFunctionsSendMessage(t *testing.T) {
	type msg struct {
		body  string
		delay time.Duration
	}
	got := make(chan msg, 1)
	srv := httptest.NewServer(localcloud.SQS(map[string]localcloud.SQSSender{"WebhookQueue": func(body string, delay time.Duration) error {
		got <- msg{body, delay}
		return nil
	}}))
	defer srv.Close()
	cfg := awsx.LocalConfig()
	cfg.BaseEndpoint = aws.String(srv.URL)
	q := sqsqueue.Queue{Client: sqsqueue.Client{Config: cfg}, URL: "https://sqs.us-east-1.amazonaws.com/000000000000/WebhookQueue"}
	task := webhook.Task{Table: "t", TenantID: "acme", EndpointID: "ep", DeliveryID: "d1", Attempt: 2}
	require.NoError(t, q.Send(context.Background(), task, 5*time.Second))
	m := <-got
	assert.JSONEq(t, `{"table":"t","tenant_id":"acme","endpoint_id":"ep","delivery_id":"d1","attempt":2}`, m.body)
	assert.Equal(t, 5*time.Second, m.delay)

	q.URL = "https://sqs.us-east-1.amazonaws.com/000000000000/Other"
	err := q.Send(context.Background(), task, 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "QueueDoesNotExist")
}

// A stored queue (a stream mapping's on-failure queue) is read as an
// operator reads a dead-letter queue with the SDK: the message sent is
// received with its body and receive count, hidden while in flight, and
// gone once deleted; the counts follow.
func TestAStoredQueueIsReadWithTheSDK(t *testing.T) {
	db, names := testenv.Tables(t)
	q := &localcloud.StoredQueue{DB: db, Table: names.Control(), Name: "StreamAnalyticsFailures"}
	srv := httptest.NewServer(localcloud.SQSWith(nil, func(n string) *localcloud.StoredQueue {
		if n == q.Name {
			return q
		}
		return nil
	}))
	defer srv.Close()
	ctx := context.Background()
	c := sqs.NewFromConfig(awsx.LocalConfig(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	url := aws.String("https://sqs.us-east-1.amazonaws.com/000000000000/" + q.Name)
	_, err := q.Send(ctx, `{"condition":"RetryAttemptsExhausted"}`, 0)
	require.NoError(t, err)
	count := func() (string, string) {
		a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
		require.NoError(t, err)
		return a.Attributes["ApproximateNumberOfMessages"], a.Attributes["ApproximateNumberOfMessagesNotVisible"]
	}
	v, h := count()
	assert.Equal(t, []string{"1", "0"}, []string{v, h})
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 60})
	require.NoError(t, err)
	require.Len(t, out.Messages, 1)
	assert.JSONEq(t, `{"condition":"RetryAttemptsExhausted"}`, aws.ToString(out.Messages[0].Body))
	assert.Equal(t, "1", out.Messages[0].Attributes["ApproximateReceiveCount"])
	again, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url})
	require.NoError(t, err)
	assert.Empty(t, again.Messages, "in flight: hidden for its visibility timeout")
	v, h = count()
	assert.Equal(t, []string{"0", "1"}, []string{v, h})
	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: out.Messages[0].ReceiptHandle})
	require.NoError(t, err)
	v, h = count()
	assert.Equal(t, []string{"0", "0"}, []string{v, h})
	_, err = c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: url})
	assert.ErrorContains(t, err, "UnsupportedOperation")
}
