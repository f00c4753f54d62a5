package app

import (
	"maps"

	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/list"

	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"

	"github.com/issuetracker/issuetracker/internal/analytics/analyticsapi"
	"github.com/issuetracker/issuetracker/internal/attachment/attachmentapi"
	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/audit/auditapi"
	"github.com/issuetracker/issuetracker/internal/audit/auditdb"
	"github.com/issuetracker/issuetracker/internal/billing/billingapi"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/customfield"
	"github.com/issuetracker/issuetracker/internal/customfield/customfieldapi"
	"github.com/issuetracker/issuetracker/internal/customfield/customfielddb"
	"github.com/issuetracker/issuetracker/internal/cycle"
	"github.com/issuetracker/issuetracker/internal/cycle/cycleapi"
	"github.com/issuetracker/issuetracker/internal/cycle/cycledb"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/imports"
	"github.com/issuetracker/issuetracker/internal/imports/importsapi"
	"github.com/issuetracker/issuetracker/internal/imports/importsdb"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/issue/issueapi"
	"github.com/issuetracker/issuetracker/internal/issue/issuedb"
	"github.com/issuetracker/issuetracker/internal/meta"
	"github.com/issuetracker/issuetracker/internal/notify/notifyapi"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopleapi"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/issuetracker/issuetracker/internal/project/projectapi"
	"github.com/issuetracker/issuetracker/internal/project/projectdb"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantapi"
	"github.com/issuetracker/issuetracker/internal/usage/usageapi"
	"github.com/issuetracker/issuetracker/internal/view"
	"github.com/issuetracker/issuetracker/internal/view/viewapi"
	"github.com/issuetracker/issuetracker/internal/view/viewdb"
	"github.com/issuetracker/issuetracker/internal/webhook/webhookapi"
)

var lookupEnv = os.Getenv

// operations gathers every domain's operations. Add a domain here.
func operations(d Deps) httpapi.Operations {
	all := httpapi.Operations{}
	for _, ops := range []httpapi.Operations{
		meta.Operations(),
		peopleapi.Operations(peopleapi.Deps{Service: peopleService(d), Audit: peopleAudit(d), Now: d.Now}),
		issueapi.Operations(issueapi.Deps{Service: issueService(d)}),
		viewapi.Operations(viewapi.Deps{Service: viewService(d)}),
		importsapi.Operations(importsapi.Deps{Service: &imports.Service{Store: importsdb.Store{DB: d.DB}, Issues: issueService(d), Now: d.Now}}),
		projectapi.Operations(projectapi.Deps{Service: newProjectService(d.DB, d.Cursors, d.Now)}),
		customfieldapi.Operations(customfieldapi.Deps{Service: newFieldService(d.DB, d.Cursors, d.Now)}),
		cycleapi.Operations(cycleapi.Deps{Service: newCycleService(d.DB, d.Cursors, d.Now), Issues: issueService(d)}),
		tenantapi.Operations(lifecycleDeps(d)),
		analyticsapi.Operations(analyticsDeps(d)),
		attachmentapi.Operations(d.Attachments),
		usageapi.Operations(usageDeps(d)),
		billingapi.Operations(billingDeps(d)),
		notifyapi.Operations(notifyDeps(d)),
		webhookapi.Operations(webhookDeps(d)),
		auditapi.Operations(auditapi.Deps{Log: tenantAudit(d)}),
	} {
		maps.Copy(all, ops)
	}
	return all
}

// issueService is the issue domain on d's tables.
func issueService(d Deps) *issue.Service { return newIssueService(d.DB, d.Cursors, d.Now) }

// newIssueService is the issue domain with its projects on db.
func newIssueService(db *dynamodb.Client, cursors list.Codec, now func() time.Time) *issue.Service {
	ps := &project.Service{Store: projectdb.Store{DB: db}, Users: issuedb.Directory{DB: db}, Now: now}
	projects := project.Issues{Service: ps}
	is := &issue.Service{Store: issuedb.Store{DB: db, Cursors: cursors}, Directory: issuedb.Directory{DB: db},
		Projects: projects, Workflows: projects,
		Cycles: cycle.Issues{Service: &cycle.Service{Store: cycledb.Store{DB: db, Cursors: cursors}, Scope: issuedb.Store{DB: db, Cursors: cursors},
			Projects: projects, Directory: issuedb.Directory{DB: db}, Now: now}},
		FieldDefs: customfield.Issues{Service: &customfield.Service{Store: customfielddb.Store{DB: db}, Projects: projects, Now: now}},
		Cursors:   cursors, Now: now}
	ps.Tracker = is // status deletions find and remap issues
	return is
}

// newFieldService is the projects' custom fields on db.
func newFieldService(db *dynamodb.Client, cursors list.Codec, now func() time.Time) *customfield.Service {
	return newIssueService(db, cursors, now).FieldDefs.(customfield.Issues).Service
}

// newCycleService is the cycle domain on db, with the issues' scope records.
func newCycleService(db *dynamodb.Client, cursors list.Codec, now func() time.Time) *cycle.Service {
	return newIssueService(db, cursors, now).Cycles.(cycle.Issues).Service
}

// newProjectService is the project domain on db, with the issues its
// workflow edits check and remap.
func newProjectService(db *dynamodb.Client, cursors list.Codec, now func() time.Time) *project.Service {
	return newIssueService(db, cursors, now).Projects.(project.Issues).Service
}

// viewService is the saved views on d's tables, over the issue list.
func viewService(d Deps) *view.Service {
	return &view.Service{Store: viewdb.Store{DB: d.DB}, Tracker: issueService(d), Parse: issueapi.ParseListQuery,
		Params: issueapi.FilterParams(), Now: d.Now}
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

// tenantAudit is a tenant's own view of its audit log (GET /v1/audit): a
// list of its own, apart from the provider's (listTenantAudit).
func tenantAudit(d Deps) audit.Log {
	if d.Control() == nil {
		return nil
	}
	a := auditdb.New(d.Control(), d.Names)
	a.Cursors, a.ListName = d.Cursors, "tenant-audit"
	return a
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
