package localcloud_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/webhook"
	"github.com/issuetracker/issuetracker/internal/webhook/sqsqueue"
)

// The SDK's SQS client, as a function process has it, sends to the local
// queue: the body and delay arrive, and the SDK accepts the answer (it
// checks the body's MD5).
func TestTheLocalSQSTakesTheSDKsSendMessage(t *testing.T) {
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
	c := sqs.NewFromConfig(awsx.LocalConfig(), func(o *sqs.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	q := sqsqueue.Queue{Client: c, URL: "https://sqs.us-east-1.amazonaws.com/000000000000/WebhookQueue"}
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
