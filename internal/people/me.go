package people

import (
	"context"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Me is the caller's view of themselves.
type Me struct {
	User   MeUser     `json:"user"`
	Tenant MeTenant   `json:"tenant"`
	Limits tiers.Tier `json:"limits"`
}

// MeUser is the caller.
type MeUser struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name,omitempty"`
	Role        string `json:"role"`
}

// MeTenant is the caller's tenant.
type MeTenant struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Tier     tiers.Name      `json:"tier"`
	Status   tenant.Status   `json:"status"`
	Branding tenant.Branding `json:"branding"`
}

// RootMe is the calling provider (root) user.
type RootMe struct {
	User MeUser `json:"user"`
}

// Me describes a tenant caller: their directory record (as /v1/users shows
// it: the token's cognito:username is the sub in pools that sign in by
// email), their tenant and its tier's limits.
func (s *Service) Me(ctx context.Context, p tenancy.Principal) (Me, error) {
	t, err := s.Tenants.Get(ctx, p.TenantID)
	if err != nil {
		return Me{}, err
	}
	u, err := s.Users.Get(ctx, p.Scope(), p.UserID)
	switch {
	case errs.Is(err, errs.KindNotFound): // only behind a stand-in authorizer: the real one requires the record
		u = User{ID: p.UserID, Username: p.Username, Email: p.Email}
	case err != nil:
		return Me{}, err
	}
	return Me{
		User:   MeUser{ID: u.ID, Username: u.Username, Email: u.Email, DisplayName: u.DisplayName, Role: string(p.Role)},
		Tenant: MeTenant{ID: t.ID, Name: t.Name, Tier: t.Tier, Status: t.Status, Branding: t.Branding.Shown()},
		Limits: tiers.MustGet(t.Tier),
	}, nil
}

// RootMeOf describes a provider (root) caller from their token.
func RootMeOf(p tenancy.Principal) RootMe {
	return RootMe{User: MeUser{ID: p.UserID, Username: p.Username, Email: p.Email, Role: string(p.Role)}}
}

// SignOut ends every session of the caller signed in until now, on every
// device (User.SessionsEndedAt): the authorizer refuses their tokens, ID
// and access, within authorizer.RevocationDelay, however long before
// their expiry. The web app calls it before revoking its refresh token.
// It returns once the end has passed (under a second: tokens carry whole
// seconds), so a sign-in that follows the answer is a new session.
func (s *Service) SignOut(ctx context.Context, p tenancy.Principal) error {
	now := s.now()
	end := EndSessionsAt(now)
	if err := s.Users.EndSessions(ctx, p.Scope(), p.UserID, end); err != nil {
		return err
	}
	select {
	case <-time.After(end.Sub(now)): // at most a second
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SignOutRoot ends every session of a provider (root) user signed in until
// now, as SignOut does a tenant user's: the authorizer refuses their
// tokens within authorizer.RevocationDelay (tenant.RootSessions). The web
// console calls it before revoking its refresh token.
func SignOutRoot(ctx context.Context, rs tenant.RootSessions, p tenancy.Principal, now time.Time) error {
	if rs == nil {
		return errs.E(errs.KindInternal, "root_sessions_unavailable", "root sign-out is not configured")
	}
	end := EndSessionsAt(now)
	if err := rs.EndRootSessions(ctx, p.UserID, end); err != nil {
		return err
	}
	select {
	case <-time.After(end.Sub(now)): // at most a second
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
