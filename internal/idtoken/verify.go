package idtoken

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/issuetracker/issuetracker/internal/errs"
)

// maxTokenBytes rejects absurd tokens before any decoding. Cognito ID tokens
// are a few KB even with many groups; API Gateway caps headers at 10 KB.
const maxTokenBytes = 16 << 10

// Cognito signs with RS256 only; anything else is refused before key lookup.
const algRS256 = "RS256"

// Options tune a Verifier. Zero values take the defaults.
type Options struct {
	// Leeway tolerates clock skew on exp, nbf and iat. Default 30s.
	Leeway time.Duration
	// MinRefreshInterval: on an unknown kid, a pool's JWKS is refetched at
	// most once per this interval (wall clock). Default 30s.
	MinRefreshInterval time.Duration
	// HTTPClient fetches JWKS. Default: a client with a 5s timeout.
	HTTPClient *http.Client
	// Now is the clock for exp, nbf and iat. Default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Leeway <= 0 {
		o.Leeway = 30 * time.Second
	}
	if o.MinRefreshInterval <= 0 {
		o.MinRefreshInterval = 30 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: jwksTimeout}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Verifier verifies Cognito ID tokens. Build one per process (cold start) and
// share it: it caches each pool's keys and is safe for concurrent use.
type Verifier struct {
	pools  PoolResolver
	parser *jwt.Parser
	keys   *keyCache
}

// NewVerifier returns a Verifier that accepts tokens of the pools r resolves.
func NewVerifier(r PoolResolver, o Options) *Verifier {
	o = o.withDefaults()
	return &Verifier{
		pools: r,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{algRS256}),
			jwt.WithLeeway(o.Leeway),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithTimeFunc(o.Now),
			jwt.WithStrictDecoding(), // one token, one string: no second base64 spelling of a signature
		),
		keys: newKeyCache(o.HTTPClient, o.MinRefreshInterval),
	}
}

// cognitoClaims is the JSON of a Cognito token.
type cognitoClaims struct {
	jwt.RegisteredClaims
	TokenUse string   `json:"token_use"`
	Username string   `json:"cognito:username"`
	Email    string   `json:"email"`
	TenantID string   `json:"custom:tenant_id"`
	Role     string   `json:"custom:role"`
	Tier     string   `json:"custom:tier"`
	Groups   []string `json:"cognito:groups"`
	AuthTime int64    `json:"auth_time"`
	// Identities lists the external providers of a federated sign-in.
	Identities json.RawMessage `json:"identities"`
}

// Verify checks token and returns its claims. Rejections are unauthorized
// *errs.Error values with one of the Code* codes. When the token cannot be
// judged (the resolver fails, the pool's JWKS cannot be fetched) it returns an
// internal error: the token may be fine, so the caller answers 5xx, not 401.
//
// Order matters: alg, then iss (resolving the pool, with no network call for
// an unknown issuer), then the pool's key and the signature, then the
// validity window, then token_use, aud and the remaining claims.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if token == "" {
		return nil, errs.Unauthorized(CodeTokenMissing, "a bearer token is required")
	}
	if len(token) > maxTokenBytes {
		return nil, errs.Unauthorized(CodeTokenMalformed, "the token is too large")
	}
	var (
		cc   cognitoClaims
		pool Pool
	)
	// jwt calls keyFunc after decoding the claims into cc and checking alg,
	// and before checking the signature and the validity window.
	keyFunc := func(t *jwt.Token) (any, error) {
		var err error
		if pool, err = v.resolve(ctx, cc.Issuer); err != nil {
			return nil, err
		}
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errs.Unauthorized(CodeTokenMalformed, "the token header has no key id")
		}
		key, err := v.keys.key(ctx, pool.JWKSURL, t, kid)
		switch {
		case errors.Is(err, errKidUnknown):
			return nil, wrap(errs.Unauthorized(CodeTokenKidUnknown, "the token is signed with a key the user pool does not publish"), err)
		case err != nil:
			return nil, errs.Internal(fmt.Errorf("keys of user pool %s: %w", pool.ID, err))
		}
		return key, nil
	}
	parsed, err := v.parser.ParseWithClaims(token, &cc, keyFunc)
	if err != nil {
		return nil, classify(parsed, err)
	}
	return checkClaims(pool, &cc)
}

// resolve finds the pool of iss. It never touches the network for an unknown
// issuer: the resolver knows pools from configuration and the tenant registry.
func (v *Verifier) resolve(ctx context.Context, iss string) (Pool, error) {
	if iss == "" {
		return Pool{}, errs.Unauthorized(CodeTokenIssuerUnknown, "the token has no issuer")
	}
	pool, ok, err := v.pools.PoolByIssuer(ctx, iss)
	switch {
	case err != nil:
		return Pool{}, errs.Internal(fmt.Errorf("resolve token issuer: %w", err))
	case !ok || pool.Issuer != iss: // exact match, whatever the resolver does
		return Pool{}, errs.Unauthorized(CodeTokenIssuerUnknown, "the token was not issued by a known user pool")
	case pool.JWKSURL == "":
		return Pool{}, errs.Internal(fmt.Errorf("user pool %s has no JWKS URL", pool.ID))
	}
	return pool, nil
}

// classify turns a jwt parse error into a stable code. Errors the keyFunc
// returned are already *errs.Error and pass through.
func classify(t *jwt.Token, err error) error {
	var e *errs.Error
	if errors.As(err, &e) {
		return e
	}
	unauthorized := func(code, msg string) error { return wrap(errs.Unauthorized(code, msg), err) }
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return unauthorized(CodeTokenMalformed, "the token is not a well-formed JWT")
	case t != nil && t.Header["alg"] != algRS256:
		return unauthorized(CodeTokenAlgNotAllowed, "the token must be signed with RS256")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return unauthorized(CodeTokenSignatureInvalid, "the token signature is invalid")
	case errors.Is(err, jwt.ErrTokenExpired):
		return unauthorized(CodeTokenExpired, "the token has expired")
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return unauthorized(CodeTokenNotYetValid, "the token is not valid yet")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing), errors.Is(err, jwt.ErrTokenInvalidClaims):
		return unauthorized(CodeTokenClaimsInvalid, "the token lacks a required claim or has an invalid one")
	}
	return unauthorized(CodeTokenMalformed, "the token could not be verified")
}

// checkClaims applies the Cognito rules that jwt does not know, on a token
// whose signature and validity window are already verified.
func checkClaims(pool Pool, cc *cognitoClaims) (*Claims, error) {
	if cc.TokenUse != "id" {
		// Access tokens lack the custom attributes and carry no aud.
		return nil, errs.Unauthorized(CodeTokenUseInvalid, "an ID token is required")
	}
	// A Cognito ID token has exactly one aud: the app client.
	if len(cc.Audience) != 1 || !pool.allowsClient(cc.Audience[0]) {
		return nil, errs.Unauthorized(CodeTokenClientInvalid, "the token was not issued to an allowed app client")
	}
	invalid := func(msg string) error { return errs.Unauthorized(CodeTokenClaimsInvalid, msg) }
	if cc.Subject == "" {
		return nil, invalid("the token has no subject")
	}
	tenantID := cc.TenantID
	switch pool.Kind {
	case PoolDedicated:
		// The pool belongs to one tenant; a token naming another tenant would
		// cross tenants, whatever wrote the attribute.
		if tenantID != "" && tenantID != pool.TenantID {
			return nil, invalid("the token names a tenant other than its user pool's")
		}
		tenantID = pool.TenantID
		if tenantID == "" {
			return nil, invalid("the user pool has no tenant")
		}
	case PoolTenant:
		if tenantID == "" {
			return nil, invalid("the token has no tenant")
		}
	case PoolProvider:
		if tenantID != "" {
			return nil, invalid("a provider token must not name a tenant")
		}
	default:
		return nil, invalid("the token's user pool has an unknown kind")
	}
	c := &Claims{
		Pool:     pool,
		Subject:  cc.Subject,
		Username: cc.Username,
		Email:    cc.Email,
		TokenUse: cc.TokenUse,
		ClientID: cc.Audience[0],
		TenantID: tenantID,
		Role:     cc.Role,
		Tier:     cc.Tier,
		Groups:   cc.Groups,
	}
	if id := strings.TrimSpace(string(cc.Identities)); id != "" && id != "null" && id != "[]" {
		c.Federated = true
	}
	if cc.AuthTime > 0 {
		c.AuthTime = time.Unix(cc.AuthTime, 0)
	}
	if cc.IssuedAt != nil {
		c.IssuedAt = cc.IssuedAt.Time
	}
	c.ExpiresAt = cc.ExpiresAt.Time // required by the parser
	return c, nil
}

// wrap keeps the cause for logs; errs never shows Err to clients.
func wrap(e *errs.Error, cause error) *errs.Error {
	e.Err = cause
	return e
}
