package devstack

import (
	"context"

	"github.com/issuetracker/issuetracker/internal/localdeploy"
)

// RunTenantStack and StopTenantStack run and stop a tenant stack's
// functions and mappings as a Platinum deploy and offboarding do, for
// tests that bring their own tenant template.
func (s *Stack) RunTenantStack(ctx context.Context, tenantID, path string, res localdeploy.Result) error {
	return s.runTenantStack(ctx, tenantID, path, res)
}

func (s *Stack) StopTenantStack(ctx context.Context, tenantID string) {
	s.stopTenantStack(ctx, tenantID)
}

// ResumeTenantStacks runs the kept stacks of the registry's Platinum
// tenants, as Start does; TenantTemplatePath is where a deploy keeps a
// tenant's template.
func (s *Stack) ResumeTenantStacks(ctx context.Context) error { return s.resumeTenantStacks(ctx) }

func (s *Stack) TenantTemplatePath(tenantID string) string { return s.stacks.TemplatePath(tenantID) }

// DeployTenantStack deploys tenantID's stack as this cell's Platinum
// provisioner does (synth, then the local deployer) and returns its outputs.
func (s *Stack) DeployTenantStack(ctx context.Context, tenantID string) (map[string]string, error) {
	return s.stacks.Deploy(ctx, tenantID)
}

// DestroyTenantStack destroys it again.
func (s *Stack) DestroyTenantStack(ctx context.Context, tenantID string) error {
	return s.stacks.Destroy(ctx, tenantID)
}
