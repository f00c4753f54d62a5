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
	return res.Outputs, nil
}

// Destroy implements onboarding.StackDeployer with the template of the last
// deploy (synthesized again if it is gone).
func (s Stacks) Destroy(ctx context.Context, tenantID string) error {
	dir := filepath.Join(s.Dir, tenantID)
	path := filepath.Join(dir, "IssueTracker-Tenant-"+tenantID+".template.json")
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
