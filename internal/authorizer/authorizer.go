// Package authorizer decides who is calling: it verifies the bearer token
// (package idtoken), takes the tenant only from the verified claims, confirms
// the tenant and the user against the registry (short cache, so a
// suspension, a disabled user or a role change takes effect within
// RevocationDelay), and returns the principal and the tenant's own API key.
// The Lambda authorizer (functions/authorizer) and the local gateway run
// this same code.
package authorizer

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/edge"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/idtoken"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
)

// Registry caching. With the API's result cache on top (ResultCacheTTL:
// API Gateway's authorizer cache and the local gateway's, both from
// internal/edge), a revoked user or a suspended tenant is refused at most
// RevocationDelay after the change, even with an unexpired token.
const (
	RegistryCacheTTL = 10 * time.Second
	ResultCacheTTL   = edge.AuthorizerResultTTL
	RevocationDelay  = RegistryCacheTTL + ResultCacheTTL
	MFASessionTTL    = edge.MFASessionTTL
)

// Authorizer is built once per cold start.
type Authorizer struct {
	verifier   *idtoken.Verifier
	tenants    *cache[tenant.Tenant]
	users      *cache[people.User]
	settings   *cache[people.Settings]
	mfaOn      *cache[bool]
	mfaEnabled func(ctx context.Context, poolID, username string) (bool, error)
	sharedPool string
	dir        people.Directory
	tenantsReg tenant.Registry
	cell       string
	cells      CellDirectory
	homes      *cache[cells.Entry]
	rootEnds   *cache[time.Time]
	rootOn     *cache[bool]
	enabled    func(ctx context.Context, poolID, username string) (bool, error)
	rootPool   string
}

// CellDirectory is the global tenant directory (cells.Directory).
type CellDirectory interface {
	Get(ctx context.Context, tenantID string) (cells.Entry, error)
}

// Config names the platform's static pools.
type Config struct {
	TenantPool   idtoken.Pool // the shared pool of pooled tenants
	ProviderPool idtoken.Pool // the provider's root users
	Options      idtoken.Options
	CacheTTL     time.Duration // registry cache; RegistryCacheTTL if zero
	// MFAEnabled asks Cognito whether a user's sign-ins are challenged for a
	// second factor (cognito.Pools.MFAEnabled), for tenants that require MFA:
	// the directory only knows the user set MFA up through the API, not that
	// they did not switch it off since. Nil skips that check.
	MFAEnabled func(ctx context.Context, poolID, username string) (bool, error)
	// UserEnabled asks the provider pool whether a root user may still
	// sign in (cognito.Pools.UserEnabled): a root user disabled (or
	// removed) there, by Cognito's console or CLI, is refused at once
	// (RevocationDelay) though their token's signature and hour are fine.
	// Nil skips that check.
	UserEnabled func(ctx context.Context, poolID, username string) (bool, error)
	// Cell is this platform's cell and Cells the global tenant directory
	// (internal/cells), when the platform has cells: a token of a tenant
	// the directory places in another cell is refused with that cell's
	// API (tenant_in_other_cell), even when this cell still knows the
	// tenant (the old home of a move between cells, kept for its grace
	// period). A tenant the directory does not hold is judged by the
	// registry alone (tenants from before the directory). Nil: one cell.
	Cell  string
	Cells CellDirectory
}

// New builds an Authorizer over the tenant registry and user directory.
func New(cfg Config, reg tenant.Registry, dir people.Directory) *Authorizer {
	ttl := cfg.CacheTTL
	if ttl == 0 {
		ttl = RegistryCacheTTL
	}
	a := &Authorizer{
		tenants:    newCache[tenant.Tenant](ttl),
		users:      newCache[people.User](ttl),
		settings:   newCache[people.Settings](ttl),
		mfaOn:      newCache[bool](MFASessionTTL),
		mfaEnabled: cfg.MFAEnabled,
		sharedPool: cfg.TenantPool.ID,
		dir:        dir,
		cell:       cfg.Cell,
		cells:      cfg.Cells,
		homes:      newCache[cells.Entry](ttl),
		rootEnds:   newCache[time.Time](ttl),
		rootOn:     newCache[bool](ttl),
		enabled:    cfg.UserEnabled,
		rootPool:   cfg.ProviderPool.ID,
	}
	resolver := pools{static: idtoken.StaticPools{cfg.TenantPool, cfg.ProviderPool}, reg: reg, cache: newCache[tenant.Tenant](ttl)}
	a.verifier = idtoken.NewVerifier(resolver, cfg.Options)
	a.tenantsReg = reg
	return a
}

// Authorize checks an Authorization header value. It matches
// gateway.AuthorizeFunc. The key is the tenant's API key (empty for root).
func (a *Authorizer) Authorize(ctx context.Context, header string) (tenancy.Principal, string, error) {
	raw, err := idtoken.BearerToken(header)
	if err != nil {
		return tenancy.Principal{}, "", err
	}
	c, err := a.verifier.Verify(ctx, raw)
	if err != nil {
		return tenancy.Principal{}, "", err
	}
	if c.Pool.Kind == idtoken.PoolProvider {
		if err := a.rootSessionLive(ctx, c); err != nil {
			return tenancy.Principal{}, "", err
		}
		return tenancy.Principal{UserID: c.Subject, Username: c.Username, Email: c.Email, Role: roles.Root}, "", nil
	}
	if err := a.inThisCell(ctx, c.TenantID); err != nil {
		return tenancy.Principal{}, "", err
	}
	t, err := a.tenants.get(c.TenantID, func() (tenant.Tenant, error) { return a.tenantsReg.Get(ctx, c.TenantID) })
	if errs.Is(err, errs.KindNotFound) || (err == nil && t.Status == tenant.StatusDeleted) {
		return tenancy.Principal{}, "", errs.Unauthorized("tenant_unknown", "the token names no registered tenant")
	}
	if err != nil {
		return tenancy.Principal{}, "", errs.Internal(fmt.Errorf("authorize: %w", err))
	}
	// A tenant is reachable only through its current pool: a dedicated
	// pool's tenant through that pool, a pooled tenant through the shared
	// one. A token of the pool a tier migration moved it away from ends
	// cleanly: the web asks its user to sign in again (session_moved). It
	// is a 403, not a 401: in AWS a Lambda authorizer's 401 is API
	// Gateway's own {"message":"Unauthorized"}, which carries no code,
	// while a Deny's context reaches the client (Handle, and the API's
	// ACCESS_DENIED gateway response), so only a 403 can tell the web
	// app that the workspace moved rather than that the session ended.
	if !signsInThrough(t, c.Pool) {
		if t.FormerPool != nil && formerPool(t, c.Pool) {
			return tenancy.Principal{}, "", errs.Forbidden(SessionMoved, "this workspace moved to a new sign-in; sign in again with the same email and password")
		}
		return tenancy.Principal{}, "", errs.Unauthorized("token_pool_mismatch", "this tenant signs in through its own user pool")
	}
	switch t.Status {
	case tenant.StatusActive:
	case tenant.StatusSuspended:
		return tenancy.Principal{}, "", errs.Forbidden("tenant_suspended", "this workspace is suspended; contact your administrator")
	default:
		return tenancy.Principal{}, "", errs.Forbidden("tenant_inactive", fmt.Sprintf("this workspace is not active (status %s)", t.Status))
	}
	// The tenant's directory is read as that tenant (verified claims only).
	ctx = tenancy.WithTenant(ctx, t.ID)
	u, err := a.users.get(t.ID+"/"+c.Subject, func() (people.User, error) { return a.user(ctx, t, c) })
	if errs.Is(err, errs.KindNotFound) {
		return tenancy.Principal{}, "", errs.Unauthorized("user_unknown", "this user is not a member of the workspace")
	}
	if err != nil {
		return tenancy.Principal{}, "", errs.Internal(fmt.Errorf("authorize: %w", err))
	}
	if u.Status != people.UserActive {
		return tenancy.Principal{}, "", errs.Forbidden(UserDisabled, "this user is disabled")
	}
	if u.SessionEnded(signedIn(c)) {
		// Signed out (or disabled) since this session signed in: the
		// token's signature and expiry are fine, the session is not.
		return tenancy.Principal{}, "", errs.Unauthorized(SessionEnded, "this session ended (signed out); sign in again")
	}
	if !u.Role.IsTenant() {
		return tenancy.Principal{}, "", errs.Internal(fmt.Errorf("user %s has role %q", u.ID, u.Role))
	}
	mfa, err := a.mfa(ctx, t, u, c)
	if err != nil {
		return tenancy.Principal{}, "", errs.Internal(fmt.Errorf("authorize: %w", err))
	}
	return tenancy.Principal{TenantID: t.ID, UserID: u.ID, Username: c.Username, Email: c.Email,
		Role: u.Role, Tier: t.Tier, Table: t.Table, MFA: mfa}, t.APIKey, nil
}

// rootSessionLive refuses a root token of a user the provider pool has
// disabled or removed (UserDisabled), or of a session that ended (Root
// signed out everywhere since it signed in: tenant.RootSessions), each
// cached like the users, so either takes effect within RevocationDelay as a
// tenant user's disable or sign-out does.
func (a *Authorizer) rootSessionLive(ctx context.Context, c *idtoken.Claims) error {
	rs, _ := a.tenantsReg.(tenant.RootSessions)
	if a.enabled != nil {
		on, err := a.rootOn.get(c.Subject, func() (bool, error) { return a.rootEnabled(ctx, rs, c) })
		if err != nil {
			return errs.Internal(fmt.Errorf("authorize: %w", err))
		}
		if !on {
			return errs.Unauthorized(UserDisabled, "this user is disabled")
		}
	}
	if rs == nil {
		return nil
	}
	ended, err := a.rootEnds.get(c.Subject, func() (time.Time, error) { return rs.RootSessionsEnded(ctx, c.Subject) })
	if err != nil {
		return errs.Internal(fmt.Errorf("authorize: %w", err))
	}
	if (people.User{SessionsEndedAt: ended}).SessionEnded(signedIn(c)) {
		return errs.Unauthorized(SessionEnded, "this session ended (signed out); sign in again")
	}
	return nil
}

// rootEnabled asks the provider pool whether the token's root user may
// sign in. One that may not has their sessions ended as well (recorded as
// Root's sign-out records it), as a tenant user's disable ends theirs in the
// same write: enabled again, they sign in anew, and no token from before
// the disable comes back to life.
func (a *Authorizer) rootEnabled(ctx context.Context, rs tenant.RootSessions, c *idtoken.Claims) (bool, error) {
	username := c.Username
	if username == "" {
		username = c.Subject
	}
	on, err := a.enabled(ctx, a.rootPool, username)
	if err != nil || on || rs == nil {
		return on, err
	}
	if err := rs.EndRootSessions(ctx, c.Subject, people.EndSessionsAt(time.Now())); err != nil {
		return false, fmt.Errorf("end the sessions of disabled root user %s: %w", c.Subject, err)
	}
	return false, nil
}

// UserDisabled is the code of a token whose user is disabled: a tenant
// user's 403 (the directory's status), a root user's 401 (the provider
// pool's: the console sends a 401 to sign-in, where Cognito answers that
// the user is disabled).
const UserDisabled = "user_disabled"

// SessionEnded is the 401 code of a token whose session ended: the user
// signed out, or was disabled, after it signed in (people.User.SessionsEndedAt).
const SessionEnded = "session_ended"

// signedIn is when the token's session signed in: auth_time, which
// Cognito keeps in the tokens a refresh mints, or iat without it.
func signedIn(c *idtoken.Claims) time.Time {
	if c.AuthTime.IsZero() {
		return c.IssuedAt
	}
	return c.AuthTime
}

// SessionMoved is the 403 code of a token issued by the user pool its
// tenant moved away from (a tier migration's switch).
const SessionMoved = "session_moved"

// signsInThrough reports whether a token of pool p may reach tenant t.
func signsInThrough(t tenant.Tenant, p idtoken.Pool) bool {
	if t.Issuer != "" {
		return p.Kind == idtoken.PoolDedicated && p.Issuer == t.Issuer
	}
	return p.Kind != idtoken.PoolDedicated
}

// formerPool reports whether p is the pool t moved away from.
func formerPool(t tenant.Tenant, p idtoken.Pool) bool {
	if t.FormerPool.Shared() {
		return p.Kind != idtoken.PoolDedicated
	}
	return p.Kind == idtoken.PoolDedicated && p.Issuer == t.FormerPool.Issuer
}

// user is the directory's record of the token's user: by its Cognito sub,
// or, for a tenant whose users moved pools (FormerPool), by the verified
// email of a user the move gave a new sub (the user-migration trigger
// creates the user anew in the tenant's new pool; the directory keeps the
// first sub as the user's id).
func (a *Authorizer) user(ctx context.Context, t tenant.Tenant, c *idtoken.Claims) (people.User, error) {
	u, err := a.dir.Get(ctx, t.Scope(), c.Subject)
	if !errs.Is(err, errs.KindNotFound) || t.FormerPool == nil || c.Email == "" {
		return u, err
	}
	ef, ok := a.dir.(people.EmailFinder)
	if !ok {
		return u, err
	}
	return ef.ByEmail(ctx, t.Scope(), c.Email)
}

// inThisCell refuses a tenant the directory places in another cell (cached
// like the registry reads: a move takes effect within RevocationDelay).
// The answer is a 403 problem naming the tenant's cell and its API, so a
// client that kept an old API URL learns where to go; in AWS it is the
// Deny policy's context (Handle), which the API's ACCESS_DENIED gateway
// response renders.
func (a *Authorizer) inThisCell(ctx context.Context, tenantID string) error {
	if a.cells == nil {
		return nil
	}
	e, err := a.homes.get(tenantID, func() (cells.Entry, error) { return a.cells.Get(ctx, tenantID) })
	if errs.Is(err, errs.KindNotFound) {
		return nil
	}
	if err != nil {
		return errs.Internal(fmt.Errorf("authorize: read the tenant directory: %w", err))
	}
	if e.Cell != a.cell {
		return errs.Forbidden(CodeTenantInOtherCell, fmt.Sprintf("this workspace lives in %s: call %s", e.Cell, e.APIURL))
	}
	return nil
}

// CodeTenantInOtherCell refuses a token whose tenant lives in another cell.
const CodeTenantInOtherCell = "tenant_in_other_cell"

// mfa judges the session against the tenant's MFA requirement (cached like
// the user): a session counts as MFA when the user had completed MFA set-up
// before it signed in, since the pools challenge every sign-in of a user
// with MFA enabled. The guard (internal/app) then refuses a missing one
// everywhere but the MFA set-up routes.
func (a *Authorizer) mfa(ctx context.Context, t tenant.Tenant, u people.User, c *idtoken.Claims) (string, error) {
	sr, ok := a.dir.(people.SettingsReader)
	if !ok {
		return "", nil
	}
	st, err := a.settings.get(t.ID, func() (people.Settings, error) { return sr.Settings(ctx, t.Scope()) })
	if err != nil || !people.MFAEnforced(st, t.Tier) {
		return "", err
	}
	if c.Federated {
		// A Google sign-in linked to the user (internal/federation) is
		// never challenged for the second factor the workspace requires.
		return tenancy.MFAMissing, nil
	}
	signedIn := signedIn(c)
	if u.MFAEnabledAt.IsZero() || signedIn.Before(u.MFAEnabledAt) {
		return tenancy.MFAMissing, nil
	}
	if a.mfaEnabled != nil {
		pool := t.UserPoolID
		if pool == "" {
			pool = a.sharedPool
		}
		// Once per session (its sign-in time), not per authorizer call: a
		// session that Cognito challenged stays an MFA session, and a
		// sign-in after MFA was switched off is a new session, asked anew.
		// This keeps AdminGetUser (Cognito's UserRead quota, shared by the
		// account) at the sign-in rate instead of the authorizer's.
		key := t.ID + "/" + c.Subject + "/" + strconv.FormatInt(signedIn.Unix(), 10)
		on, err := a.mfaOn.get(key, func() (bool, error) { return a.mfaEnabled(ctx, pool, c.Username) })
		if err != nil {
			return "", err
		}
		if !on {
			return tenancy.MFAMissing, nil
		}
	}
	return "", nil
}

// pools resolves the static pools and, through the registry, the dedicated
// pools of Platinum tenants.
type pools struct {
	static idtoken.StaticPools
	reg    tenant.Registry
	cache  *cache[tenant.Tenant]
}

func (p pools) PoolByIssuer(ctx context.Context, iss string) (idtoken.Pool, bool, error) {
	if pl, ok, _ := p.static.PoolByIssuer(ctx, iss); ok {
		return pl, true, nil
	}
	t, err := p.cache.get("iss/"+iss, func() (tenant.Tenant, error) { return p.reg.ByIssuer(ctx, iss) })
	if errs.Is(err, errs.KindNotFound) {
		return idtoken.Pool{}, false, nil
	}
	if err != nil {
		return idtoken.Pool{}, false, err
	}
	// The pool a tier migration moved the tenant away from keeps its
	// issuer mapping until the old home is retired: its tokens verify, and
	// the authorizer answers them session_moved.
	if f := t.FormerPool; t.Issuer != iss && f != nil && f.Issuer == iss {
		return idtoken.NewPool(f.ID, f.Issuer, idtoken.PoolDedicated, t.ID, f.ClientIDs...), true, nil
	}
	if t.Issuer != iss {
		return idtoken.Pool{}, false, nil
	}
	return idtoken.NewPool(t.UserPoolID, t.Issuer, idtoken.PoolDedicated, t.ID, t.ClientIDs...), true, nil
}
