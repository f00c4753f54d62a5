package infra_test

import (
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/constructs/provisioning"
	"github.com/issuetracker/issuetracker/infra/stacks"
)

func TestTenantStacksAreDeployedByEventsThroughStepFunctionsAndCodeBuild(t *testing.T) {
	ready(t)
	prov := synth.platform.Provisioning
	smID := logicalID(prov.StateMachine.Node().DefaultChild())
	busID := logicalID(prov.Bus.Node().DefaultChild())
	projectID := logicalID(prov.Project.Node().DefaultChild())

	t.Run("each request type on the bus starts the state machine with its action", func(t *testing.T) {
		rules := resources(t, stacks.PlatformStackName, "AWS::Events::Rule")
		for detailType, action := range map[string]string{
			provisioning.DetailTypeDeployRequested:  provisioning.ActionDeploy,
			provisioning.DetailTypeDestroyRequested: provisioning.ActionDestroy,
		} {
			found := false
			for _, r := range rules {
				p := props(r)
				if ref(p["EventBusName"]) != busID || !strings.Contains(jsonOf(p["EventPattern"]), detailType) {
					continue
				}
				found = true
				targets := jsonOf(p["Targets"])
				if !strings.Contains(targets, smID) || !strings.Contains(targets, `\"action\":\"`+action+`\"`) {
					t.Errorf("rule for %q targets %s", detailType, targets)
				}
			}
			if !found {
				t.Errorf("no rule for %q on the bus", detailType)
			}
		}
	})
	t.Run("the state machine runs the build and reports both outcomes", func(t *testing.T) {
		sm := props(resources(t, stacks.PlatformStackName, "AWS::StepFunctions::StateMachine")[smID])
		def := jsonOf(sm["DefinitionString"])
		for _, want := range []string{"codebuild:startBuild.sync", "events:putEvents", provisioning.DetailTypeSucceeded, provisioning.DetailTypeFailed, "TENANT_ID"} {
			if !strings.Contains(def, want) {
				t.Errorf("definition lacks %s", want)
			}
		}
	})
	t.Run("the build deploys only the tenant's stack and may only assume the CDK bootstrap roles", func(t *testing.T) {
		project := props(resources(t, stacks.PlatformStackName, "AWS::CodeBuild::Project")[projectID])
		spec := jsonOf(project["Source"])
		for _, want := range []string{"cdk deploy", "cdk destroy", "IssueTracker-Tenant-$TENANT_ID", "-c tenant=$TENANT_ID"} {
			if !strings.Contains(spec, want) {
				t.Errorf("buildspec lacks %q", want)
			}
		}
		if env := project["Environment"].(map[string]any); env["PrivilegedMode"] == true {
			t.Error("build runs privileged")
		}
		roleID := ref(project["ServiceRole"])
		assumes := 0
		for _, s := range statements(t, roleID) {
			a := jsonOf(s["Action"])
			if a == `"*"` || strings.Contains(a, `"iam:`) || strings.Contains(a, "cloudformation:") {
				t.Errorf("build role is granted %s directly", a)
			}
			if strings.Contains(a, "sts:AssumeRole") && !strings.Contains(jsonOf(s["Resource"]), "role/cdk-hnb659fds-*-") {
				t.Errorf("build may assume %s", jsonOf(s["Resource"]))
			}
			if strings.Contains(a, "sts:AssumeRole") {
				assumes++
			}
		}
		if assumes != 1 {
			t.Errorf("build role has %d assume-role statements, want 1", assumes)
		}
	})
}
