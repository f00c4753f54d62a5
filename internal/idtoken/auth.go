// Package idtoken verifies the Cognito ID tokens that callers present: the
// signature against the JWKS of the user pool that issued the token, the
// issuer, the app client (aud), the token use and the validity window. The
// Lambda authorizer and the local gateway both call Verify; what a verified
// caller may do is decided elsewhere (packages tenancy and routes).
//
// Three kinds of pool issue tokens: the shared tenant pool, the provider
// (root) pool, and one dedicated pool per Platinum tenant, registered at
// runtime. A PoolResolver maps a token's iss to its pool; an issuer it does not
// know is rejected before any key is fetched, so a token can never make us
// fetch a URL of its choosing.
package idtoken

import (
	"context"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// Stable codes of the unauthorized errors Verify and BearerToken return.
const (
	CodeTokenMissing          = "token_missing"
	CodeTokenMalformed        = "token_malformed"
	CodeTokenAlgNotAllowed    = "token_alg_not_allowed"
	CodeTokenSignatureInvalid = "token_signature_invalid"
	CodeTokenExpired          = "token_expired"
	CodeTokenNotYetValid      = "token_not_yet_valid"
	CodeTokenIssuerUnknown    = "token_issuer_unknown"
	CodeTokenClientInvalid    = "token_client_invalid"
	CodeTokenUseInvalid       = "token_use_invalid"
	CodeTokenKidUnknown       = "token_kid_unknown"
	CodeTokenClaimsInvalid    = "token_claims_invalid"
)

// PoolKind says what a user pool is for.
type PoolKind string

const (
	PoolTenant    PoolKind = "tenant"    // the shared pool of pooled-tier tenants
	PoolProvider  PoolKind = "provider"  // the SaaS provider's root users
	PoolDedicated PoolKind = "dedicated" // a Platinum tenant's own pool
)

// Pool is a Cognito user pool whose tokens we accept.
type Pool struct {
	ID        string   // user pool id
	Issuer    string   // exact iss, e.g. https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc
	JWKSURL   string   // usually Issuer + "/.well-known/jwks.json"
	ClientIDs []string // app clients allowed (the id token's aud)
	Kind      PoolKind
	TenantID  string // for dedicated pools: the tenant that owns it
}

// NewPool builds a Pool whose JWKS lives at the usual Cognito path under its issuer.
func NewPool(id, issuer string, kind PoolKind, tenantID string, clientIDs ...string) Pool {
	return Pool{
		ID:        id,
		Issuer:    issuer,
		JWKSURL:   strings.TrimSuffix(issuer, "/") + "/.well-known/jwks.json",
		ClientIDs: clientIDs,
		Kind:      kind,
		TenantID:  tenantID,
	}
}

func (p Pool) allowsClient(clientID string) bool {
	for _, c := range p.ClientIDs {
		if c != "" && c == clientID {
			return true
		}
	}
	return false
}

// PoolResolver finds the pool of an issuer: static pools (shared, provider)
// plus dedicated pools registered at runtime for Platinum tenants. It reports
// found=false for an issuer it does not know; an error means it could not
// tell (e.g. the registry is unreachable).
type PoolResolver interface {
	PoolByIssuer(ctx context.Context, issuer string) (Pool, bool, error)
}

// StaticPools is a fixed list of pools.
type StaticPools []Pool

// PoolByIssuer returns the pool whose Issuer is exactly issuer.
func (s StaticPools) PoolByIssuer(_ context.Context, issuer string) (Pool, bool, error) {
	for _, p := range s {
		if p.Issuer == issuer {
			return p, true, nil
		}
	}
	return Pool{}, false, nil
}

// Claims are the verified claims of a Cognito ID token.
type Claims struct {
	Pool     Pool
	Subject  string // sub: the user's stable id
	Username string // cognito:username
	Email    string
	TokenUse string // always "id"
	ClientID string // the app client the token was issued to (aud)
	TenantID string // custom:tenant_id; for a dedicated pool, the pool's tenant
	Role     string // custom:role, unchecked here: the authorizer maps it
	Tier     string // custom:tier
	Groups   []string
	IssuedAt time.Time
	// AuthTime is when the user signed in (auth_time; kept across refreshes).
	AuthTime time.Time
	// ExpiresAt is when the token stops being accepted, before the leeway.
	ExpiresAt time.Time
	// Federated: the user signed in through an external provider (Google),
	// which Cognito does not challenge for a second factor (the
	// "identities" claim).
	Federated bool
}

// BearerToken extracts the token from an Authorization header value of the
// form "Bearer <jwt>" (the scheme is case-insensitive).
func BearerToken(authorizationHeader string) (string, error) {
	h := strings.TrimSpace(authorizationHeader)
	if h == "" {
		return "", errs.Unauthorized(CodeTokenMissing, "an Authorization header with a Bearer token is required")
	}
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", errs.Unauthorized(CodeTokenMalformed, "the Authorization header must use the Bearer scheme")
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return "", errs.Unauthorized(CodeTokenMissing, "the Authorization header has no Bearer token")
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return "", errs.Unauthorized(CodeTokenMalformed, "the Bearer token must be a single JWT")
	}
	return token, nil
}
