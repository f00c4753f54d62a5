package localdeploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/issuetracker/issuetracker/internal/onboarding"
)

// SynthFunc synthesizes IssueTracker-Tenant-<id> into outDir and returns the
// template's path (the CDK app's stacks.SynthTenant).
type SynthFunc func(outDir, tenantID string) (string, error)

// Stacks deploys Platinum tenant stacks to the local cloud: synthesize with
// the real CDK app, then Apply. It implements onboarding.StackDeployer.
type Stacks struct {
	Deployer Deployer
	Synth    SynthFunc
	// Dir keeps each tenant's synthesized template (Dir/<id>/).
	Dir string
	// Log, when set, reports what was not emulated.
	Log func(format string, args ...any)
	// Deployed, when set, runs after a stack is applied with its template
	// and what Apply made (make dev's template mode runs the stack's
	// functions and stream mappings); its error fails the deploy.
	Deployed func(ctx context.Context, tenantID, path string, res Result) error
	// Destroying, when set, runs before a stack's resources are deleted
	// (the template mode stops what Deployed started).
	Destroying func(ctx context.Context, tenantID string)
}

// TemplatePath is where Deploy keeps the synthesized template of a
// tenant's stack.
func (s Stacks) TemplatePath(tenantID string) string {
	return filepath.Join(s.Dir, tenantID, "IssueTracker-Tenant-"+tenantID+".template.json")
}

var _ onboarding.StackDeployer = Stacks{}

// Deploy implements onboarding.StackDeployer.
func (s Stacks) Deploy(ctx context.Context, tenantID string) (map[string]string, error) {
	path, err := s.Synth(filepath.Join(s.Dir, tenantID), tenantID)
	if err != nil {
		return nil, fmt.Errorf("synth tenant stack %s: %w", tenantID, err)
	}
	res, err := s.Deployer.Apply(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("deploy tenant stack %s locally: %w", tenantID, err)
	}
	if s.Log != nil && len(res.NotEmulated) > 0 {
		s.Log("tenant stack %s: %d resources not emulated locally: %v", tenantID, len(res.NotEmulated), res.NotEmulated)
	}
	if s.Deployed != nil {
		if err := s.Deployed(ctx, tenantID, path, res); err != nil {
			return nil, fmt.Errorf("tenant stack %s: %w", tenantID, err)
		}
	}
	return res.Outputs, nil
}

// Destroy implements onboarding.StackDeployer with the template of the last
// deploy (synthesized again if it is gone).
func (s Stacks) Destroy(ctx context.Context, tenantID string) error {
	if s.Destroying != nil {
		s.Destroying(ctx, tenantID)
	}
	dir := filepath.Join(s.Dir, tenantID)
	path := s.TemplatePath(tenantID)
	if _, err := os.Stat(path); err != nil {
		if path, err = s.Synth(dir, tenantID); err != nil {
			return fmt.Errorf("synth tenant stack %s: %w", tenantID, err)
		}
	}
	if err := s.Deployer.Destroy(ctx, path); err != nil {
		return err
	}
	return os.RemoveAll(dir)
}
