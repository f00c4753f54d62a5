package app

import (
	"context"
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/usage/usageapi"
	"github.com/issuetracker/issuetracker/internal/usage/usagedb"
)

// NewMeter is the process's usage meter on d's control table: threshold
// mails go to the tenant's Super Admins through d.Mail. Run it with
// Meter.Run (and flush it at shutdown).
func NewMeter(d Deps) *usage.Meter {
	store := usagedb.New(d.Control(), d.Names)
	store.Now = d.Now
	return &usage.Meter{Store: store, Now: d.Now,
		Notifier: usage.Notices{Store: store, Mail: d.Mail, Recipients: superAdmins(d), WebBaseURL: d.WebBaseURL}}
}

// metered counts every request of a tenant's user (the principal comes
// from the authorizer context, so nothing is read) and lets the stores
// reached by the request report storage changes: no database round trip.
func metered(m *usage.Meter, h http.Handler) http.Handler {
	if m == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, err := httpapi.CallerPrincipal(r); err == nil && p.TenantID != "" {
			m.Call(p.TenantID, p.Tier, p.UserID)
		}
		h.ServeHTTP(w, r.WithContext(usage.WithMeter(r.Context(), m)))
	})
}

// superAdmins are the active Super Admins of a tenant, read as the tenant
// (at most 10 pages of its directory: notices are rare).
func superAdmins(d Deps) usage.Recipients {
	return func(ctx context.Context, tenantID string) (string, []string, error) {
		t, err := tenantdb.New(d.Control(), d.Names).Get(ctx, tenantID)
		if err != nil {
			return "", nil, err
		}
		emails, err := people.SuperAdminEmails(tenancy.WithTenant(ctx, tenantID), peopledb.UserDB{DB: d.DB}, t.Scope())
		return t.Name, emails, err
	}
}

// usageDeps are the usage operations' dependencies (none without a database).
func usageDeps(d Deps) usageapi.Deps {
	if d.Control() == nil {
		return usageapi.Deps{}
	}
	store := usagedb.New(d.Control(), d.Names)
	data := tenantdata.Store{DB: d.DB, Platform: d.Control()}
	return usageapi.Deps{Store: store, Tenants: tenantdb.New(d.Control(), d.Names), Now: d.Now,
		Seats: func(ctx context.Context, t tenant.Tenant) (int, error) { return data.CountUsers(ctx, t) }}
}
