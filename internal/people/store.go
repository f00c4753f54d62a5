package people

import (
	"context"
	"time"

	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
)

// UserStore is the user directory the Service manages (peopledb.UserDB).
type UserStore interface {
	Directory
	SettingsReader
	// List returns a page of the tenant's users in email order.
	List(ctx context.Context, sc tenancy.Scope, req list.Request) (list.Page[User], error)
	// ListForSupport is List as the provider's support reads it, with
	// cursors of its own.
	ListForSupport(ctx context.Context, sc tenancy.Scope, req list.Request) (list.Page[User], error)
	// Reserve claims the email and a seat: conflict user_exists, or
	// unprocessable user_limit_reached past maxUsers (0: unlimited); a
	// pending claim is returned for the caller to finish.
	Reserve(ctx context.Context, sc tenancy.Scope, in Invitation, maxUsers int, now time.Time) (Claim, error)
	// Release gives back a pending claim and its seat.
	Release(ctx context.Context, sc tenancy.Scope, email string) error
	// Complete writes the user of a reserved claim and marks it done.
	Complete(ctx context.Context, sc tenancy.Scope, u User) (User, error)
	// Change moves a user from cur to next (role, status): conflict
	// user_changed when cur is stale, last_super_admin when it would leave
	// no active Super Admin.
	Change(ctx context.Context, sc tenancy.Scope, cur, next User) (User, error)
	// Delete removes a removing user, its claim and memberships.
	Delete(ctx context.Context, sc tenancy.Scope, u User) error
	// SetMFAEnabled records when the user completed MFA set-up.
	SetMFAEnabled(ctx context.Context, sc tenancy.Scope, userID string, at time.Time) error
	// EndSessions records that the user's sessions signed in before at
	// ended (User.SessionsEndedAt); a later end wins, an earlier one
	// changes nothing. The version stays: it is no change an If-Match
	// guards.
	EndSessions(ctx context.Context, sc tenancy.Scope, userID string, at time.Time) error
	// PutSettings replaces the tenant's people settings.
	PutSettings(ctx context.Context, sc tenancy.Scope, st Settings) error
}

// TeamStore keeps teams and memberships (peopledb.TeamDB).
type TeamStore interface {
	// Put writes a new team (Version 0) or an update of Version (conflict
	// team_changed otherwise); it returns the stored version.
	Put(ctx context.Context, sc tenancy.Scope, t Team) (Team, error)
	// GetTeam returns the team or not_found (team_not_found).
	GetTeam(ctx context.Context, sc tenancy.Scope, id string) (Team, error)
	// DeleteTeam deletes the team (if at version, when not 0: 412
	// version_mismatch otherwise) and its memberships.
	DeleteTeam(ctx context.Context, sc tenancy.Scope, id string, version int64) error
	// Teams lists the tenant's teams in name order.
	Teams(ctx context.Context, sc tenancy.Scope, req list.Request) (list.Page[Team], error)
	// AddMember adds a user of the tenant to a team and returns the
	// membership as stored: adding one again changes nothing and returns
	// it as it was.
	AddMember(ctx context.Context, sc tenancy.Scope, m Member) (Member, error)
	// RemoveMember removes a membership (member_not_found if absent).
	RemoveMember(ctx context.Context, sc tenancy.Scope, teamID, userID string) error
	// Members lists a team's members in user id order.
	Members(ctx context.Context, sc tenancy.Scope, teamID string, req list.Request) (list.Page[Member], error)
	// UserTeams lists a user's memberships in team id order.
	UserTeams(ctx context.Context, sc tenancy.Scope, userID string, req list.Request) (list.Page[Member], error)
}

// Tenants reads the tenant registry (tenant.Registry).
type Tenants interface {
	Get(ctx context.Context, id string) (tenant.Tenant, error)
}
