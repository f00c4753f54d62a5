// Package sqsqueue is the webhook queue in AWS: tasks are SQS messages,
// the delivery function receives them through an event source mapping
// (partial batch failures), and the queue's redrive policy moves a message
// that keeps failing to its dead-letter queue.
package sqsqueue

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/webhook"
)

// MaxDelay is SQS's longest message delay; a longer wait is carried in
// the task (Task.NotBefore) and the message is sent again on receipt.
const MaxDelay = 15 * time.Minute

// API is the part of the SQS client the queue uses.
type API interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
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
	_, err = q.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(string(body)),
		DelaySeconds: int32(delay / time.Second)})
	if err != nil {
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
