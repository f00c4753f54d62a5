// Package tenantcreds signs tenant-data calls with credentials of the tenant
// the request acts for. In AWS, a function assumes the tenant access role
// (constructs/tenantaccess) with a session tag naming the tenant; the role's
// policy lets that session touch only the tenant's keys of the pooled table
// (dynamodb:LeadingKeys) and the tenant's own silo table. So a bug in a
// handler that builds another tenant's key gets AccessDenied from DynamoDB,
// not the other tenant's data.
//
// A Platinum tenant whose stack is in an AWS account of its own has its
// table and bucket there: its sessions are a second AssumeRole (role
// chaining), with the first hop's credentials, of the data role of that
// account (constructs/crossaccount DataRole), tagged again with the tenant;
// that role trusts only the tenant access role's sessions tagged with that
// tenant. Table and bucket names then resolve in the tenant's account.
//
// The tenant comes from the context (tenancy.WithTenant), which the route
// guard sets from the verified principal. A call without a tenant in its
// context is refused before it is signed, locally too: the local cloud does
// not enforce IAM, but every test then proves each tenant-data call is made
// on behalf of a tenant.
package tenantcreds

import (
	"context"
	"errors"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/issuetracker/issuetracker/internal/awsx/assumerole"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// ErrNoTenant is returned for a tenant-data call made outside a tenant context.
var ErrNoTenant = errors.New("tenant data accessed without a tenant in the context")

// Provider is an aws.CredentialsProvider that answers per tenant. The SDK
// asks for credentials with each operation's context, so one client serves
// every tenant.
type Provider struct {
	// Base answers when no role is set (the local cloud's dummy credentials).
	Base aws.CredentialsProvider
	// STS and RoleARN, when set, assume the tenant access role per tenant
	// (STS signs with the function's credentials).
	STS     assumerole.Client
	RoleARN string
	// TagKey is the session tag carrying the tenant id ("TenantId").
	TagKey string
	// AccountRoles are the data roles of the tenants in AWS accounts of
	// their own (tenant id -> role ARN there; envvars.TenantDataRoles).
	// Their sessions are assumed from the tenant's first-hop session.
	AccountRoles map[string]string
	// OwnAccountsOnly signs the calls of tenants that are not in
	// AccountRoles with Base: the functions that read tenants' tables with
	// their own role, not as the tenant (the webhook delivery, the
	// notification mail job), whose grants cover the tables of the
	// platform's account only. A tenant in an account of its own is reached
	// as the API functions reach it: the tenant access role's session for
	// the tenant, then its account's data role (envvars.TenantAccountsHopRoleARN).
	OwnAccountsOnly bool

	mu     sync.Mutex
	caches map[string]*aws.CredentialsCache
}

// SessionDuration is how long an assumed session lives: the tenant access
// role's maximum, and the most role chaining allows (one hour). The
// cache refreshes it PresignHeadroom before it ends.
const SessionDuration = time.Hour

// Retrieve implements aws.CredentialsProvider.
func (p *Provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	tenant := tenancy.TenantFrom(ctx)
	if tenant == "" {
		return aws.Credentials{}, ErrNoTenant
	}
	if p.RoleARN == "" {
		return p.Base.Retrieve(ctx)
	}
	if _, own := p.AccountRoles[tenant]; p.OwnAccountsOnly && !own {
		return p.Base.Retrieve(ctx)
	}
	return p.cache(tenant).Retrieve(ctx)
}

// cache returns the tenant's credentials cache: one AssumeRole per tenant
// per session lifetime (an hour), refreshed before expiry.
func (p *Provider) cache(tenant string) *aws.CredentialsCache {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.caches == nil {
		p.caches = map[string]*aws.CredentialsCache{}
	}
	if c, ok := p.caches[tenant]; ok {
		return c
	}
	key := p.TagKey
	if key == "" {
		key = "TenantId"
	}
	c := newCache(p.STS, p.RoleARN, tenant, key)
	if role, ok := p.AccountRoles[tenant]; ok {
		// Second hop: signed with the first hop's (cached) credentials.
		c = newCache(p.STS.With(c), role, tenant, key)
	}
	p.caches[tenant] = c
	return c
}

// newCache is one tenant's session of role: tagged with the tenant, an
// hour long, refreshed while it still outlives the longest presigned URL.
func newCache(client assumerole.Client, role, tenant, key string) *aws.CredentialsCache {
	return assumerole.NewCache(client, assumerole.Input{
		RoleARN:     role,
		SessionName: "tenant-" + tenant,
		Tags:        []assumerole.Tag{{Key: key, Value: tenant}},
		// The default is 15 minutes: with PresignHeadroom as the expiry
		// window, every call would assume the role again.
		Duration: SessionDuration,
	}, func(o *aws.CredentialsCacheOptions) {
		// A presigned URL dies with the session that signed it: refresh
		// while a session still outlives the longest URL (attachments: 10 min).
		o.ExpiryWindow = PresignHeadroom
	})
}

// ParseAccountRoles reads envvars.TenantDataRoles: "tenant=role-arn,...".
func ParseAccountRoles(v string) (map[string]string, error) {
	return envvars.ParseTenantRoles(v)
}

// Scoped returns a copy of db whose calls are signed per tenant by p.
func Scoped(db *dynamodb.Client, p *Provider) *dynamodb.Client {
	opts := db.Options()
	if p.Base == nil {
		p.Base = opts.Credentials
	}
	opts.Credentials = p
	return dynamodb.New(opts)
}

// PresignHeadroom is how long, at least, a session still lives when it is
// handed out: presigned URLs signed with it stay valid that long.
const PresignHeadroom = 15 * time.Minute

// RequireTenant returns a copy of db that keeps db's credentials but refuses
// calls made outside a tenant context (the local cloud and tests).
func RequireTenant(db *dynamodb.Client) *dynamodb.Client {
	return Scoped(db, &Provider{})
}
