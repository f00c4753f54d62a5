package sqsqueue_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/testing/sigv4test"
	"github.com/issuetracker/issuetracker/internal/webhook"
	"github.com/issuetracker/issuetracker/internal/webhook/sqsqueue"
)

// fakeSQS answers SendMessage as SQS's JSON protocol does, after checking
// the SigV4 signature (sigv4test: service sqs, the region); md5 overrides
// the answer's MD5OfMessageBody when set.
func fakeSQS(t *testing.T, md5Override string) (sqsqueue.Client, *[]map[string]any) {
	var got []map[string]any
	creds := aws.Credentials{AccessKeyID: "AKIDFUNCTION", SecretAccessKey: "secret", SessionToken: "token"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := sigv4test.Verified(r, creds, "sqs", "eu-west-1", "Content-Type", "X-Amz-Target")
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if !ok || r.Header.Get("Content-Type") != "application/x-amz-json-1.0" || r.Header.Get("X-Amz-Target") != "AmazonSQS.SendMessage" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"com.amazon.coral.service#InvalidSignatureException","message":"The request signature we calculated does not match"}`)
			return
		}
		var in map[string]any
		require.NoError(t, json.Unmarshal(b, &in))
		got = append(got, in)
		if in["QueueUrl"] != "https://sqs.eu-west-1.amazonaws.com/123456789012/WebhookQueue" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}`)
			return
		}
		m := md5.Sum([]byte(in["MessageBody"].(string)))
		digest := hex.EncodeToString(m[:])
		if md5Override != "" {
			digest = md5Override
		}
		fmt.Fprintf(w, `{"MD5OfMessageBody":%q,"MessageId":"m-1"}`, digest)
	}))
	t.Cleanup(srv.Close)
	return sqsqueue.Client{Config: aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)}}, &got
}

const queueURL = "https://sqs.eu-west-1.amazonaws.com/123456789012/WebhookQueue"

func TestSendMessageIsOneSignedJSONPost(t *testing.T) {
	ctx := context.Background()
	c, got := fakeSQS(t, "")
	q := sqsqueue.Queue{Client: c, URL: queueURL, Now: func() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) }}
	task := webhook.Task{Table: "t", TenantID: "acme", EndpointID: "ep", DeliveryID: "d1", Attempt: 2}
	require.NoError(t, q.Send(ctx, task, 90*time.Second))
	require.NoError(t, q.Send(ctx, task, 0))
	require.NoError(t, q.Send(ctx, task, time.Hour), "a longer wait is carried in the task")
	require.Len(t, *got, 3)
	assert.Equal(t, queueURL, (*got)[0]["QueueUrl"])
	assert.JSONEq(t, `{"table":"t","tenant_id":"acme","endpoint_id":"ep","delivery_id":"d1","attempt":2}`, (*got)[0]["MessageBody"].(string))
	assert.EqualValues(t, 90, (*got)[0]["DelaySeconds"])
	assert.NotContains(t, (*got)[1], "DelaySeconds")
	assert.EqualValues(t, 900, (*got)[2]["DelaySeconds"])
	assert.Contains(t, (*got)[2]["MessageBody"], `"not_before":"2026-12-01T13:00:00Z"`)

	err := sqsqueue.Queue{Client: c, URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/Other"}.Send(ctx, task, 0)
	assert.ErrorContains(t, err, "QueueDoesNotExist: The specified queue does not exist. (HTTP 400)")

	c.Config.Credentials = credentials.NewStaticCredentialsProvider("AKIDFUNCTION", "wrong", "token")
	err = sqsqueue.Queue{Client: c, URL: queueURL}.Send(ctx, task, 0)
	assert.ErrorContains(t, err, "InvalidSignatureException")
}

func TestAnAnswerForAnotherBodyIsAnError(t *testing.T) {
	c, _ := fakeSQS(t, "0123456789abcdef0123456789abcdef")
	err := c.SendMessage(context.Background(), sqsqueue.Message{QueueURL: queueURL, Body: "{}"})
	assert.ErrorContains(t, err, "MD5 of the body")
}
