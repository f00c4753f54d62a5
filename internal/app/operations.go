package app

import (
	"maps"
	"os"
	"time"

	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"

	"github.com/issuetracker/issuetracker/internal/analytics/analyticsapi"
	"github.com/issuetracker/issuetracker/internal/attachment/attachmentapi"
	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/audit/auditapi"
	"github.com/issuetracker/issuetracker/internal/audit/auditdb"
	"github.com/issuetracker/issuetracker/internal/billing/billingapi"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issueapi"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/meta"
	"github.com/issuetracker/issuetracker/internal/notify/notifyapi"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopleapi"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantapi"
	"github.com/issuetracker/issuetracker/internal/usage/usageapi"
)

var lookupEnv = os.Getenv

// operations gathers every domain's operations. Add a domain here.
func operations(d Deps) httpapi.Operations {
	all := httpapi.Operations{}
	for _, ops := range []httpapi.Operations{
		meta.Operations(),
		peopleapi.Operations(peopleapi.Deps{Service: peopleService(d), Audit: peopleAudit(d), Now: d.Now}),
		issueapi.Operations(issueapi.Deps{Service: issueService(d)}),
		tenantapi.Operations(lifecycleDeps(d)),
		analyticsapi.Operations(analyticsDeps(d)),
		attachmentapi.Operations(d.Attachments),
		usageapi.Operations(usageDeps(d)),
		billingapi.Operations(billingDeps(d)),
		notifyapi.Operations(notifyDeps(d)),
		auditapi.Operations(auditapi.Deps{Log: peopleAudit(d)}),
	} {
		maps.Copy(all, ops)
	}
	return all
}

// issueService is the issue domain on d's tables.
func issueService(d Deps) *issue.Service {
	return &issue.Service{Store: issuedb.Store{DB: d.DB, Cursors: d.Cursors}, Directory: issuedb.Directory{DB: d.DB},
		Cursors: d.Cursors, Now: d.Now}
}

// analyticsDeps are the analytics reports on d's tables, with the issue
// directory for their user and team filters.
func analyticsDeps(d Deps) analyticsapi.Deps {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	return analyticsapi.Deps{Service: &analytics.Service{Store: analyticsdb.Store{DB: d.DB}, Now: now},
		Directory: issuedb.Directory{DB: d.DB}, Now: now}
}

// peopleService is the people domain on d's tables and pools.
func peopleService(d Deps) *people.Service {
	users := peopledb.UserDB{DB: d.DB, Cursors: d.Cursors}
	return &people.Service{Users: users, Teams: peopledb.TeamDB{UserDB: users}, Tenants: tenantdb.New(d.Control(), d.Names),
		Identity: cognito.Pools{C: d.Cognito}, TenantPoolID: d.TenantPoolID, Mail: d.Mail, WebBaseURL: d.WebBaseURL, Now: d.Now}
}

// peopleAudit is the audit log of the Super Admin's changes (none in unit
// wiring without a database).
func peopleAudit(d Deps) audit.Log {
	if d.Control() == nil {
		return nil
	}
	a := auditdb.New(d.Control(), d.Names)
	a.Cursors = d.Cursors
	return a
}
