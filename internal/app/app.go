// Package app is the composition root: it builds each function's
// http.Handler from the route table and the operations of the domain
// packages. The Lambda mains and the local gateway both call it, so a route
// is served the same way in AWS and on a laptop.
package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/health"
	"github.com/issuetracker/issuetracker/internal/health/cwalarms"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/idempotency"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/mail/maildb"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
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
	Cognito   *cognitoidentityprovider.Client
	Names     schema.Names
	Now       func() time.Time
	// Cell is this deployment's cell id and CellDirectory the global tenant
	// directory (internal/cells) when the platform has cells; nil: one
	// cell, the workspace lookup answers from this cell's registry alone.
	// Set by the local platform (devstack Config.Cell) and, in AWS, from
	// the environment (envvars.ReadsDirectory).
	Cell          string
	CellDirectory *cells.Directory
	// CellPlacement places registrations among the cells (with CellDirectory).
	CellPlacement *cells.Placer
	// TenantPoolID is the shared user pool of pooled tenants (ITR_TENANT_POOL_ID).
	TenantPoolID string
	// Lifecycle is the tenant lifecycle (registration, onboarding, Root's
	// actions); nil builds a pooled-only one with in-request onboarding.
	Lifecycle *onboarding.Service
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
	// Billing is the billing provider (Stripe; stripe-mock locally); nil:
	// billing is off, paid tiers wait for Root's approval and the billing
	// routes answer billing_unavailable.
	Billing *BillingConfig
	// BillingService overrides the service NewBilling would build (the
	// local platform shares one with its jobs).
	BillingService *billing.Service
	// Health is Root's platform health: the deployment's CloudWatch alarms
	// in AWS; nil: the local metrics log's summary (ITR_METRICS_LOG).
	Health health.Source
	// Webhooks is the webhook queue and SSRF guard; nil: endpoints can be
	// registered (with the default guard), redelivery answers
	// webhooks_unavailable.
	Webhooks *WebhookConfig
}

// DepsFromEnv builds Deps from the environment of a function (the names
// and which function gets which are internal/envvars) and the local
// endpoint overrides of package awsx.
func DepsFromEnv(ctx context.Context) (Deps, error) {
	e := awsx.EndpointsFromEnv()
	cfg, err := awsx.Load(ctx, e)
	if err != nil {
		return Deps{}, err
	}
	base := awsx.DynamoDB(cfg, e)
	creds := &tenantcreds.Provider{}
	if role := lookupEnv(envvars.TenantAccessRoleARN); role != "" && !e.Local() {
		creds = &tenantcreds.Provider{STS: sts.NewFromConfig(cfg), RoleARN: role, TagKey: envOr(envvars.TenantSessionTag, "TenantId")}
	}
	tenantDB := tenantcreds.Scoped(base, creds)
	sender, err := mail.FromEnv(cfg)
	if err != nil && !errors.Is(err, mail.ErrNotConfigured) {
		return Deps{}, err
	}
	names := schema.Names{Prefix: envOr(envvars.TablePrefix, schema.DefaultPrefix)}
	if sender != nil {
		// Bounced and complaining addresses are not mailed again (SES events, ServeActivityStream).
		sender = mail.Suppressing{Sender: sender, List: maildb.Suppressions{DB: base, Table: names.Control()}}
	}
	keys, err := CursorKeysFromEnv(cfg)
	if err != nil {
		return Deps{}, err
	}
	bc, err := StripeFromEnv(ctx)
	if err != nil {
		return Deps{}, err
	}
	cell, cellDir, placement := cellsFromEnv(base, cfg.Region)
	var hs health.Source
	if !e.Local() {
		hs = cwalarms.Source{API: cloudwatch.NewFromConfig(cfg), Prefix: names.Prefix + "-"}
	}
	return Deps{
		Health:         hs,
		Attachments:    AttachmentsFromEnv(cfg, e, tenantDB, creds, names, keys),
		Billing:        bc,
		DB:             tenantDB,
		ControlDB:      base,
		Cognito:        awsx.Cognito(cfg, e),
		Names:          names,
		Now:            time.Now,
		TenantPoolID:   lookupEnv(envvars.TenantPoolID),
		TenantClientID: strings.Split(lookupEnv(envvars.TenantClientIDs), ",")[0],
		Region:         cfg.Region,
		Mail:           sender,
		WebBaseURL:     mail.WebBaseURL(),
		APIBaseURL:     lookupEnv(EnvAPIBaseURL),
		Cursors:        list.Codec{Keys: keys},
		CORSOrigins:    envvars.List(envvars.CORSOrigins),
		Webhooks:       &WebhookConfig{Queue: WebhookQueueFromEnv(cfg), Guard: WebhookGuardFromEnv()},
		Cell:           cell,
		CellDirectory:  cellDir,
		CellPlacement:  placement,
	}, nil
}

// cellsFromEnv reads the global tenant directory of a platform with cells
// (envvars.ReadsDirectory): this cell's id, the directory, and a placer
// that knows this cell only (cells.Placer.Unmodelled). Unset: one cell.
func cellsFromEnv(db *dynamodb.Client, region string) (string, *cells.Directory, *cells.Placer) {
	table, cell := lookupEnv(envvars.DirectoryTable), lookupEnv(envvars.CellID)
	if table == "" || cell == "" {
		return "", nil, nil
	}
	dir := &cells.Directory{DB: db, Table: table}
	here := cells.Cell{ID: cell, Region: region, APIURL: lookupEnv(envvars.CellAPIURL),
		UserPoolID: lookupEnv(envvars.TenantPoolID), ClientID: strings.Split(lookupEnv(envvars.TenantClientIDs), ",")[0]}
	return cell, dir, &cells.Placer{Directory: *dir, Cells: []cells.Cell{here}, Unmodelled: true}
}

// Function builds the handler of one function: every route it owns in the
// route table, each behind the route's access rule. A route without an
// operation is an error, so the table and the code cannot drift.
func Function(fn routes.Function, d Deps) (http.Handler, error) {
	all := operations(d)
	idem := idempotency.Store{DB: d.DB, Control: d.Control(), ControlTable: d.Names.Control(), Now: d.Now}
	var homes homeReader
	if d.Control() != nil {
		homes = &cachedHomes{reg: tenantdb.New(d.Control(), d.Names), ttl: onboarding.HomeCacheTTL, now: time.Now}
	}
	mux := http.NewServeMux()
	owned := routes.ForFunction(fn)
	if len(owned) == 0 {
		return nil, fmt.Errorf("function %q owns no route", fn)
	}
	for _, rt := range owned {
		op, ok := all[rt.OperationID]
		if !ok {
			return nil, fmt.Errorf("route %s %s: no operation %q", rt.Method, rt.Path, rt.OperationID)
		}
		mux.Handle(rt.Method+" "+rt.Path, guard(rt, op, idem, homes))
	}
	mux.Handle("/", httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return errs.E(errs.KindNotFound, "route_not_found", "no route %s %s", r.Method, r.URL.Path)
	}))
	return instrument(fn, withEdgeHeaders(metered(d.Meter, mux), d.CORSOrigins)), nil
}

// withEdgeHeaders sends the API's security and CORS headers (internal/edge)
// on every answer: API Gateway passes a Lambda proxy answer through as the
// function wrote it and cannot add headers to it, so the functions send
// them, in AWS and behind the local gateway alike.
func withEdgeHeaders(h http.Handler, origins []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		edge.SetSecurityHeaders(w.Header())
		edge.SetCORS(w.Header(), r.Header.Get("Origin"), origins)
		h.ServeHTTP(w, r)
	})
}

// MustFunction is Function for mains: a wiring error stops the cold start.
func MustFunction(fn routes.Function, d Deps) http.Handler {
	h, err := Function(fn, d)
	if err != nil {
		panic(err)
	}
	return h
}

// guard enforces the route's access rule: the one place where the permission
// matrix is applied, in AWS and locally alike. Every POST honours
// Idempotency-Key (internal/idempotency), inside the tenant context.
//
// A tenant's request reads the tenant's record (one consistent GetItem,
// never cached): its table may have changed within the authorizer's cache
// time (a tier migration's switch), and during a migration's write freeze
// its writes answer 503 with Retry-After while its reads go on.
// homeReader reads a tenant's record: where its data lives now.
type homeReader interface {
	Get(ctx context.Context, id string) (tenant.Tenant, error)
}

func guard(rt routes.Route, op httpapi.HandlerFunc, idem idempotency.Store, homes homeReader) http.Handler {
	switch {
	case rt.WriteClaimsKey():
		op = idem.WrapOneTransaction(op)
	case rt.Method == http.MethodPost:
		op = idem.Wrap(op)
	}
	if rt.Access.Kind == routes.Public {
		return op
	}
	return httpapi.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		p, err := httpapi.CallerPrincipal(r)
		if err != nil {
			return err
		}
		if !rt.Access.Allows(p.Role) {
			return errs.Forbidden("role_forbidden", fmt.Sprintf("your role (%s) may not call %s %s", p.Role, rt.Method, rt.Path))
		}
		if p.MFA == tenancy.MFAMissing && !routes.AllowedWithoutMFA(rt.OperationID) {
			return errs.Forbidden("mfa_required", "your workspace requires MFA: set it up (GET /v1/me/mfa) and sign in again with it")
		}
		if p.TenantID != "" && homes != nil {
			t, err := homes.Get(r.Context(), p.TenantID)
			switch {
			case errs.Is(err, errs.KindNotFound):
				// Not in the registry (a principal made by a test): the authorizer's word stands.
				t = tenant.Tenant{Table: p.Table}
			case err != nil:
				return err
			}
			if t.WritesFrozen && !safeMethod(rt.Method) {
				w.Header().Set("Retry-After", strconv.Itoa(onboarding.RetryAfterFreeze))
				return errs.Unavailable("tenant_migrating",
					"your workspace is moving to its new home: writes resume in a few seconds, reads work meanwhile", nil)
			}
			p.Table = t.Table
		}
		ctx := tenancy.WithPrincipal(r.Context(), p) // decoded once per request
		if p.TenantID != "" {
			// From here on, tenant data is read and written as this tenant only.
			ctx = tenancy.WithTenant(ctx, p.TenantID)
		}
		return op(w, r.WithContext(ctx))
	})
}

// cachedHomes keeps each tenant's record for ttl in this process, so the
// guard reads the registry about once a second per tenant and execution
// environment, not on every request. The migration's freeze waits
// onboarding.HomeCacheTTL longer for that (its states go unfrozen-old ->
// frozen-old -> unfrozen-new, so a cached record at most ttl old admits no
// write after the drain, and one that is stale after the switch refuses
// writes). Errors are not kept.
type cachedHomes struct {
	reg tenant.Registry
	ttl time.Duration
	now func() time.Time
	mu  sync.Mutex
	m   map[string]cachedHome
}

type cachedHome struct {
	t   tenant.Tenant
	err error
	at  time.Time
}

func (c *cachedHomes) Get(ctx context.Context, id string) (tenant.Tenant, error) {
	now := c.now()
	c.mu.Lock()
	h, ok := c.m[id]
	c.mu.Unlock()
	if ok && now.Sub(h.at) < c.ttl {
		return h.t, h.err
	}
	t, err := c.reg.Get(ctx, id)
	if err != nil && !errs.Is(err, errs.KindNotFound) {
		return t, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]cachedHome{}
	}
	c.m[id] = cachedHome{t: t, err: err, at: now}
	c.mu.Unlock()
	return t, err
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// Control is the control-plane client (ControlDB, or DB when unset).
func (d Deps) Control() *dynamodb.Client {
	if d.ControlDB != nil {
		return d.ControlDB
	}
	return d.DB
}

func envOr(k, def string) string {
	if v := lookupEnv(k); v != "" {
		return v
	}
	return def
}
