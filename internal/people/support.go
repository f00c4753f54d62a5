package people

import (
	"context"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Support access (docs/people.md): Root may list and read any tenant's user
// directory (no issue contents) for support. Reading a tenant's issues needs
// a grant by one of its Super Admins, for at most MaxSupportHours; any root
// route that reads issue contents must check SupportAccessGranted.

// MaxSupportHours bounds one support-access grant.
const MaxSupportHours = 72

// SupportAccessView is a tenant's support-access grant.
type SupportAccessView struct {
	Granted   bool      `json:"granted"`
	Until     time.Time `json:"until,omitzero"`
	GrantedBy string    `json:"granted_by,omitempty"`
	// Renewed is the expiry of the active grant a grant replaced (zero:
	// none was active). Not on the wire: the audit record says it.
	Renewed time.Time `json:"-"`
}

func view(st Settings, now time.Time) SupportAccessView {
	if !st.SupportAccess(now) {
		return SupportAccessView{}
	}
	return SupportAccessView{Granted: true, Until: st.SupportAccessUntil, GrantedBy: st.SupportGrantedBy}
}

// SupportAccess is the caller's tenant's grant.
func (s *Service) SupportAccess(ctx context.Context, p tenancy.Principal) (SupportAccessView, error) {
	st, err := s.Users.Settings(ctx, p.Scope())
	if err != nil {
		return SupportAccessView{}, err
	}
	return view(st, s.now()), nil
}

// GrantSupportAccess grants the provider's support access for 1 to
// MaxSupportHours hours; RevokeSupportAccess ends it at once. Granting
// while a grant is active renews it: the new grant replaces the old one,
// its expiry hours from now (later or earlier than the old one's: a
// renewal never adds up past MaxSupportHours from now) and its granter
// the caller; the view's Renewed is the old expiry.
func (s *Service) GrantSupportAccess(ctx context.Context, p tenancy.Principal, hours int) (SupportAccessView, error) {
	if hours < 1 || hours > MaxSupportHours {
		return SupportAccessView{}, errs.Field("hours", "must be from 1 to 72")
	}
	return s.setSupport(ctx, p, time.Duration(hours)*time.Hour)
}

// RevokeSupportAccess ends the provider's support access.
func (s *Service) RevokeSupportAccess(ctx context.Context, p tenancy.Principal) (SupportAccessView, error) {
	return s.setSupport(ctx, p, 0)
}

func (s *Service) setSupport(ctx context.Context, p tenancy.Principal, dur time.Duration) (SupportAccessView, error) {
	st, err := s.Users.Settings(ctx, p.Scope())
	if err != nil {
		return SupportAccessView{}, err
	}
	now := s.now()
	old := view(st, now)
	st.SupportAccessUntil, st.SupportGrantedBy = time.Time{}, ""
	if dur > 0 {
		st.SupportAccessUntil, st.SupportGrantedBy = now.Add(dur), p.UserID
	}
	if err := s.Users.PutSettings(ctx, p.Scope(), st); err != nil {
		return SupportAccessView{}, err
	}
	v := view(st, now)
	if dur > 0 && old.Granted {
		v.Renewed = old.Until
	}
	return v, nil
}

// SupportAccessGranted reports whether the provider may read the tenant's
// issue contents at now.
func (s *Service) SupportAccessGranted(ctx context.Context, sc tenancy.Scope, now time.Time) (bool, error) {
	st, err := s.Users.Settings(ctx, sc)
	if err != nil {
		return false, err
	}
	return st.SupportAccess(now), nil
}

// supportTenant finds the tenant a root route names: for Root the tenant is
// the object of the request, not the caller's. The returned context reads
// that tenant's data as that tenant (support).
func (s *Service) supportTenant(ctx context.Context, tenantID string) (context.Context, tenancy.Scope, error) {
	t, err := s.Tenants.Get(ctx, tenantID)
	if err != nil {
		return nil, tenancy.Scope{}, err
	}
	if t.Table == "" {
		// Not placed yet (a registration waiting for verification,
		// approval or payment) or offboarded: it has no data to show.
		return nil, tenancy.Scope{}, errs.E(errs.KindNotFound, "tenant_data_not_found", "tenant %s has no data (not provisioned yet, or offboarded)", t.ID)
	}
	return tenancy.WithTenant(ctx, t.ID), tenancy.Scope{Table: t.Table, TenantID: t.ID}, nil
}

// SupportListUsers is Root's page of a tenant's users.
func (s *Service) SupportListUsers(ctx context.Context, tenantID string, req list.Request) (list.Page[User], error) {
	ctx, sc, err := s.supportTenant(ctx, tenantID)
	if err != nil {
		return list.Page[User]{}, err
	}
	return s.Users.ListForSupport(ctx, sc, req)
}

// SupportGetUser is Root's read of a tenant's user.
func (s *Service) SupportGetUser(ctx context.Context, tenantID, userID string) (User, error) {
	ctx, sc, err := s.supportTenant(ctx, tenantID)
	if err != nil {
		return User{}, err
	}
	return s.Users.Get(ctx, sc, userID)
}

// SupportGrant is Root's view of a tenant's support-access grant.
func (s *Service) SupportGrant(ctx context.Context, tenantID string) (SupportAccessView, error) {
	ctx, sc, err := s.supportTenant(ctx, tenantID)
	if err != nil {
		return SupportAccessView{}, err
	}
	st, err := s.Users.Settings(ctx, sc)
	if err != nil {
		return SupportAccessView{}, err
	}
	return view(st, s.now()), nil
}
