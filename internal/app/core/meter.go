package core

import (
	"context"
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/usage/usagedb"
)

// NewMeter is the process's usage meter on d's control table: threshold
// mails go to the tenant's Super Admins through d.Mail. Run it with
// Meter.Run (and flush it at shutdown).
func NewMeter(d Deps) *usage.Meter {
	d.UsageNotices = UsageNotices(d)
	return meter(d)
}

// meter is the usage meter with d.UsageNotices (none: no threshold
// mails). Boot builds this one: the notices need a mail sender, which
// only the functions that mail (WithMail, mailwire) have.
func meter(d Deps) *usage.Meter {
	store := usagedb.New(d.Control(), d.Names)
	store.Now = d.Now
	m := &usage.Meter{Store: store, Now: d.Now}
	if d.UsageNotices != nil {
		m.Notifier = d.UsageNotices
	}
	return m
}

// UsageNotices mails a tenant's Super Admins through d.Mail when its
// usage crosses a threshold of its tier.
func UsageNotices(d Deps) usage.Notifier {
	store := usagedb.New(d.Control(), d.Names)
	store.Now = d.Now
	return usage.Notices{Store: store, Mail: d.Mail, Recipients: SuperAdmins(d), WebBaseURL: d.WebBaseURL}
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

// SuperAdmins are the active Super Admins of a tenant, read as the tenant
// (at most 10 pages of its directory: notices are rare).
func SuperAdmins(d Deps) usage.Recipients {
	return func(ctx context.Context, tenantID string) (string, []string, error) {
		t, err := tenantdb.New(d.Control(), d.Names).Get(ctx, tenantID)
		if err != nil {
			return "", nil, err
		}
		emails, err := people.SuperAdminEmails(tenancy.WithTenant(ctx, tenantID), peopledb.UserDB{DB: d.DB}, t.Scope())
		return t.Name, emails, err
	}
}
