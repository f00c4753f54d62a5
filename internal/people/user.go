// Package people is who works in a tenant: the user directory (one record per
// Cognito user, holding the role and status the authorizer trusts), user
// management by Super Admins (invite, roles, disable, remove), teams, MFA
// and support access, and the caller's own view (/v1/me). It holds the
// types, their validation, the Service and the stores it needs; peopledb
// stores it in DynamoDB and peopleapi serves it over HTTP.
package people

import (
	"context"
	"github.com/issuetracker/issuetracker/internal/mail/address"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/text"
)

// UserStatus is whether a user may sign in and call the API. Only active
// users are let in by the authorizer.
type UserStatus string

const (
	UserActive   UserStatus = "active"
	UserDisabled UserStatus = "disabled"
	// UserRemoving marks a removal in progress: refused like a disabled
	// user, and a retry of the removal completes it.
	UserRemoving UserStatus = "removing"
)

// User is a person of a tenant. ID is the Cognito sub.
type User struct {
	ID          string     `json:"id"`
	TenantID    string     `json:"tenant_id"`
	Username    string     `json:"username"`
	Email       string     `json:"email"`
	DisplayName string     `json:"display_name,omitempty"`
	Role        roles.Role `json:"role"`
	Status      UserStatus `json:"status"`
	// MFAEnabledAt is when the user completed MFA set-up through the API;
	// sessions authenticated since then passed an MFA challenge.
	MFAEnabledAt time.Time `json:"mfa_enabled_at,omitzero"`
	// SessionsEndedAt ends every session the user signed in before it:
	// the authorizer refuses a token whose sign-in time (auth_time, kept
	// by refreshes; iat without it) is earlier (session_ended). Sign-out
	// and disabling set it (EndSessionsAt), so a copied token dies with
	// the session and a re-enabled user's old tokens stay dead.
	SessionsEndedAt time.Time `json:"-"`
	// Elsewhere marks the invitation of an address that is a user of
	// another workspace in the shared pool: answered and listed like any
	// invitation, so the inviting Super Admin learns nothing about that
	// other account, but with no Cognito user of this workspace (the id is
	// a generated one), so nobody ever signs in as it. Its role and status
	// change in the directory only; removing it frees the seat.
	Elsewhere bool      `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"version"`
}

// Directory reads and writes users of one tenant's table.
type Directory interface {
	// Get returns the user or not_found (user_not_found).
	Get(ctx context.Context, sc tenancy.Scope, userID string) (User, error)
	// Put creates or replaces a user (seed, onboarding), keeping the
	// tenant's user and super-admin counters right.
	Put(ctx context.Context, sc tenancy.Scope, u User) error
}

// EmailFinder finds a user of a tenant by email. The authorizer uses it for
// a user who moved user pools with their tenant (a tier migration): the
// new pool gave them a new Cognito sub, while the directory, and every
// item that names them, keep the first one.
type EmailFinder interface {
	ByEmail(ctx context.Context, sc tenancy.Scope, email string) (User, error)
}

// Settings are a tenant's people settings, kept in the tenant's own table.
type Settings struct {
	// MFARequired makes every user of the tenant use MFA (tiers with
	// FeatureMFAEnforcement).
	MFARequired bool `json:"mfa_required"`
	// SupportAccessUntil is when the provider's support access to issue
	// contents ends; zero: not granted.
	SupportAccessUntil time.Time `json:"support_access_until,omitzero"`
	SupportGrantedBy   string    `json:"support_access_granted_by,omitempty"`
}

// SupportAccess reports whether the provider may read issue contents at now.
func (s Settings) SupportAccess(now time.Time) bool { return now.Before(s.SupportAccessUntil) }

// SettingsReader reads a tenant's people settings (the authorizer uses it).
type SettingsReader interface {
	// Settings returns the tenant's settings; zero settings if never set.
	Settings(ctx context.Context, sc tenancy.Scope) (Settings, error)
}

// Claim is an invitation's hold on an email and a seat: pending while the
// invitation is under way, done once the user record exists.
type Claim struct {
	Invitation
	Done   bool
	UserID string
}

// Invitation is a Super Admin's request to add a person.
type Invitation struct {
	Email       string `json:"email"`
	Role        string `json:"role"`
	DisplayName string `json:"display_name,omitempty"`
}

// Validate normalises the email and checks every field.
func (in *Invitation) Validate() error {
	var tf text.Fields
	tf.Clean("email", &in.Email, text.Line)
	tf.Clean("display_name", &in.DisplayName, text.Line)
	if err := tf.Err(); err != nil {
		return err
	}
	var fields []errs.FieldError
	in.Email = strings.TrimSpace(in.Email)
	if why := address.Check(in.Email); why != "" {
		fields = append(fields, errs.FieldError{Field: "email", Reason: why})
	}
	if _, err := roles.ParseTenant(in.Role); err != nil {
		fields = append(fields, errs.FieldError{Field: "role", Reason: err.Error()})
	}
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if len(in.DisplayName) > 100 {
		fields = append(fields, errs.FieldError{Field: "display_name", Reason: "at most 100 characters"})
	}
	if len(fields) > 0 {
		return errs.Fields(fields...)
	}
	return nil
}

// EndSessionsAt is the SessionsEndedAt of an end at now: the next whole
// second, since tokens carry their sign-in time in whole seconds (a
// session signed in during the second of the end ends too; a sign-in in
// that second is refused and signs in again).
func EndSessionsAt(now time.Time) time.Time {
	return now.Truncate(time.Second).Add(time.Second).UTC()
}

// SessionEnded reports whether a session signed in at signedIn ended
// (u.SessionsEndedAt).
func (u User) SessionEnded(signedIn time.Time) bool {
	return !u.SessionsEndedAt.IsZero() && signedIn.Before(u.SessionsEndedAt)
}
