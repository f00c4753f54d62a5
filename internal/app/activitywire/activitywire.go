// Package activitywire is the stream-activity function: the consumer of
// a tenant table's change stream (notifications, webhook events, a deleted
// issue's files), its notification mail schedule and SES's bounce and
// complaint events. Apart from notifywire so that only this function links
// what the file purge needs (an S3 DeleteObject, hand-signed: s3delete),
// not the comments and webhook-delivery functions (issue 19).
package activitywire

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/issuetracker/issuetracker/internal/app/analyticswire"
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/notifywire"
	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/attachment/attachmentdb"
	"github.com/issuetracker/issuetracker/internal/attachment/s3delete"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/mail/maildb"
	"github.com/issuetracker/issuetracker/internal/notify/notifydb"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/usage/usagedb"
)

// ServeActivityStream runs this process as the stream-activity function:
// batches of change records from a tenant table's stream, and
// {"job": "send-notification-mail"} from its schedule.
func ServeActivityStream() {
	core.MustHaveEnvironment(routes.FnStreamActivity)
	deps, e := core.Init(routes.FnStreamActivity, core.WithMail)
	db := awsx.DynamoDB(e.AWS, e.Endpoints)
	cfg := e.AWS
	// A deleted issue's files: objects in the bucket its records name (the
	// role may delete objects of its table's bucket only), records and
	// counter on the table (attachmentdb.LeadingKeysPatterns).
	files := attachment.Purge{Store: attachmentdb.Store{DB: db}, Objects: s3delete.Objects{Config: cfg, Endpoint: e.Endpoints.S3}}
	// The bytes a purge gives back go to the tenant's storage figure in
	// the control table (usagedb: the role may update USAGE# items only);
	// flushed after each purging batch and at shutdown. No threshold
	// mail: a purge only lowers the figure.
	deps.Meter = &usage.Meter{Store: usagedb.New(deps.Control(), deps.Names)}
	// ITR_NOTIFY_WINDOW (make dev only): a shorter batching window.
	window, err := time.ParseDuration(core.EnvOr(envvars.NotifyWindow, "0s"))
	if err != nil {
		log.Fatalf("stream-activity: %s: %v", envvars.NotifyWindow, err)
	}
	// The tenant homes and the webhook queue are the platform's: in a
	// Platinum tenant's stack in an account of its own, reached through
	// the platform role (core.PlatformFromEnv; deps.Control() too).
	stream := changes.LambdaHandler(changes.HomeOnly(notifydb.ConsumerName, analyticswire.HomesFromEnv(deps.Control()), db,
		notifywire.ActivityConsumer(db, window, notifywire.WebhookQueueFromEnv(core.PlatformFromEnv(e)), files, deps.Meter)), notifydb.Filter)
	lambda.StartWithOptions(func(ctx context.Context, raw json.RawMessage) (any, error) {
		var job struct {
			Job string `json:"job"`
		}
		if json.Unmarshal(raw, &job) == nil && job.Job != "" {
			if job.Job != notifywire.JobSendMail {
				return nil, fmt.Errorf("unknown job %q", job.Job)
			}
			n, err := notifywire.SendNotificationMail(ctx, deps, time.Now())
			slog.InfoContext(ctx, "sent notification mail", "mails", n, "error", err)
			return map[string]any{"job": job.Job, "mails": n}, err
		}
		if sns, ok := snsEvent(raw); ok {
			got, err := mail.SuppressFromSNS(ctx, maildb.Suppressions{DB: deps.Control(), Table: deps.Names.Control()}, sns, time.Now())
			slog.InfoContext(ctx, "suppressed mail addresses", "count", len(got), "error", err)
			return nil, err
		}
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		return nil, stream(ctx, ev)
	}, core.FlushOnSIGTERM(deps))
}

// snsEvent is raw as an SNS delivery (SES's bounce and complaint events,
// from the platform's mail configuration set); false for anything else,
// such as a batch of the table's stream.
func snsEvent(raw json.RawMessage) (events.SNSEvent, bool) {
	var ev events.SNSEvent
	if json.Unmarshal(raw, &ev) != nil || len(ev.Records) == 0 || ev.Records[0].EventSource != "aws:sns" {
		return events.SNSEvent{}, false
	}
	return ev, true
}
