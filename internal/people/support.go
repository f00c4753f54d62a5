package people

import (
	"context"
	"net/http"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Support access (docs/people.md): Root may list and read any tenant's user
// directory (no issue contents) for support. Reading a tenant's issues needs
// a grant by one of its Super Admins, for at most MaxSupportHours; any root
// route that reads issue contents must check SupportAccessGranted.

// MaxSupportHours bounds one support-access grant.
const MaxSupportHours = 72

// SupportAccessGranted reports whether the provider may read the tenant's
// issue contents now.
func (s UserDB) SupportAccessGranted(ctx context.Context, table, tenantID string, now time.Time) (bool, error) {
	st, err := s.Settings(ctx, table, tenantID)
	if err != nil {
		return false, err
	}
	return st.SupportAccess(now), nil
}

// SupportAccessView is a tenant's support-access grant.
type SupportAccessView struct {
	Granted   bool      `json:"granted"`
	Until     time.Time `json:"until,omitzero"`
	GrantedBy string    `json:"granted_by,omitempty"`
}

func view(st Settings, now time.Time) SupportAccessView {
	if !st.SupportAccess(now) {
		return SupportAccessView{}
	}
	return SupportAccessView{Granted: true, Until: st.SupportAccessUntil, GrantedBy: st.SupportGrantedBy}
}

func (d Deps) getSupportAccess(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	st, err := d.users().Settings(r.Context(), p.Table, p.TenantID)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, view(st, d.Now()))
}

// putSupportAccess grants the provider's support access for some hours;
// deleteSupportAccess ends it at once.
func (d Deps) putSupportAccess(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Hours int `json:"hours"`
	}
	if err := httpapi.DecodeJSON(r, &in, 0); err != nil {
		return err
	}
	if in.Hours < 1 || in.Hours > MaxSupportHours {
		return errs.Field("hours", "must be from 1 to 72")
	}
	return d.setSupport(w, r, time.Duration(in.Hours)*time.Hour)
}

func (d Deps) deleteSupportAccess(w http.ResponseWriter, r *http.Request) error {
	return d.setSupport(w, r, 0)
}

func (d Deps) setSupport(w http.ResponseWriter, r *http.Request, dur time.Duration) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	st, err := d.users().Settings(r.Context(), p.Table, p.TenantID)
	if err != nil {
		return err
	}
	now := d.Now().UTC()
	st.SupportAccessUntil, st.SupportGrantedBy = time.Time{}, ""
	if dur > 0 {
		st.SupportAccessUntil, st.SupportGrantedBy = now.Add(dur), p.UserID
	}
	if err := d.users().PutSettings(r.Context(), p.Table, p.TenantID, st); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, view(st, now))
}

// rootTenantTable finds the table of the tenant named in a root route's
// path: for Root the tenant is the object of the request, not the caller's.
// The returned context reads that tenant's data as that tenant (support).
func (d Deps) rootTenantTable(r *http.Request) (context.Context, string, string, error) {
	t, err := d.Tenants.Get(r.Context(), r.PathValue("tenantId"))
	if err != nil {
		return nil, "", "", err
	}
	if t.Table == "" {
		// Not placed yet (a registration waiting for verification,
		// approval or payment) or offboarded: it has no data to show.
		return nil, "", "", errs.E(errs.KindNotFound, "tenant_data_not_found", "tenant %s has no data (not provisioned yet, or offboarded)", t.ID)
	}
	return tenancy.WithTenant(r.Context(), t.ID), t.ID, t.Table, nil
}

func (d Deps) rootListUsers(w http.ResponseWriter, r *http.Request) error {
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	ctx, id, table, err := d.rootTenantTable(r)
	if err != nil {
		return err
	}
	page, err := d.users().ListForSupport(ctx, table, id, req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, page)
}

func (d Deps) rootGetUser(w http.ResponseWriter, r *http.Request) error {
	ctx, id, table, err := d.rootTenantTable(r)
	if err != nil {
		return err
	}
	u, err := d.users().Get(ctx, table, id, r.PathValue("userId"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, u)
}

func (d Deps) rootGetSupportAccess(w http.ResponseWriter, r *http.Request) error {
	ctx, id, table, err := d.rootTenantTable(r)
	if err != nil {
		return err
	}
	st, err := d.users().Settings(ctx, table, id)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, view(st, d.Now()))
}
