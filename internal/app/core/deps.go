// Package core is what every function of the platform shares, and only
// that: the clients and settings of a cold start (Deps, BaseFromEnv), the
// handler a route function serves (Function: the route table's routes of
// the function, each behind its access rule, metered and instrumented),
// logging and metrics, and the Lambda entry points (Serve, Boot).
//
// It builds no domain's services: each function's wiring package
// (internal/app/*wire) builds the operations its routes need and the
// clients only it uses, so a function's binary links only what its routes
// need (issues 18 and 19). internal/app composes every wiring for the
// in-process local platform and the tests.
package core

import (
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/cognito/identity"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/usage"
)

// Deps are the clients and settings built once per cold start.
type Deps struct {
	// DB reads and writes tenant data. Every call must run under a tenant
	// context (tenancy.WithTenant; the route guard sets it): in AWS it is
	// signed with the tenant access role assumed for that tenant
	// (tenantcreds), locally it is refused without one.
	DB *dynamodb.Client
	// ControlDB is the control plane (tenant registry, lifecycle, audit) and
	// platform jobs, with the function's own credentials. Nil means DB's
	// client without tenant scoping (unit wiring).
	ControlDB *dynamodb.Client
	// Cognito is the user pools (cognito.Pools; set by cognitowire.WithCognito).
	// An interface, so that the functions that never touch the pools do not
	// link the Cognito client.
	Cognito identity.Pools
	Names   schema.Names
	Now     func() time.Time
	// Cell is this deployment's cell id and CellDirectory the global tenant
	// directory (internal/cells) when the platform has cells; nil: one
	// cell, the workspace lookup answers from this cell's registry alone.
	// Set by the local platform (devstack Config.Cell) and, in AWS, from
	// the environment (envvars.ReadsDirectory).
	Cell          string
	CellDirectory *cells.Directory
	// CellPlacement places registrations among the cells (with
	// CellDirectory): a *placement.Placer (tenantwire reads it), untyped so
	// that functions that never place a tenant do not link the capacity
	// model's types (issue 19: see "Untyped slots" below).
	CellPlacement any
	// TenantPoolID is the shared user pool of pooled tenants (ITR_TENANT_POOL_ID).
	TenantPoolID string
	// Lifecycle is the tenant lifecycle (registration, onboarding, Root's
	// actions), an *onboarding.Service (tenantwire.Lifecycle reads it); nil
	// builds a pooled-only one with in-request onboarding.
	Lifecycle any
	// RegistrationsPerHour per client address; DefaultRegistrationsPerHour if zero.
	RegistrationsPerHour int
	// LookupsPerMinute (slug availability, workspace lookup) per client
	// address, and CodeSendsPerHour (verification codes) per registration;
	// the defaults of lifecycle.go if zero.
	LookupsPerMinute int
	CodeSendsPerHour int
	// Mail sends the platform's messages (verification codes, invitations);
	// nil: operations that must send mail answer mail_unavailable.
	Mail mail.Sender
	// WebBaseURL is the web app's base URL (links in messages).
	WebBaseURL string
	// APIBaseURL is the API's public base URL (unsubscribe links).
	APIBaseURL string
	// TenantClientID is the shared pool's app client (public workspace lookup).
	TenantClientID string
	// Region is where the pools live (public workspace lookup).
	Region string
	// Cursors signs and checks every list cursor with the deployment's key
	// (CursorsFromEnv). The zero value uses a key of this process only.
	Cursors list.Codec
	// CORSOrigins may read the answers from a browser (edge.SetCORS); "*"
	// allows any. Empty: none.
	CORSOrigins []string
	// Attachments is the attachments service (object storage configured);
	// nil answers attachments_unavailable.
	Attachments *attachment.Service
	// Meter counts each tenant's API calls, active users and storage in the
	// process (flushed in the background; nil: no metering).
	Meter *usage.Meter
	// UsageNotices hears the meter's totals (threshold mails); set by
	// WithMail (nil: no mails, as without a sender).
	UsageNotices usage.Notifier
	// Billing is the billing provider (Stripe; stripe-mock locally); nil:
	// billing is off, paid tiers wait for Root's approval and the billing
	// routes answer billing_unavailable.
	Billing *BillingConfig
	// BillingService, a *billing.Service, overrides the service NewBilling
	// would build (the local platform shares one with its jobs;
	// billingwire.Service reads it).
	BillingService any
	// Health is Root's platform health, a health.Source (tenantwire reads
	// it): the deployment's CloudWatch alarms in AWS; nil: the local
	// metrics log's summary (ITR_METRICS_LOG).
	Health any
	// Webhooks is the webhook queue and SSRF guard; nil: endpoints can be
	// registered (with the default guard), redelivery answers
	// webhooks_unavailable.
	Webhooks *WebhookConfig
}

// BillingConfig is the billing provider of a deployment. A config without
// a Provider only says that billing is on (paid pooled tiers wait for
// their first payment): the functions that admit registrations but never
// call Stripe (registration, tenants, onboarding) get that one
// (BillingOnFromEnv), so they do not link the Stripe client.
type BillingConfig struct {
	// Provider is a billing.Provider, Verifier a billing.Verifier
	// (billingwire reads them; nil in a config that only says billing is on).
	Provider any
	Verifier any
	// Grace after a failed payment; billing.DefaultGrace if zero.
	Grace time.Duration
}

// WebhookConfig is how a deployment sends webhooks: the queue of delivery
// attempts (SQS in AWS, a webhook.MemQueue locally) and the SSRF guard.
type WebhookConfig struct {
	// Queue is a webhook.Queue, Guard a webhook.Guard (notifywire reads them).
	Queue any
	Guard any
}

// Untyped slots: Deps is every function's, so each field's type is linked
// into every function (its type descriptor, and through it every type it
// reaches). The lifecycle, billing, health, webhooks and placement are a
// few functions' own: their fields hold any, set by those functions'
// Setup steps (or the in-process platform) and read with As by their
// wiring packages' typed accessors, so that core imports none of their
// packages (the issues function linked onboarding, billing, health,
// webhook and the capacity model's types through them).

// As is v as a T: the zero T when v is nil. v holding another type is a
// wiring bug, and panics.
func As[T any](v any) T {
	if v == nil {
		var zero T
		return zero
	}
	return v.(T)
}

// Control is the control-plane client (ControlDB, or DB when unset).
func (d Deps) Control() *dynamodb.Client {
	if d.ControlDB != nil {
		return d.ControlDB
	}
	return d.DB
}

// EnvOr is the variable k, or def when it is unset or empty.
func EnvOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
