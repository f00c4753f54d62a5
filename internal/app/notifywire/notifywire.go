// Package notifywire wires notifications and webhooks: the comments
// function (comments, watchers, the inbox, webhooks), the activity
// consumer of the change stream (ActivityConsumer; the stream-activity
// function itself is activitywire, so that its file purge's S3 client
// stays out of the others) and the webhook deliveries (the
// webhook-delivery function).
package notifywire

import (
	"context"
	"maps"
	"time"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/trackerwire"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/webhook/webhookapi"

	"github.com/issuetracker/issuetracker/internal/people/peopledb"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"golang.org/x/sync/errgroup"

	"github.com/issuetracker/issuetracker/internal/attachment/attachmentdb"
	"github.com/issuetracker/issuetracker/internal/changes"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/notify"
	"github.com/issuetracker/issuetracker/internal/notify/notifyapi"
	"github.com/issuetracker/issuetracker/internal/notify/notifydb"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/webhook"
)

// Comments is the comments function: comments on issues (issueapi's),
// watchers, the inbox, notification preferences and webhooks.
var Comments = core.Wiring{Fn: routes.FnComments, Setup: []core.Setup{WithWebhooks}, Operations: func(d core.Deps) httpapi.Operations {
	all := trackerwire.CommentOperations(d)
	maps.Copy(all, Operations(d))
	return all
}}

// Operations are the notifications' and webhooks' operations.
func Operations(d core.Deps) httpapi.Operations {
	all := notifyapi.Operations(notifyDeps(d))
	maps.Copy(all, webhookapi.Operations(webhookDeps(d)))
	return all
}

// WithWebhooks adds the webhook queue of the environment
// (envvars.WebhookQueueURL; none when unset) and the SSRF guard. A Setup step.
func WithWebhooks(_ context.Context, e core.Env, d *core.Deps) error {
	d.Webhooks = &core.WebhookConfig{Queue: WebhookQueueFromEnv(e.AWS), Guard: WebhookGuardFromEnv()}
	return nil
}

func notifyDeps(d core.Deps) notifyapi.Deps {
	return notifyapi.Deps{
		Store:  notifydb.Store{DB: d.DB, Cursors: d.Cursors},
		Issues: &issuedb.Store{DB: d.DB, Cursors: d.Cursors},
		Tokens: notify.Tokens{Key: d.Cursors.Keys.Key},
		TenantTable: func(ctx context.Context, id string) (string, error) {
			if d.Control() == nil {
				return "", errs.NotFound("tenant")
			}
			t, err := tenantdb.New(d.Control(), d.Names).Get(ctx, id)
			if err != nil {
				return "", err
			}
			return t.Table, nil
		},
		Now: d.Now,
	}
}

// teams lists a team's member ids for the fan-out.
type teams struct{ db peopledb.TeamDB }

func (t teams) MemberIDs(ctx context.Context, sc tenancy.Scope, teamID string) ([]string, error) {
	var out []string
	req := list.Request{Limit: list.MaxLimit}
	for {
		pg, err := t.db.Members(ctx, sc, teamID, req)
		if err != nil {
			return nil, err
		}
		for _, m := range pg.Items {
			out = append(out, m.UserID)
		}
		if pg.NextCursor == "" {
			return out, nil
		}
		req.Cursor = pg.NextCursor
	}
}

// ActivityConsumer is the activity consumer of the change stream on db
// (notifications): the one the stream-activity function runs in AWS and
// the local poller runs in `make dev` and the tests. It is not a request
// of a tenant: it reads the change's tenant from the item's key.
// window is the mail batching window (notify.BatchWindow if zero).
// Webhook events are produced by the same consumer (WebhookProducer on
// hooks; nil: none), and a deleted issue's files are deleted by it (files;
// nil: none), their bytes given back to the usage meter (meter; nil: not
// metered): a stream has at most two readers.
func ActivityConsumer(db *dynamodb.Client, window time.Duration, hooks webhook.Queue, files attachmentdb.Purger, meter *usage.Meter) changes.Consumer {
	st := notifydb.Store{DB: db}
	issues := batchIssues{db: &issuedb.Store{DB: db}}
	notes := notifydb.Consumer{Store: st, Fanout: notify.Fanout{Store: st, Issues: issues, Window: window,
		Teams: teams{db: peopledb.TeamDB{UserDB: peopledb.UserDB{DB: db}}}}}
	parts := []changes.Consumer{notes}
	if hooks != nil {
		parts = append(parts, webhookProducer(db, hooks, issues))
	}
	if files != nil {
		parts = append(parts, attachmentdb.Consumer{Files: files, Meter: meter})
	}
	if len(parts) == 1 {
		return notes
	}
	// The parts are independent and idempotent: they run side by side,
	// and a failure of any redelivers the batch to all.
	// They share the batch's issue reads (batchIssues).
	return changes.ConsumerFunc(func(ctx context.Context, batch []changes.Change) error {
		g, ctx := errgroup.WithContext(withBatchReads(ctx))
		for _, c := range parts {
			g.Go(func() error { return c.Handle(ctx, batch) })
		}
		return g.Wait()
	})
}

// persons finds users for the mail job.
type persons struct{ db peopledb.UserDB }

func (p persons) Person(ctx context.Context, sc tenancy.Scope, user string) (notify.Person, error) {
	u, err := p.db.Get(ctx, sc, user)
	if errs.Is(err, errs.KindNotFound) {
		return notify.Person{}, nil
	}
	if err != nil {
		return notify.Person{}, err
	}
	return notify.Person{Email: u.Email, Name: u.DisplayName, Active: u.Status == people.UserActive}, nil
}

// NewMailer is the notification mail job of the deployment.
func NewMailer(d core.Deps) notify.Mailer {
	return notify.Mailer{Store: notifydb.Store{DB: d.DB}, People: persons{db: peopledb.UserDB{DB: d.DB}}, Mail: d.Mail,
		Tokens: notify.Tokens{Key: d.Cursors.Keys.Key}, WebBaseURL: d.WebBaseURL, APIBaseURL: d.APIBaseURL}
}

// JobSendMail is the activity function's scheduled job (notify.JobSendMail).
const JobSendMail = notify.JobSendMail

// SendNotificationMail sends, for every active tenant, the notification
// mail that is due, and reports how many mails went out.
func SendNotificationMail(ctx context.Context, d core.Deps, now time.Time) (int, error) {
	if d.Mail == nil {
		return 0, nil
	}
	m := NewMailer(d)
	return core.EachActiveTenant(ctx, d, func(ctx context.Context, sc tenancy.Scope, t tenant.Tenant) (int, error) {
		company := t.Branding.DisplayName
		if company == "" {
			company = t.Name
		}
		return m.SendDue(ctx, sc, company, now)
	})
}
