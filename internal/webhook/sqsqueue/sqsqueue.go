// Package sqsqueue is the webhook queue in AWS: tasks are SQS messages,
// the delivery function receives them through an event source mapping
// (partial batch failures), and the queue's redrive policy moves a message
// that keeps failing to its dead-letter queue.
package sqsqueue

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/webhook"
)

// MaxDelay is SQS's longest message delay; a longer wait is carried in
// the task (Task.NotBefore) and the message is sent again on receipt.
const MaxDelay = 15 * time.Minute

// API sends a message to a queue (Client; fakes in tests).
type API interface {
	SendMessage(ctx context.Context, m Message) error
}

// Message is what SendMessage sends.
type Message struct {
	QueueURL string
	Body     string
	// DelaySeconds is SQS's delay (at most MaxDelay).
	DelaySeconds int32
}

// Client is SQS's SendMessage as one SigV4-signed awsJson1.0 POST (the
// SDK's signer, awsjson.Call10) to https://sqs.<region>.amazonaws.com/
// (Config.BaseEndpoint when set: the local cloud's queues), not the SDK's
// SQS client, which comments, stream-activity and webhook-delivery linked
// for this one call (its client, types and schemas: ~145 KB of symbols,
// docs/performance.md, issue 19). The answer's MD5 of the body is checked
// as the SDK does.
type Client struct {
	Config aws.Config
	// Now is the signing time (time.Now if nil).
	Now func() time.Time
}

// SendMessage implements API.
func (c Client) SendMessage(ctx context.Context, m Message) error {
	in := struct {
		QueueUrl     string
		MessageBody  string
		DelaySeconds int32 `json:",omitempty"`
	}{m.QueueURL, m.Body, m.DelaySeconds}
	var out struct{ MD5OfMessageBody, MessageId string }
	if err := awsjson.Call10(ctx, c.Config, "sqs", "AmazonSQS.SendMessage", in, &out, c.Now); err != nil {
		return err
	}
	sum := md5.Sum([]byte(m.Body))
	if want := hex.EncodeToString(sum[:]); out.MD5OfMessageBody != want {
		return fmt.Errorf("message %s: MD5 of the body sent %s, received %q", out.MessageId, want, out.MD5OfMessageBody)
	}
	return nil
}

// Queue implements webhook.Queue on an SQS queue.
type Queue struct {
	Client API
	URL    string
	Now    func() time.Time
}

// Send implements webhook.Queue.
func (q Queue) Send(ctx context.Context, t webhook.Task, delay time.Duration) error {
	if delay > MaxDelay {
		now := time.Now
		if q.Now != nil {
			now = q.Now
		}
		t.NotBefore, delay = now().Add(delay).UTC(), MaxDelay
	}
	body, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if err := q.Client.SendMessage(ctx, Message{QueueURL: q.URL, Body: string(body), DelaySeconds: int32(delay / time.Second)}); err != nil {
		return fmt.Errorf("send webhook task: %w", err)
	}
	return nil
}

// Handler is the delivery function's handler of SQS batches: each message
// is one attempt; a failed one is reported alone (ReportBatchItemFailures)
// and received again after the visibility timeout. Each attempt runs in
// its task's tenant context: the deliverer's tenant-data calls are signed
// for that tenant (internal/tenantcreds), and refused without one.
func Handler(d webhook.Deliverer) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var out events.SQSEventResponse
		for _, m := range ev.Records {
			var t webhook.Task
			if err := json.Unmarshal([]byte(m.Body), &t); err != nil {
				continue // not a task: dropping it is all that can be done
			}
			if err := d.Handle(tenancy.WithTenant(ctx, t.TenantID), t); err != nil {
				out.BatchItemFailures = append(out.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			}
		}
		return out, nil
	}
}
