package notifywire

import (
	"context"
	"fmt"
	"html"
	"log"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/app/core"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/webhook"
	"github.com/issuetracker/issuetracker/internal/webhook/sqsqueue"
	"github.com/issuetracker/issuetracker/internal/webhook/webhookapi"
	"github.com/issuetracker/issuetracker/internal/webhook/webhookdb"
)

// WebhookGuardFromEnv is the deployment's guard: loopback only where
// envvars.WebhookAllowLoopback is set (never in AWS).
func WebhookGuardFromEnv() webhook.Guard {
	return webhook.Guard{AllowLoopback: os.Getenv(envvars.WebhookAllowLoopback) == "true"}
}

func webhookService(d core.Deps) webhook.Service {
	s := webhook.Service{Store: webhookdb.Store{DB: d.DB, Cursors: d.Cursors}, Now: d.Now}
	if d.Webhooks != nil {
		s.Queue, s.Guard = core.As[webhook.Queue](d.Webhooks.Queue), core.As[webhook.Guard](d.Webhooks.Guard)
	}
	return s
}

func webhookDeps(d core.Deps) webhookapi.Deps { return webhookapi.Deps{Service: webhookService(d)} }

// WebhookProducer is the webhook half of the activity consumer: events of
// the change stream become queued deliveries (nil queue: no webhooks).
func WebhookProducer(db *dynamodb.Client, q webhook.Queue) changes.Consumer {
	return webhookProducer(db, q, &issuedb.Store{DB: db})
}

func webhookProducer(db *dynamodb.Client, q webhook.Queue, issues webhookdb.Issues) changes.Consumer {
	if q == nil {
		return changes.ConsumerFunc(func(context.Context, []changes.Change) error { return nil })
	}
	return webhookdb.Consumer{Producer: webhook.Producer{Store: webhookdb.Store{DB: db}, Queue: q}, Issues: issues}
}

// NewWebhookDeliverer makes delivery attempts on db's tables through q,
// mailing a tenant's admins (with sender, if any) when an endpoint is
// disabled.
func NewWebhookDeliverer(db *dynamodb.Client, q webhook.Queue, g webhook.Guard, sender mail.Sender, webBase string) webhook.Deliverer {
	var admins webhook.AdminNotifier
	if sender != nil {
		admins = webhookAdmins{users: peopledb.UserDB{DB: db}, mail: sender, web: webBase}
	}
	return webhook.Deliverer{Store: webhookdb.Store{DB: db}, Queue: q, Client: g.Client(), Admins: admins, Log: slog.Default()}
}

// WebhookHomes reads a task's tenant's home from the registry for the
// Deliverer (webhook.Deliverer.Home): a tenant not, or no longer, in it
// has none.
func WebhookHomes(reg tenant.Registry) webhook.HomeFunc {
	return func(ctx context.Context, id string) (webhook.TenantHome, error) {
		t, ok, err := tenant.Housed(ctx, reg, id)
		if !ok {
			return webhook.TenantHome{}, err
		}
		return webhook.TenantHome{Table: t.Table, Frozen: t.WritesFrozen, LogSince: t.KeyLogSince}, nil
	}
}

// WithHomes is d following each tenant's home in the registry in the
// control table on db (names), its writes logged with db while a tier
// migration copies the tenant (docs/migration.md "The webhook worker").
func WithHomes(d webhook.Deliverer, db *dynamodb.Client, names schema.Names) webhook.Deliverer {
	d.Home, d.KeyLog = WebhookHomes(tenantdb.New(db, names)), db
	return d
}

// webhookAdmins mails a tenant's Admins and Super Admins.
type webhookAdmins struct {
	users peopledb.UserDB
	mail  mail.Sender
	web   string
}

func (a webhookAdmins) EndpointDisabled(ctx context.Context, sc tenancy.Scope, e webhook.Endpoint) error {
	ctx = tenancy.WithTenant(ctx, sc.TenantID)
	var to []string
	req := list.Request{Limit: list.MaxLimit}
	for {
		pg, err := a.users.List(ctx, sc, req)
		if err != nil {
			return err
		}
		for _, u := range pg.Items {
			if u.Role.AtLeast(roles.Admin) && u.Status == people.UserActive && u.Email != "" {
				to = append(to, u.Email)
			}
		}
		if pg.NextCursor == "" {
			break
		}
		req.Cursor = pg.NextCursor
	}
	link := strings.TrimSuffix(a.web, "/") + "/settings/webhooks"
	subject := "A webhook endpoint was disabled"
	text := fmt.Sprintf("The webhook endpoint %s was disabled after %s.\n\nNo events are sent to it until an admin turns it back on:\n%s\n",
		e.URL, e.DisabledReason, link)
	body := fmt.Sprintf("<p>The webhook endpoint <code>%s</code> was disabled after %s.</p><p>No events are sent to it until an admin turns it back on: <a href=\"%s\">webhook settings</a>.</p>",
		html.EscapeString(e.URL), html.EscapeString(e.DisabledReason), html.EscapeString(link))
	var failed []string
	for _, addr := range to {
		if err := a.mail.Send(ctx, mail.Message{To: addr, Subject: subject, Text: text, HTML: body}); err != nil {
			failed = append(failed, addr)
		}
	}
	if len(failed) > 0 {
		return errs.Internal(fmt.Errorf("mail to %d admins failed", len(failed)))
	}
	return nil
}

// LocalWebhookWorkers is how many attempts make dev (and the tests that
// measure it) make at once; in AWS the SQS event source runs up to 20.
const LocalWebhookWorkers = 4

// RunLocalWebhooks delivers a MemQueue's tasks until ctx ends (make dev
// and the tests; in AWS the delivery function receives the SQS queue).
func RunLocalWebhooks(ctx context.Context, q *webhook.MemQueue, d webhook.Deliverer, workers int) {
	q.Run(ctx, workers, func(ctx context.Context, t webhook.Task) error {
		ctx, cancel := context.WithTimeout(tenancy.WithTenant(ctx, t.TenantID), 30*time.Second)
		defer cancel()
		return d.Handle(ctx, t)
	})
}

// WebhookQueueFromEnv is the SQS queue of envvars.WebhookQueueURL (nil
// when unset: no webhooks).
func WebhookQueueFromEnv(cfg aws.Config) webhook.Queue {
	u := os.Getenv(envvars.WebhookQueueURL)
	if u == "" {
		return nil
	}
	// ITR_SQS_ENDPOINT: the local cloud's queues (make dev's template mode).
	local := os.Getenv(envvars.SQSEndpoint)
	if local != "" {
		cfg = cfg.Copy()
		cfg.BaseEndpoint = &local
	}
	return sqsqueue.Queue{Client: sqsqueue.Client{Config: cfg}, URL: u}
}

// ServeWebhookDelivery runs this process as the webhook-delivery function:
// batches of the webhook queue's messages, one attempt each.
func ServeWebhookDelivery() {
	deps, e := core.Init("webhook-delivery", core.WithMail)
	q := WebhookQueueFromEnv(e.AWS)
	if q == nil {
		log.Fatalf("webhook-delivery: %s is not set", envvars.WebhookQueueURL)
	}
	// WebhookGuardFromEnv: ITR_WEBHOOK_ALLOW_LOOPBACK is a local variable
	// (make dev's receivers on localhost); in AWS the guard is the default.
	lambda.Start(sqsqueue.Handler(WebhookDelivery(deps, q, WebhookGuardFromEnv())))
}

// WebhookDelivery is the webhook-delivery function's deliverer: its reads
// and writes of the tenants' tables go through deps.DB, the tenant-scoped
// client (core.TenantCreds), so a Platinum tenant in an AWS account of its
// own is reached through the second hop (its table is named in that
// account), the others with the function's own role. It follows each
// tenant's home in the registry (deps.Control(): its role may read tenant
// records of the control table, infra/stacks/webhooks.go) and logs its
// writes' keys in that home while a tier migration copies the tenant.
func WebhookDelivery(deps core.Deps, q webhook.Queue, g webhook.Guard) webhook.Deliverer {
	d := NewWebhookDeliverer(deps.DB, q, g, deps.Mail, deps.WebBaseURL)
	d.Home, d.KeyLog = WebhookHomes(tenantdb.New(deps.Control(), deps.Names)), deps.DB
	return d
}
