package people

import (
	"context"
	"errors"
	"net/http"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/identity"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

func (d Deps) listUsers(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	page, err := d.users().List(r.Context(), p.Table, p.TenantID, req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, page)
}

func (d Deps) getUser(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	u, err := d.users().Get(r.Context(), p.Table, p.TenantID, r.PathValue("userId"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, u)
}

// inviteUser reserves the email and a seat (limit checked in the same
// transaction), creates the Cognito user with a temporary password (no
// message from Cognito), mails the invitation with the platform's mailer,
// then writes the user record. Each step is idempotent: a retry of a failed
// invitation completes it (with a fresh temporary password in a new mail).
func (d Deps) inviteUser(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in Invitation
	if err := httpapi.DecodeJSON(r, &in, 0); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if d.Mail == nil {
		return errs.E(errs.KindInternal, "mail_unavailable", "invitations cannot be mailed from this deployment (no mail sender configured)")
	}
	ctx := r.Context()
	t, err := d.Tenants.Get(ctx, p.TenantID)
	if err != nil {
		return err
	}
	pool, err := d.poolOf(t)
	if err != nil {
		return err
	}
	now := d.Now().UTC()
	c, err := d.users().Reserve(ctx, p.Table, t.ID, in, tiers.MustGet(t.Tier).MaxUsers, now)
	if err != nil {
		return err
	}
	inv, err := d.Identity.Invite(ctx, pool, identity.UserSpec{Email: c.Email, TenantID: t.ID, Role: c.Role, Tier: string(t.Tier)})
	if errors.Is(err, identity.ErrOtherTenant) {
		if err := d.users().Release(ctx, p.Table, t.ID, c.Email); err != nil {
			return err
		}
		return errs.Conflict("email_unavailable", "this email address is already registered with IssueTracker for another workspace and cannot be invited")
	}
	if err != nil {
		return err // the claim stays pending: retrying the invitation completes it
	}
	if inv.TemporaryPassword != "" {
		if err := SendInvitation(ctx, d.Mail, d.WebBaseURL, t, c.Email, c.Role, inv.TemporaryPassword); err != nil {
			return err // pending as well: a retry sets a new temporary password and mails it
		}
	}
	u, err := d.users().Complete(ctx, p.Table, User{ID: inv.Sub, TenantID: t.ID, Username: c.Email, Email: c.Email,
		DisplayName: c.DisplayName, Role: roles.Role(c.Role), Status: UserActive, CreatedAt: now, UpdatedAt: now, Version: 1})
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, u)
}

// change applies edit to the user named in the path, directory first (the
// authorizer trusts it), then Cognito via sync. Both are idempotent, so a
// retry after a Cognito failure completes the change.
func (d Deps) change(w http.ResponseWriter, r *http.Request, edit func(*User) error, sync func(pool string, u User) error) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	cur, err := d.users().Get(ctx, p.Table, p.TenantID, r.PathValue("userId"))
	if err != nil {
		return err
	}
	if cur.Status == UserRemoving {
		return errs.Conflict("user_removing", "this user is being removed; repeat the removal to finish it")
	}
	next := cur
	if err := edit(&next); err != nil {
		return err
	}
	if next.Role != cur.Role || next.Status != cur.Status {
		next.UpdatedAt = d.Now().UTC()
		if next, err = d.users().Change(ctx, p.Table, cur, next); err != nil {
			return err
		}
	}
	if err := d.syncIdentity(ctx, p, func(pool string) error { return sync(pool, next) }); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, next)
}

// syncIdentity runs f on the user pool of the caller's tenant.
func (d Deps) syncIdentity(ctx context.Context, p tenancy.Principal, f func(pool string) error) error {
	t, err := d.Tenants.Get(ctx, p.TenantID)
	if err != nil {
		return err
	}
	pool, err := d.poolOf(t)
	if err != nil {
		return err
	}
	return f(pool)
}

func (d Deps) changeUserRole(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Role string `json:"role"`
	}
	if err := httpapi.DecodeJSON(r, &in, 0); err != nil {
		return err
	}
	role, err := roles.ParseTenant(in.Role)
	if err != nil {
		return errs.Field("role", err.Error())
	}
	return d.change(w, r, func(u *User) error { u.Role = role; return nil },
		func(pool string, u User) error {
			return d.Identity.SetRole(r.Context(), pool, u.TenantID, u.ID, string(u.Role))
		})
}

func (d Deps) setEnabled(w http.ResponseWriter, r *http.Request, enabled bool) error {
	status := UserDisabled
	if enabled {
		status = UserActive
	}
	return d.change(w, r, func(u *User) error { u.Status = status; return nil },
		func(pool string, u User) error {
			return d.Identity.SetEnabled(r.Context(), pool, u.TenantID, u.ID, enabled)
		})
}

func (d Deps) disableUser(w http.ResponseWriter, r *http.Request) error {
	return d.setEnabled(w, r, false)
}
func (d Deps) enableUser(w http.ResponseWriter, r *http.Request) error {
	return d.setEnabled(w, r, true)
}

// removeUser marks the user removing (refused at once by the authorizer,
// guarded like a demotion of the last Super Admin), deletes the Cognito user,
// then the directory record, email claim and memberships. Issues and
// comments stay: they belong to the company (docs/people.md).
func (d Deps) removeUser(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	u, err := d.users().Get(ctx, p.Table, p.TenantID, r.PathValue("userId"))
	if err != nil {
		return err
	}
	if u.Status != UserRemoving {
		next := u
		next.Status, next.UpdatedAt = UserRemoving, d.Now().UTC()
		if u, err = d.users().Change(ctx, p.Table, u, next); err != nil {
			return err
		}
	}
	if err := d.syncIdentity(ctx, p, func(pool string) error { return d.Identity.DeleteUser(ctx, pool, u.TenantID, u.ID) }); err != nil {
		return err
	}
	if err := d.users().Delete(ctx, p.Table, u); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (d Deps) listUserTeams(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	id := r.PathValue("userId")
	if _, err := d.users().Get(r.Context(), p.Table, p.TenantID, id); err != nil {
		return err
	}
	page, err := d.teams().UserTeams(r.Context(), p.Table, p.TenantID, id, req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, page)
}
