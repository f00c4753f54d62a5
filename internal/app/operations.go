package app

import (
	"maps"
	"os"

	"github.com/issuetracker/issuetracker/internal/analytics/analyticsapi"
	"github.com/issuetracker/issuetracker/internal/attachment/attachmentapi"
	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/audit/auditdb"
	"github.com/issuetracker/issuetracker/internal/billing/billingapi"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/identity"
	"github.com/issuetracker/issuetracker/internal/issue/issueapi"
	"github.com/issuetracker/issuetracker/internal/lifecycle"
	"github.com/issuetracker/issuetracker/internal/meta"
	"github.com/issuetracker/issuetracker/internal/notify/notifyapi"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/usage/usageapi"
)

var lookupEnv = os.Getenv

// operations gathers every domain's operations. Add a domain here.
func operations(d Deps) httpapi.Operations {
	all := httpapi.Operations{}
	for _, ops := range []httpapi.Operations{
		meta.Operations(),
		people.Operations(people.Deps{DB: d.DB, Tenants: tenantdb.New(d.Control(), d.Names), Directory: people.UserDB{DB: d.DB, Cursors: d.Cursors},
			Identity: identity.Pools{C: d.Cognito}, TenantPoolID: d.TenantPoolID, Now: d.Now, Audit: peopleAudit(d), Cursors: d.Cursors,
			Mail: d.Mail, WebBaseURL: d.WebBaseURL}),
		issueapi.Operations(issueapi.NewDeps(d.DB, d.Now, d.Cursors)),
		analyticsapi.Operations(analyticsapi.NewDeps(d.DB, d.Now)),
		lifecycle.Operations(lifecycleDeps(d)),
		attachmentapi.Operations(d.Attachments),
		usageapi.Operations(usageDeps(d)),
		billingapi.Operations(billingDeps(d)),
		notifyapi.Operations(notifyDeps(d)),
	} {
		maps.Copy(all, ops)
	}
	return all
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
