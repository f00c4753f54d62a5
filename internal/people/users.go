package people

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/issuetracker/issuetracker/internal/cognito/identity"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// ListUsers returns a page of the caller's tenant's users.
func (s *Service) ListUsers(ctx context.Context, p tenancy.Principal, req list.Request) (list.Page[User], error) {
	return s.Users.List(ctx, p.Scope(), req)
}

// GetUser returns a user of the caller's tenant (user_not_found otherwise).
func (s *Service) GetUser(ctx context.Context, p tenancy.Principal, id string) (User, error) {
	return s.Users.Get(ctx, p.Scope(), id)
}

// Invite reserves the email and a seat (limit checked in the same
// transaction), creates the Cognito user with a temporary password (no
// message from Cognito), mails the invitation with the platform's mailer,
// then writes the user record. Each step is idempotent: a retry of a failed
// invitation completes it (with a fresh temporary password in a new mail).
func (s *Service) Invite(ctx context.Context, p tenancy.Principal, in Invitation) (User, error) {
	if err := in.Validate(); err != nil {
		return User{}, err
	}
	if s.Mail == nil {
		return User{}, errs.E(errs.KindInternal, "mail_unavailable", "invitations cannot be mailed from this deployment (no mail sender configured)")
	}
	t, err := s.Tenants.Get(ctx, p.TenantID)
	if err != nil {
		return User{}, err
	}
	pool, err := s.poolOf(t)
	if err != nil {
		return User{}, err
	}
	now := s.now()
	c, err := s.Users.Reserve(ctx, p.Scope(), in, tiers.MustGet(t.Tier).MaxUsers, now)
	if err != nil {
		return User{}, err
	}
	inv, err := s.Identity.Invite(ctx, pool, identity.UserSpec{Email: c.Email, TenantID: t.ID, Role: c.Role, Tier: string(t.Tier)})
	elsewhere := errors.Is(err, identity.ErrOtherTenant)
	if elsewhere {
		// The address is a user of another workspace. Saying so would
		// tell any Super Admin (a Basic sign-up is free) which addresses
		// have accounts here: the invitation is answered and listed like
		// any other, the invitee gets a notice instead of a password, and
		// nothing is written to the other workspace's user.
		inv, err = identity.Invited{Sub: uuid.NewString()}, nil
		if err := SendInvitationElsewhere(ctx, s.Mail, t, c.Email); err != nil {
			return User{}, err // the claim stays pending: a retry completes it
		}
	}
	if err != nil {
		return User{}, err // the claim stays pending: retrying the invitation completes it
	}
	if inv.TemporaryPassword != "" {
		if err := SendInvitation(ctx, s.Mail, s.WebBaseURL, t, c.Email, c.Role, inv.TemporaryPassword); err != nil {
			return User{}, err // pending as well: a retry sets a new temporary password and mails it
		}
	}
	return s.Users.Complete(ctx, p.Scope(), User{ID: inv.Sub, TenantID: t.ID, Username: c.Email, Email: c.Email,
		DisplayName: c.DisplayName, Role: roles.Role(c.Role), Status: UserActive, CreatedAt: now, UpdatedAt: now, Version: 1,
		Elsewhere: elsewhere})
}

// change applies edit to a user of the caller's tenant, directory first
// (the authorizer trusts it), then Cognito via sync. Both are idempotent,
// so a retry after a Cognito failure completes the change. ifMatch (0:
// any) is the version the caller read: another is a 412 version_mismatch,
// unless the user already has the change (the retry of a change whose
// Cognito step failed, the version then one later).
func (s *Service) change(ctx context.Context, p tenancy.Principal, userID string, ifMatch int64, edit func(*User), sync func(pool string, u User) error) (User, error) {
	cur, err := s.Users.Get(ctx, p.Scope(), userID)
	if err != nil {
		return User{}, err
	}
	if cur.Status == UserRemoving {
		return User{}, errs.Conflict("user_removing", "this user is being removed; repeat the removal to finish it")
	}
	if probe := cur; ifMatch != 0 && ifMatch != cur.Version {
		if edit(&probe); probe.Role != cur.Role || probe.Status != cur.Status || ifMatch != cur.Version-1 {
			return User{}, UserVersionMismatch(ifMatch, cur.Version)
		}
	}
	next := cur
	edit(&next)
	if next.Role != cur.Role || next.Status != cur.Status {
		next.UpdatedAt = s.now()
		if next, err = s.Users.Change(ctx, p.Scope(), cur, next); err != nil {
			return User{}, err
		}
	}
	if next.Elsewhere {
		return next, nil // no Cognito user of this workspace to change
	}
	pool, err := s.callerPool(ctx, p)
	if err != nil {
		return User{}, err
	}
	if err := sync(pool, next); err != nil {
		return User{}, err
	}
	return next, nil
}

// ChangeRole gives a user of the caller's tenant another tenant role.
func (s *Service) ChangeRole(ctx context.Context, p tenancy.Principal, userID string, ifMatch int64, role string) (User, error) {
	r, err := roles.ParseTenant(role)
	if err != nil {
		return User{}, errs.Field("role", err.Error())
	}
	return s.change(ctx, p, userID, ifMatch, func(u *User) { u.Role = r },
		func(pool string, u User) error {
			return s.Identity.SetRole(ctx, pool, u.TenantID, u.ID, string(u.Role))
		})
}

// SetEnabled disables or re-enables a user of the caller's tenant.
func (s *Service) SetEnabled(ctx context.Context, p tenancy.Principal, userID string, ifMatch int64, enabled bool) (User, error) {
	status := UserDisabled
	if enabled {
		status = UserActive
	}
	now := s.now()
	return s.change(ctx, p, userID, ifMatch, func(u *User) {
		if !enabled && u.Status == UserActive {
			// Disabling ends the sessions too: enabling the user again
			// must not revive a token copied before (docs/people.md).
			u.SessionsEndedAt = EndSessionsAt(now)
		}
		u.Status = status
	},
		func(pool string, u User) error { return s.Identity.SetEnabled(ctx, pool, u.TenantID, u.ID, enabled) })
}

// Remove marks the user removing (refused at once by the authorizer,
// guarded like a demotion of the last Super Admin), deletes the Cognito
// user, then the directory record, email claim and memberships. Issues and
// comments stay: they belong to the company (docs/people.md).
//
// ifMatch (0: any) is the user's version when the removal starts: a user
// at another version is a 412 version_mismatch and nothing changes. The
// first step bumps the version by one (the mark), so a retry of the same
// removal, with the same If-Match, finds the user removing at ifMatch+1 and
// completes it; so does one that read the user again (removing at ifMatch).
func (s *Service) Remove(ctx context.Context, p tenancy.Principal, userID string, ifMatch int64) error {
	u, err := s.Users.Get(ctx, p.Scope(), userID)
	if err != nil {
		return err
	}
	if err := removalMatches(u, ifMatch); err != nil {
		return err
	}
	if u.Status != UserRemoving {
		next := u
		next.Status, next.UpdatedAt = UserRemoving, s.now()
		if u, err = s.Users.Change(ctx, p.Scope(), u, next); err != nil {
			return err
		}
	}
	if !u.Elsewhere { // an invitation of another workspace's user has no Cognito user here
		pool, err := s.callerPool(ctx, p)
		if err != nil {
			return err
		}
		if err := s.Identity.DeleteUser(ctx, pool, u.TenantID, u.ID); err != nil {
			return err
		}
	}
	return s.Users.Delete(ctx, p.Scope(), u)
}

// removalMatches checks a removal's If-Match against u: its version, or,
// for a removal in progress, the version it started from (the mark is one
// version later).
func removalMatches(u User, ifMatch int64) error {
	if ifMatch == 0 || ifMatch == u.Version || (u.Status == UserRemoving && ifMatch == u.Version-1) {
		return nil
	}
	return UserVersionMismatch(ifMatch, u.Version)
}

// UserVersionMismatch is the 412 of a write whose If-Match names version
// ifMatch of a user now at version current.
func UserVersionMismatch(ifMatch, current int64) error {
	return errs.E(errs.KindPreconditionFailed, "version_mismatch",
		"the user changed since version %d was read (current version %d)", ifMatch, current)
}

// UserTeams lists the memberships of a user of the caller's tenant.
func (s *Service) UserTeams(ctx context.Context, p tenancy.Principal, userID string, req list.Request) (list.Page[Member], error) {
	if _, err := s.Users.Get(ctx, p.Scope(), userID); err != nil {
		return list.Page[Member]{}, err
	}
	return s.Teams.UserTeams(ctx, p.Scope(), userID, req)
}
