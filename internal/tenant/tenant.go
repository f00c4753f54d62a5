// Package tenant is the tenant registry's domain: a company that uses
// IssueTracker, its tier, its lifecycle status and where its data lives.
package tenant

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"github.com/issuetracker/issuetracker/internal/text"
	"slices"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// RetryAfterFreeze is what a frozen write's Retry-After says, in seconds
// (a tier migration's write freeze: internal/onboarding).
const RetryAfterFreeze = 2

// HomeCacheTTL is how long the API's route guard may keep a tenant's home
// (table, write freeze) in memory instead of reading the registry on every
// request. A migration's freeze always waits at least this long, on top of
// its settle time, so no write admitted under a cached, unfrozen home lands
// after the drain. Here, not in onboarding, so that the route guard
// (internal/app/core) does not import the lifecycle (issue 19).
const HomeCacheTTL = time.Second

// Status is the lifecycle state of a tenant.
type Status string

const (
	// StatusPendingVerification: signed up, the admin email not proven yet;
	// nothing is provisioned.
	StatusPendingVerification Status = "pending_verification"
	// StatusPendingApproval: verified, a paid tier waiting for the
	// provider's (Root) approval before anything is provisioned.
	StatusPendingApproval Status = "pending_approval"
	// StatusPendingPayment: verified, a paid tier waiting for its first
	// payment (a Stripe Checkout session) before anything is provisioned;
	// Root may still approve it instead (internal/billing).
	StatusPendingPayment Status = "pending_payment"
	// StatusRegistered: admitted, onboarding about to start.
	StatusRegistered   Status = "registered"
	StatusProvisioning Status = "provisioning"
	StatusActive       Status = "active"
	StatusFailed       Status = "failed"
	StatusSuspended    Status = "suspended"
	StatusOffboarding  Status = "offboarding"
	StatusDeleted      Status = "deleted"
)

// Tenant is one company. Its ID is its slug: short, unique, never reused.
type Tenant struct {
	ID     string     `json:"id"`
	Name   string     `json:"name"`
	Tier   tiers.Name `json:"tier"`
	Status Status     `json:"status"`
	// StatusReason explains failed and suspended states.
	StatusReason string `json:"status_reason,omitempty"`
	// Table is the application table holding the tenant's data.
	Table string `json:"table"`
	// APIKey is the tenant's own API Gateway key value (usageIdentifierKey).
	APIKey   string `json:"-"`
	APIKeyID string `json:"api_key_id,omitempty"`
	// UserPoolID, Issuer and ClientIDs name the tenant's dedicated pool (Platinum).
	UserPoolID string   `json:"user_pool_id,omitempty"`
	Issuer     string   `json:"issuer,omitempty"`
	ClientIDs  []string `json:"client_ids,omitempty"`
	// FormerPool is the user pool the tenant's users lived in before its
	// last tier migration switched pools (nil if it never did): the
	// user-migration trigger of the tenant's current pool authenticates a
	// user there on their first sign-in (internal/cognito/usermigration),
	// and a token of that pool is answered 403 session_moved.
	FormerPool *FormerPool `json:"former_pool,omitempty"`
	// Downloads is the download distribution of the tenant's own
	// attachments bucket (Platinum: its stack's outputs, recorded by
	// onboarding); nil for a pooled tenant, whose files the platform's
	// distribution serves. Not in the API's answers.
	Downloads *Downloads `json:"-"`
	Branding  Branding   `json:"branding"`
	// WritesFrozen is set for the few seconds a tier migration drains the
	// last changes into the new home: writes answer 503 with Retry-After,
	// reads keep working (internal/app's guard reads it on every request).
	WritesFrozen bool `json:"writes_frozen,omitempty"`
	// HomeSince is when the tenant's data moved into Table (a tier
	// migration's switch). Informational: the stream consumers tell the
	// migration's copy from the tenant's changes by its mark
	// (keylog.ByMigration, changes.HomeOnly), not by this time.
	HomeSince time.Time `json:"home_since,omitzero"`
	// KeyLogSince, set while a tier migration copies the tenant (from its
	// copy step to its switch or rollback), is when its writes started
	// being logged by key (internal/keylog): the guard gives every request
	// a log target, so the drain reads only the keys changed since its
	// last catch-up. Zero when no migration runs.
	KeyLogSince time.Time `json:"-"`
	// RegistrationTokenHash is the hex SHA-256 of the registration's status
	// token, which only the registrant got (in the answer to the sign-up):
	// the public registration routes answer not_found without it, so an
	// anonymous caller cannot learn a company's tier or status.
	RegistrationTokenHash string    `json:"-"`
	CreatedAt             time.Time `json:"created_at"`
	UpdatedAt             time.Time `json:"updated_at"`
	Version               int64     `json:"version"`
}

// FormerPool names a user pool a tenant moved away from. Issuer and
// ClientIDs are empty for the shared pool (the platform's, known to the
// functions from their environment).
type FormerPool struct {
	ID        string   `json:"id" dynamodbav:"id"`
	Issuer    string   `json:"issuer,omitempty" dynamodbav:"issuer,omitempty"`
	ClientIDs []string `json:"client_ids,omitempty" dynamodbav:"client_ids,omitempty"`
}

// Downloads names a tenant stack's attachment download distribution.
type Downloads struct {
	// Domain is the distribution's domain (d111111abcdef8.cloudfront.net).
	Domain string `json:"domain" dynamodbav:"domain"`
	// KeyPairID is the CloudFront public key the download URLs name, when
	// the stack trusts a key group of its own (a tenant in its own
	// account); "" when it trusts the platform's (the same account): the
	// platform's signing key id then applies, whichever a rotation made
	// current (docs/deploy.md, "Attachment downloads").
	KeyPairID string `json:"key_pair_id,omitempty" dynamodbav:"key_pair_id,omitempty"`
}

// Shared reports whether the former pool is the platform's shared pool.
func (p FormerPool) Shared() bool { return p.Issuer == "" }

// Branding customises the tenant's workspace.
type Branding struct {
	DisplayName  string `json:"display_name,omitempty"`
	LogoURL      string `json:"logo_url,omitempty"`
	PrimaryColor string `json:"primary_color,omitempty"`
}

// Statuses lists every status (API enums).
var Statuses = []Status{StatusPendingVerification, StatusPendingApproval, StatusPendingPayment, StatusRegistered, StatusProvisioning,
	StatusActive, StatusFailed, StatusSuspended, StatusOffboarding, StatusDeleted}

// Admitted reports whether onboarding may provision the tenant: its
// registration is verified and, for paid tiers, paid for or approved.
func (t Tenant) Admitted() bool {
	return t.Status != StatusPendingVerification && t.Status != StatusPendingApproval && t.Status != StatusPendingPayment
}

// Serves reports whether the tenant's users may use the API.
func (t Tenant) Serves() bool { return t.Status == StatusActive }

var slugRE = text.Lazy(`^[a-z][a-z0-9-]{1,30}[a-z0-9]$`)

// Reserved slugs would collide with product paths, hostnames or the provider.
var reserved = []string{"admin", "api", "app", "www", "root", "www", "support", "help", "status",
	"login", "signup", "register", "platform", "issuetracker", "provider", "system", "internal", "static", "assets", "docs",
	"availability", "verification", "signin", "signout", "workspace", "workspaces", "billing", "mail"}

// IsReserved reports whether s is a reserved slug.
func IsReserved(s string) bool { return slices.Contains(reserved, s) }

// ValidateSlug checks a tenant id: 3 to 32 lowercase letters, digits and
// hyphens, starting with a letter, not reserved. DynamoDB Local rejects table
// names under 3 characters, and the id is part of silo table names.
func ValidateSlug(s string) error {
	if !slugRE.Regexp().MatchString(s) {
		return errs.Field("slug", "must be 3-32 lowercase letters, digits or hyphens, start with a letter and not end with a hyphen")
	}
	if IsReserved(s) {
		return errs.Field("slug", fmt.Sprintf("%q is reserved", s))
	}
	return nil
}

// Housed returns the tenant whose data has a home in reg: ok false (no
// error) for a tenant not, or no longer, in it, and for a deleted one (an
// offboarded tenant, or one moved to another cell). The stream consumers
// and the webhook worker follow a tier migration with it.
func Housed(ctx context.Context, reg Registry, id string) (t Tenant, ok bool, err error) {
	t, err = reg.Get(ctx, id)
	if errs.Is(err, errs.KindNotFound) || (err == nil && t.Status == StatusDeleted) {
		return Tenant{}, false, nil
	}
	return t, err == nil, err
}

// Registry reads and writes tenants.
type Registry interface {
	// Get returns the tenant, or errs not_found (code tenant_not_found).
	Get(ctx context.Context, id string) (Tenant, error)
	// Create stores a new tenant; conflict (tenant_exists) if the id is taken.
	Create(ctx context.Context, t Tenant) error
	// Put replaces a tenant whose Version matches; precondition_failed otherwise.
	Put(ctx context.Context, t Tenant) (Tenant, error)
	// SetBranding stores t's Branding and UpdatedAt, and nothing else of it,
	// if the stored tenant's Version is still t.Version (precondition_failed
	// otherwise), and returns t with its new Version. The function serving
	// branding may write nothing else of a tenant (internal/access).
	SetBranding(ctx context.Context, t Tenant) (Tenant, error)
	// ByIssuer finds the tenant that owns a dedicated user pool issuer.
	ByIssuer(ctx context.Context, issuer string) (Tenant, error)
	// List returns a page of tenants in id order.
	List(ctx context.Context, req list.Request) (list.Page[Tenant], error)
	// ListByStatus is List of the tenants with a status (one filtered Query
	// per page: a page may hold fewer than the limit, with a cursor to go on).
	ListByStatus(ctx context.Context, status Status, req list.Request) (list.Page[Tenant], error)
}

// RootSessions keeps when each provider (root) user's sessions ended: Root
// signs out everywhere as a tenant user does (people.User.SessionsEndedAt),
// and the authorizer refuses a root token of a session signed in before
// that, however long before its expiry (the registry implements it).
type RootSessions interface {
	// EndRootSessions records that the root user's sessions signed in
	// before at ended (it only moves forward).
	EndRootSessions(ctx context.Context, sub string, at time.Time) error
	// RootSessionsEnded is when they ended (zero: never).
	RootSessionsEnded(ctx context.Context, sub string) (time.Time, error)
}

// Scope is where the tenant's data lives (its table) and the id its keys
// start with.
func (t Tenant) Scope() tenancy.Scope { return tenancy.Scope{Table: t.Table, TenantID: t.ID} }

// All reads every tenant of the registry, page by page (platform jobs and
// commands: Root-sized reads, never a tenant's request path).
func All(ctx context.Context, reg Registry) ([]Tenant, error) {
	var out []Tenant
	for cursor := ""; ; {
		page, err := reg.List(ctx, list.Request{Limit: list.MaxLimit, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if cursor = page.NextCursor; cursor == "" {
			return out, nil
		}
	}
}

// RegistrationTokenParam is the query parameter that carries a
// registration's status token (the sign-up's answer, status_token) to the
// public registration routes that read or act on one registration.
const RegistrationTokenParam = "token"

// NewRegistrationToken returns a random status token for a new
// registration and the hash to store (Tenant.RegistrationTokenHash).
func NewRegistrationToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashRegistrationToken(token), nil
}

func hashRegistrationToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// RegistrationTokenIs reports, in constant time, whether token is t's
// registration status token (false for a tenant registered without one).
func (t Tenant) RegistrationTokenIs(token string) bool {
	if t.RegistrationTokenHash == "" || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashRegistrationToken(token)), []byte(t.RegistrationTokenHash)) == 1
}
