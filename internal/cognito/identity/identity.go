// Package identity holds the user pools' values and errors (package
// cognito/signed implements them with hand-signed Cognito calls, and
// package cognito, the SDK client's wrapper for the tools, with it). The domains (people,
// onboarding) and the functions' shared Deps use these and the Pools
// interface, so a function whose routes never touch the pools does not
// link the Cognito client, whose package initialisation every cold start
// would pay for (issue 19).
package identity

import (
	"context"
	"errors"
	"net/url"
)

// Custom attribute names (without the "custom:" prefix) every pool carries.
// The tokens carry them as custom:tenant_id, custom:role and custom:tier.
const (
	AttrTenant = "tenant_id"
	AttrRole   = "role"
	AttrTier   = "tier"
)

// UserSpec describes a user to ensure. People sign in with their email.
type UserSpec struct {
	Email    string
	Password string // set as permanent; empty leaves a user who must be invited
	TenantID string // "" only in the provider pool
	Role     string
	Tier     string
}

// Invited is a user who can sign in for the first time.
type Invited struct {
	Sub string
	// TemporaryPassword is set when the user still has to choose a password
	// (a new user, or one who never signed in); empty when the user has.
	TemporaryPassword string
}

// MFAState is a user's MFA as Cognito holds it.
type MFAState struct {
	Methods   []string // SOFTWARE_TOKEN_MFA, SMS_MFA
	Preferred string
}

// ErrOtherTenant is returned by every write to a user whose
// custom:tenant_id is not the tenant the caller acts for: an identity that
// another tenant created is never reused, changed or deleted.
var ErrOtherTenant = errors.New("the email belongs to a user of another tenant")

// ErrUserNotFound is returned by writes to a user that does not exist.
var ErrUserNotFound = errors.New("no such user")

// ErrCodeMismatch is a wrong or expired one-time code.
var ErrCodeMismatch = errors.New("the code does not match")

// OTPAuthURI is the otpauth:// URI authenticator apps read from a QR code.
func OTPAuthURI(issuer, account, secret string) string {
	v := url.Values{"secret": {secret}, "issuer": {issuer}}
	return "otpauth://totp/" + url.PathEscape(issuer+":"+account) + "?" + v.Encode()
}

// Pools is what the functions do with the user pools (cognito.Pools
// implements it): people's directory and MFA, the lifecycle's users, the
// authorizer's MFA check.
type Pools interface {
	EnsureUser(ctx context.Context, poolID string, u UserSpec) (string, error)
	Invite(ctx context.Context, poolID string, u UserSpec) (Invited, error)
	SetRole(ctx context.Context, poolID, tenantID, username, role string) error
	SetEnabled(ctx context.Context, poolID, tenantID, username string, enabled bool) error
	DeleteUser(ctx context.Context, poolID, tenantID, username string) error
	TenantOf(ctx context.Context, poolID, username string) (tenantID string, found bool, err error)
	MFA(ctx context.Context, poolID, username string) (MFAState, error)
	MFAEnabled(ctx context.Context, poolID, username string) (bool, error)
	// UserEnabled is whether the user may sign in (false: disabled, or
	// gone): the authorizer's check of a provider (root) user.
	UserEnabled(ctx context.Context, poolID, username string) (bool, error)
	AssociateTOTP(ctx context.Context, accessToken string) (string, error)
	VerifyTOTP(ctx context.Context, accessToken, code, device string) error
}
