// Package peoplewire wires the people domain (users, teams, the Super
// Admin's audit log) on DynamoDB and the user pools: the users and teams
// functions.
package peoplewire

import (
	"maps"

	"github.com/issuetracker/issuetracker/internal/app/cognitowire"
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/audit/auditapi"
	"github.com/issuetracker/issuetracker/internal/audit/auditdb"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopleapi"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

// Users is the users function: the caller, user management and the
// tenant's audit log; it mails invitations.
var Users = core.Wiring{Fn: routes.FnUsers, Setup: []core.Setup{cognitowire.WithCognito, core.WithMail}, Operations: UsersOperations}

// Teams is the teams function: teams and membership (no Cognito call).
var Teams = core.Wiring{Fn: routes.FnTeams, Operations: TeamsOperations}

// Operations are the people domain's operations and the tenant's audit log.
func Operations(d core.Deps) httpapi.Operations {
	all := peopleapi.Operations(peopleapi.Deps{Service: peopleService(d), Audit: PeopleAudit(d), Now: d.Now})
	maps.Copy(all, auditapi.Operations(auditapi.Deps{Log: tenantAudit(d)}))
	return all
}

// UsersOperations are the users function's: the people domain's user
// operations and the tenant's audit log. Each function builds only its
// own operations (the linker keeps every handler a map names).
func UsersOperations(d core.Deps) httpapi.Operations {
	all := peopleapi.UsersOperations(peopleapi.Deps{Service: peopleService(d), Audit: PeopleAudit(d), Now: d.Now})
	maps.Copy(all, auditapi.Operations(auditapi.Deps{Log: tenantAudit(d)}))
	return all
}

// TeamsOperations are the teams function's.
func TeamsOperations(d core.Deps) httpapi.Operations {
	return peopleapi.TeamsOperations(peopleapi.Deps{Service: peopleService(d), Audit: PeopleAudit(d), Now: d.Now})
}

// peopleService is the people domain on d's tables and pools.
func peopleService(d core.Deps) *people.Service {
	users := peopledb.UserDB{DB: d.DB, Cursors: d.Cursors}
	return &people.Service{Users: users, Teams: peopledb.TeamDB{UserDB: users}, Tenants: tenantdb.New(d.Control(), d.Names),
		Identity: d.Cognito, TenantPoolID: d.TenantPoolID, Mail: d.Mail, WebBaseURL: d.WebBaseURL, Now: d.Now}
}

// tenantAudit is a tenant's own view of its audit log (GET /v1/audit): a
// list of its own, apart from the provider's (listTenantAudit).
func tenantAudit(d core.Deps) audit.Log {
	if d.Control() == nil {
		return nil
	}
	a := auditdb.New(d.Control(), d.Names)
	a.Cursors, a.ListName = d.Cursors, "tenant-audit"
	return a
}

// PeopleAudit is the audit log of the Super Admin's changes (core.AuditLog).
func PeopleAudit(d core.Deps) audit.Log { return core.AuditLog(d) }
