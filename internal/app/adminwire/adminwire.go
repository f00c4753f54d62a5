// Package adminwire wires the tenants function: the provider's (Root's)
// administration of tenants, their lifecycle, platform health and
// settings. It holds what only that function needs (the CloudWatch alarms
// of the platform's health), so the other lifecycle functions do not link
// the CloudWatch client (whose schemas package initialised at each of
// their cold starts).
package adminwire

import (
	"context"
	"maps"

	"github.com/issuetracker/issuetracker/internal/app/cognitowire"
	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/lifecyclecore"
	"github.com/issuetracker/issuetracker/internal/app/tenantwire"
	"github.com/issuetracker/issuetracker/internal/health/cwalarms"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/people/peopleapi"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

// WithHealth adds Root's platform health: the deployment's CloudWatch
// alarms in AWS (the local metrics log's summary otherwise). A Setup step.
func WithHealth(_ context.Context, e core.Env, d *core.Deps) error {
	if !e.Endpoints.Local() {
		d.Health = cwalarms.Source{API: cwalarms.Signed{Config: e.AWS}, Prefix: d.Names.Prefix + "-"}
	}
	return nil
}

// Tenants is the provider's (Root's) administration: tenants, their
// lifecycle, platform health and settings. It starts lifecycle runs
// (approvals, tier changes, suspensions, offboarding), which go on the bus
// to the onboarding function: lifecyclecore.WithRunsElsewhere, without
// lifecyclewire's steps (CloudFormation, the S3 archive), which its role
// may not call anyway (only the onboarding function may describe tenant
// stacks or request their deploy and destroy: test/infra).
var Tenants = core.Wiring{Fn: routes.FnTenants,
	Setup: []core.Setup{cognitowire.WithCognito, core.WithBillingOn, WithHealth, lifecyclecore.WithRunsElsewhere},
	Operations: func(d core.Deps) httpapi.Operations {
		all := tenantwire.TenantsOperations(d)
		maps.Copy(all, peopleapi.RootMeOperations(tenantdb.New(d.Control(), d.Names)))
		return all
	}}
