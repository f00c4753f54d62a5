// Package tenantwire wires the tenant lifecycle (registration,
// onboarding, Root's tenant administration, the workspace's settings) on
// the control plane: the lifecycle service and the tenantapi operations.
// Its AWS provisioning (SSM, API Gateway keys, EventBridge,
// CloudFormation) is lifecyclewire's, so the workspace function does not
// link it.
package tenantwire

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/tenancy"

	"github.com/issuetracker/issuetracker/internal/audit/auditdb"
	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/cells/placement"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/health"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/mail/maildb"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/onboarding/localkeys"
	"github.com/issuetracker/issuetracker/internal/onboarding/onboardingdb"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/ratelimit"
	"github.com/issuetracker/issuetracker/internal/system/systemdb"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantapi"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/usage/usagedb"
)

// Public lifecycle endpoints' limits.
const (
	// DefaultRegistrationsPerHour limits sign-ups per client address.
	DefaultRegistrationsPerHour = 10
	// DefaultLookupsPerMinute limits slug availability checks and workspace
	// lookups per client address (they reveal whether a slug exists).
	DefaultLookupsPerMinute = 60
	// DefaultCodeSendsPerHour limits verification codes mailed per registration.
	DefaultCodeSendsPerHour = 5
)

// LifecycleOptions are what differs between AWS and the local platform.
type LifecycleOptions struct {
	// Platinum provisions dedicated stacks; nil refuses Platinum sign-ups.
	// In AWS it is the provisioning pipeline (lifecyclewire.FromEnv, with
	// ITR_EVENT_BUS); locally the CDK app and the local deployer (devstack).
	Platinum onboarding.Provisioner
	// Keys manage API keys; default: local keys.
	Keys onboarding.APIKeys
	// Archive keeps offboarding exports; default: a folder under the temp dir.
	Archive onboarding.Archive
	// Driver runs the machine; default: in the request (pooled onboarding
	// takes seconds). The local platform passes an onboarding.Async.
	Driver func(*onboarding.Machine) onboarding.Driver
	// Lease is how long a run owns a tenant without progress (the
	// machine's default when zero).
	Lease time.Duration
	// Migration tunes tier migrations (grace period, settle time).
	Migration onboarding.MigrationOptions
	// OwnAccountScans read the tables of Platinum tenants in AWS accounts
	// of their own whole (offboarding), by tenant (tenantdata.Store.OwnAccounts).
	OwnAccountScans map[string]*dynamodb.Client
}

// NewLifecycle builds the tenant lifecycle of a deployment on d's tables and
// the shared tenant pool d.TenantPoolID.
func NewLifecycle(d core.Deps, o LifecycleOptions) *onboarding.Service {
	reg := tenantdb.New(d.Control(), d.Names)
	reg.Cursors = d.Cursors
	if o.Keys == nil {
		o.Keys = localkeys.Local{}
	}
	if o.Archive == nil {
		o.Archive = onboarding.DirArchive{Dir: filepath.Join(os.TempDir(), "issuetracker-exports")}
	}
	m := &onboarding.Machine{
		Tenants: reg, States: onboardingdb.New(d.Control(), d.Names), Audit: auditdb.New(d.Control(), d.Names),
		Pooled:   onboarding.Pooled{Table: d.Names.App(), UserPoolID: d.TenantPoolID},
		Platinum: o.Platinum, Users: d.Cognito, Directory: peopledb.UserDB{DB: d.DB},
		Keys: o.Keys, Data: WithFiles(tenantdata.Store{DB: d.DB, Platform: d.Control(), OwnAccounts: o.OwnAccountScans}, d.Attachments), Archive: o.Archive,
		ForgetIssuer: reg.DeleteIssuer, Now: d.Now,
		Mail: d.Mail, WebBaseURL: d.WebBaseURL, SharedPoolID: d.TenantPoolID, SharedClientID: d.TenantClientID, Lease: o.Lease,
		Move: tenantdata.Store{DB: d.DB, Platform: d.Control(), Memo: tenantdata.NewSyncMemo()}, Migration: o.Migration,
		Transient: awsx.RetriesExhausted,
	}
	// A tenant's attachment objects move with it: between the pooled
	// bucket and its stack's in a tier migration, between cells in a move
	// (lifecyclecore.WireMoves and devstack set the same for moves).
	if d.Attachments != nil {
		if files, ok := d.Attachments.Objects.(onboarding.FileMover); ok && d.Attachments.Buckets.Pooled != "" {
			m.Files, m.FilesBucket, m.SiloFiles = files, d.Attachments.Buckets.Pooled, d.Names.SiloFiles
		}
	}
	if d.CellDirectory != nil {
		// A Platinum tenant's own pool reaches its directory entry.
		m.Cell, m.PoolDirectory = d.Cell, DirectoryMoves{D: *d.CellDirectory}
	}
	var drv onboarding.Driver = onboarding.Inline{M: m}
	if o.Driver != nil {
		drv = o.Driver(m)
	}
	svc := &onboarding.Service{Machine: m, Registrar: onboardingdb.New(d.Control(), d.Names),
		Verifications: onboardingdb.NewVerifications(d.Control(), d.Names), Driver: drv}
	if d.Billing != nil {
		svc.Admission = billing.Admission{} // paid pooled tiers wait for their first payment
	}
	return svc
}

// Deps are the lifecycle operations' dependencies; without a
// database (unit wiring tests) the operations answer lifecycle_unavailable.
func Deps(d core.Deps) tenantapi.Deps {
	if d.DB == nil {
		return tenantapi.Deps{}
	}
	svc := Lifecycle(d)
	if svc == nil && d.TenantPoolID != "" {
		svc = NewLifecycle(d, LifecycleOptions{})
	}
	limiter := func(scope string, max, def int, window time.Duration) ratelimit.Window {
		if max == 0 {
			max = def
		}
		return ratelimit.Window{DB: d.Control(), Table: d.Names.Control(), Scope: scope, Max: max, Window: window, Now: d.Now}
	}
	return tenantapi.Deps{
		Service:       svc,
		Audit:         core.AuditLog(d),
		Directory:     Directory(d),
		Settings:      systemdb.New(d.Control(), d.Names),
		Health:        HealthSource(d),
		Usage:         tenantUsage{data: tenantdata.Store{DB: d.DB, Platform: d.Control()}, store: usagedb.New(d.Control(), d.Names), now: d.Now},
		Registrations: limiter("register", d.RegistrationsPerHour, DefaultRegistrationsPerHour, time.Hour),
		Lookups:       limiter("lookup", d.LookupsPerMinute, DefaultLookupsPerMinute, time.Minute),
		CodeSends:     limiter("code", d.CodeSendsPerHour, DefaultCodeSendsPerHour, time.Hour),
		SignIn:        tenantapi.SignInConfig{SharedPoolID: d.TenantPoolID, SharedClientID: d.TenantClientID, Region: d.Region, Cell: d.Cell},
		Suppressions:  suppressionList{s: maildb.Suppressions{DB: d.Control(), Table: d.Names.Control()}, codec: d.Cursors},
		Cells:         cellDirectory(d),
		Placement:     Placement(d),
	}
}

// Placement is d's placer of registrations among the cells
// (core.Deps.CellPlacement), or, in a cell of a platform with cells
// (d.CellDirectory), a placer that knows this cell only
// (placement.Placer.Unmodelled); nil with one cell.
func Placement(d core.Deps) *placement.Placer {
	if p := core.As[*placement.Placer](d.CellPlacement); p != nil || d.CellDirectory == nil {
		return p
	}
	here := cells.Cell{ID: d.Cell, Region: d.Region, APIURL: os.Getenv(envvars.CellAPIURL),
		UserPoolID: d.TenantPoolID, ClientID: d.TenantClientID}
	return &placement.Placer{Directory: *d.CellDirectory, Cells: []cells.Cell{here}, Unmodelled: true}
}

// Lifecycle is d's tenant lifecycle (core.Deps.Lifecycle), nil when d
// has none.
func Lifecycle(d core.Deps) *onboarding.Service { return core.As[*onboarding.Service](d.Lifecycle) }

// cellDirectory is the global tenant directory when d has one (a cell of
// a platform with cells), else nil.
func cellDirectory(d core.Deps) tenantapi.CellDirectory {
	if d.CellDirectory == nil {
		return nil
	}
	return d.CellDirectory
}

// HealthSource is d.Health (CloudWatch alarms in AWS: the tenants
// function's adminwire.WithHealth), or
// the local metrics log's summary.
func HealthSource(d core.Deps) health.Source {
	if h := core.As[health.Source](d.Health); h != nil {
		return h
	}
	return health.MetricsLog{Path: os.Getenv(envvars.MetricsLog), Now: d.Now, Flush: core.FlushMetrics}
}

// Directory is the provider's tenants table on d's control table.
func Directory(d core.Deps) *tenantdb.Store {
	reg := tenantdb.New(d.Control(), d.Names)
	reg.Cursors = d.Cursors
	return reg
}

// tenantUsage is Root's usage summary of a tenant: the metered calls of
// this month (internal/usage, the same counters in AWS and locally) and the
// directory's seat count.
type tenantUsage struct {
	data  tenantdata.Store
	store *usagedb.Store
	now   func() time.Time
}

func (u tenantUsage) RequestsThisMonth(ctx context.Context, t tenant.Tenant) (int64, error) {
	now := time.Now()
	if u.now != nil {
		now = u.now()
	}
	snap, err := u.store.Snapshot(ctx, t.ID, usage.MonthKey(now), usage.WeekKey(now))
	return snap.Month.Calls, err
}

func (u tenantUsage) Current(ctx context.Context, ids []string) (map[string]usage.Current, error) {
	now := time.Now()
	if u.now != nil {
		now = u.now()
	}
	return u.store.Current(ctx, ids, usage.MonthKey(now))
}

func (u tenantUsage) Users(ctx context.Context, t tenant.Tenant) (int, error) {
	return u.data.CountUsers(ctx, t)
}

// suppressionList is the mail suppression list with the deployment's
// cursors (tenantapi.Suppressions).
type suppressionList struct {
	s     maildb.Suppressions
	codec list.Codec
}

func (l suppressionList) List(ctx context.Context, req list.Request) (list.Page[mail.Suppression], error) {
	return l.s.List(ctx, l.codec, req)
}

func (l suppressionList) Lift(ctx context.Context, address string) (mail.Suppression, error) {
	return l.s.Lift(ctx, address)
}

// Operations are the lifecycle's operations (tenantapi): registration,
// the workspace's settings, Root's tenant administration.
func Operations(d core.Deps) httpapi.Operations { return tenantapi.Operations(Deps(d)) }

// RegistrationOperations are the registration function's (the public
// sign-up), TenantsOperations the tenants function's (Root's
// administration): each function builds only its own.
func RegistrationOperations(d core.Deps) httpapi.Operations {
	return tenantapi.RegistrationOperations(Deps(d))
}

// TenantsOperations: see RegistrationOperations.
func TenantsOperations(d core.Deps) httpapi.Operations { return tenantapi.TenantsOperations(Deps(d)) }

// filesData deletes a tenant's attachment objects before its items when
// offboarding (the objects' records are items; a Platinum tenant's own
// bucket must be empty before its stack is destroyed).
type filesData struct {
	onboarding.Data
	files *attachment.Service
}

// WithFiles is d, deleting the tenant's files first (files nil: d).
func WithFiles(d onboarding.Data, files *attachment.Service) onboarding.Data {
	if files == nil {
		return d
	}
	return filesData{Data: d, files: files}
}

// Delete implements onboarding.Data.
func (f filesData) Delete(ctx context.Context, t tenant.Tenant) (int, error) {
	if _, err := f.files.Offboard(tenancy.WithTenant(ctx, t.ID), t.ID, t.Tier); err != nil {
		return 0, fmt.Errorf("delete attachments of %s: %w", t.ID, err)
	}
	return f.Data.Delete(ctx, t)
}

// DirectoryMoves is the global directory as a move between cells writes
// it (onboarding.CellDirectory).
type DirectoryMoves struct{ D cells.Directory }

// CellOf implements onboarding.CellDirectory.
func (m DirectoryMoves) CellOf(ctx context.Context, tenantID string) (string, error) {
	e, err := m.D.Get(ctx, tenantID)
	return e.Cell, err
}

// SetHome implements onboarding.PoolDirectory.
func (m DirectoryMoves) SetHome(ctx context.Context, tenantID, cell string, tier tiers.Name, poolID, clientID string) error {
	return m.D.SetHome(ctx, tenantID, cell, tier, poolID, clientID)
}

// Close implements onboarding.PoolDirectory.
func (m DirectoryMoves) Close(ctx context.Context, tenantID, cell string) error {
	return m.D.Close(ctx, tenantID, cell)
}

// Switch implements onboarding.CellDirectory.
func (m DirectoryMoves) Switch(ctx context.Context, tenantID, from string, to onboarding.CellEntry) error {
	return m.D.Switch(ctx, tenantID, from, cells.Entry{Cell: to.Cell, Tier: to.Tier, APIURL: to.APIURL, Region: to.Region,
		UserPoolID: to.UserPoolID, ClientID: to.ClientID})
}
