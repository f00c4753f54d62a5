// Package app is the composition root of the in-process platform (make
// dev's in-process mode, the local gateway, the tests): it builds every
// function's http.Handler from the route table and every domain's
// operations, through the same wiring packages the Lambda functions use.
//
// A deployed function does not import it: its main serves its own wiring
// (core.Serve(trackerwire.Issues), ...), which builds only the operations
// and clients its routes need (docs/architecture.md, "Wiring"). The names
// below forward to those packages so the local platform and the tests
// keep one entry point.
package app

import (
	"net/http"

	"github.com/issuetracker/issuetracker/internal/app/analyticswire"
	"github.com/issuetracker/issuetracker/internal/app/billingwire"
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/filewire"
	_ "github.com/issuetracker/issuetracker/internal/app/mailwire"   // core.WithMail in process too
	_ "github.com/issuetracker/issuetracker/internal/app/metricslog" // the local metrics log's file
	"github.com/issuetracker/issuetracker/internal/app/notifywire"
	"github.com/issuetracker/issuetracker/internal/app/tenantwire"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// Deps are the clients and settings built once per cold start (core.Deps).
type Deps = core.Deps

// BillingConfig is the billing provider of a deployment.
type BillingConfig = core.BillingConfig

// WebhookConfig is how a deployment sends webhooks.
type WebhookConfig = core.WebhookConfig

// LifecycleOptions are what differs between AWS and the local platform.
type LifecycleOptions = tenantwire.LifecycleOptions

// JobInput and JobResult are the billing function's scheduled jobs.
type (
	JobInput  = billingwire.JobInput
	JobResult = billingwire.JobResult
)

// Function builds the handler of one function: every route it owns in the
// route table, each behind the route's access rule, with every domain's
// operations at hand. A route without an operation is an error.
func Function(fn routes.Function, d Deps) (http.Handler, error) {
	return core.Function(fn, operations(d), d)
}

// MustFunction is Function that panics on a wiring error.
func MustFunction(fn routes.Function, d Deps) http.Handler {
	return core.MustFunction(fn, operations(d), d)
}

// Forwarders to the wiring packages (what each does is documented there).
var (
	NewLifecycle              = tenantwire.NewLifecycle
	Lifecycle                 = tenantwire.Lifecycle
	BillingService            = billingwire.Service
	NewMeter                  = core.NewMeter
	MustHaveEnvironment       = core.MustHaveEnvironment
	NewBilling                = billingwire.NewBilling
	StripeFromEnv             = billingwire.StripeFromEnv
	RunJob                    = billingwire.RunJob
	RefreshTenantRows         = billingwire.RefreshTenantRows
	UsageSweep                = billingwire.UsageSweep
	NewAttachments            = filewire.NewAttachments
	AttachmentsFromEnv        = filewire.AttachmentsFromEnv
	SweepUploads              = filewire.SweepUploads
	ActivityConsumer          = notifywire.ActivityConsumer
	WebhookProducer           = notifywire.WebhookProducer
	NewWebhookDeliverer       = notifywire.NewWebhookDeliverer
	WebhookDelivererWithHomes = notifywire.WithHomes
	WebhookGuardFromEnv       = notifywire.WebhookGuardFromEnv
	WebhookQueueFromEnv       = notifywire.WebhookQueueFromEnv
	RunLocalWebhooks          = notifywire.RunLocalWebhooks
	NewMailer                 = notifywire.NewMailer
	SendNotificationMail      = notifywire.SendNotificationMail
	AnalyticsConsumer         = analyticswire.AnalyticsConsumer
	Homes                     = analyticswire.Homes
	HomesFromEnv              = analyticswire.HomesFromEnv
	CursorKeysFromEnv         = core.CursorKeysFromEnv
)

// Constants of the wiring packages.
const (
	EnvCursorKey         = core.EnvCursorKey
	EnvCursorKeySecret   = core.EnvCursorKeySecret
	JobHourly            = billingwire.JobHourly
	JobMonthlyClose      = billingwire.JobMonthlyClose
	JobSweepUploads      = filewire.JobSweepUploads
	JobSendMail          = notifywire.JobSendMail
	LocalWebhookWorkers  = notifywire.LocalWebhookWorkers
	EnvAttachmentsBucket = filewire.EnvAttachmentsBucket
	EnvDownloadBase      = filewire.EnvDownloadBase

	DefaultRegistrationsPerHour = tenantwire.DefaultRegistrationsPerHour
	DefaultLookupsPerMinute     = tenantwire.DefaultLookupsPerMinute
	DefaultCodeSendsPerHour     = tenantwire.DefaultCodeSendsPerHour
)
