package infra_test

import (
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/envvars"
)

// A Platinum tenant's stack carries its cell in its name in every cell but
// the first, whose stacks keep the names they were deployed with (their
// goldens, IssueTracker-Tenant-acme.json among them, are unchanged); a
// cell's pipeline deploys, and its onboarding function follows, its own
// cell's tenant stacks only (docs/scale.md, "A Platinum tenant's move
// between cells in AWS", piece 1).
func TestATenantStackIsNamedWithItsCellExceptInTheFirstCell(t *testing.T) {
	ready(t)
	if _, ok := synth.raw["IssueTracker-Tenant-"+tenantID]; !ok {
		t.Errorf("cell-1's tenant stack is not IssueTracker-Tenant-%s", tenantID)
	}
	if _, ok := synth.raw["IssueTracker-cell-2-Tenant-"+crossTenant]; !ok {
		t.Errorf("cell-2's tenant stack is not IssueTracker-cell-2-Tenant-%s", crossTenant)
	}
	if got := *synth.cross.Stack.StackName(); got != "IssueTracker-cell-2-Tenant-"+crossTenant {
		t.Errorf("cell-2's tenant stack name %s", got)
	}
	two := stacks.PlatformStackNameOf(cell2)
	for _, tc := range []struct {
		stack, own, other string
		p                 *stacks.Platform
		env               any
	}{
		{stacks.PlatformStackName, "IssueTracker-Tenant-", "IssueTracker-cell-2-Tenant-", synth.platform, nil},
		{two, "IssueTracker-cell-2-Tenant-", "IssueTracker-Tenant-", synth.cell2, "IssueTracker-cell-2-Tenant-"},
	} {
		role := logicalID(tc.p.Functions[stacks.OnboardingFunction].Role.Node().DefaultChild())
		var described []string
		for _, s := range statementsIn(t, tc.stack, role) {
			// Its own cell's (a move's grants on the other cells' are Sid'd:
			// TestACellMayMoveTenantsToTheOtherCellsOfItsAccountWithLeastPrivilege).
			if strings.Contains(jsonOf(s["Action"]), `"cloudformation:DescribeStacks"`) && s["Sid"] == nil {
				described = append(described, jsonOf(s["Resource"]))
			}
		}
		if len(described) != 1 || !strings.Contains(described[0], ":stack/"+tc.own+"*/*") || strings.Contains(described[0], ":stack/"+tc.other) {
			t.Errorf("%s: onboarding describes %v, want its own cell's %s* only", tc.stack, described, tc.own)
		}
		// The first cell's function keeps its environment (awsstacks' default).
		if got := platformEnv(t, tc.stack, tc.p, stacks.OnboardingFunction)[envvars.TenantStackPrefix]; got != tc.env {
			t.Errorf("%s: %s = %v, want %v", tc.stack, envvars.TenantStackPrefix, got, tc.env)
		}
		project := props(resources(t, tc.stack, "AWS::CodeBuild::Project")[logicalID(tc.p.Provisioning.Project.Node().DefaultChild())])
		spec := jsonOf(project["Source"])
		if !strings.Contains(spec, "cdk deploy --require-approval never -c tenant=$TENANT_ID") || !strings.Contains(spec, " "+tc.own+"$TENANT_ID") ||
			strings.Contains(spec, " "+tc.other+"$TENANT_ID") {
			t.Errorf("%s: the pipeline's buildspec does not deploy %s$TENANT_ID: %s", tc.stack, tc.own, spec)
		}
	}
}
