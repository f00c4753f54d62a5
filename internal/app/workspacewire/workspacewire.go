// Package workspacewire is the workspace function's wiring: the tenant's
// workspace settings (branding). Apart from tenantwire (registration and
// Root's tenant administration, whose lifecycle reaches the machine's
// steps, Cognito and mail) so that the function links neither (issue 19;
// internal/app/wiring_test.go refuses Cognito in it).
package workspacewire

import (
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/audit/auditdb"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantapi"
)

// Workspace is the workspace function. Its lifecycle service reads and
// writes the tenants' records and audits (onboarding.Service.SetBranding)
// and has nothing else: no machine steps, no Cognito.
var Workspace = core.Wiring{Fn: routes.FnWorkspace, Operations: Operations}

// Operations are the workspace function's operations
// (tenantapi.WorkspaceOperations) on d.Lifecycle (the in-process
// platform's), or else on a service of the tenants' directory and the
// audit trail alone; without a database (unit wiring tests) they answer
// lifecycle_unavailable, as tenantwire's.
func Operations(d core.Deps) httpapi.Operations {
	if d.DB == nil {
		return tenantapi.WorkspaceOperations(tenantapi.Deps{})
	}
	svc := core.As[*onboarding.Service](d.Lifecycle)
	if svc == nil && d.TenantPoolID != "" {
		reg := tenantdb.New(d.Control(), d.Names)
		reg.Cursors = d.Cursors
		svc = &onboarding.Service{Machine: &onboarding.Machine{Tenants: reg, Audit: auditdb.New(d.Control(), d.Names), Now: d.Now}}
	}
	return tenantapi.WorkspaceOperations(tenantapi.Deps{Service: svc})
}
