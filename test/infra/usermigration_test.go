package infra_test

import (
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/infra/stacks"
)

// The shared pool and a tenant stack's pool call the platform's
// user-migration trigger for users they do not know, and each pool may
// invoke it for itself only. A tenant in its own account has no trigger
// (the function is in the platform account).
func TestThePoolsCallTheUserMigrationTrigger(t *testing.T) {
	ready(t)
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:issuetracker-usermigration"
	if got := props(resources(t, stacks.PlatformStackName, "AWS::Lambda::Function")[logicalID(synth.platform.Functions[stacks.UserMigrationFunction].Function.Node().DefaultChild())])["FunctionName"]; got != "issuetracker-usermigration" {
		t.Fatalf("the trigger is named %v", got)
	}
	for _, c := range []struct {
		stack, pool string
	}{
		{stacks.PlatformStackName, logicalID(synth.platform.TenantPool.UserPool.Node().DefaultChild())},
		{stacks.TenantStackName(tenantID), logicalID(synth.tenant.Pool.UserPool.Node().DefaultChild())},
	} {
		t.Run(c.stack, func(t *testing.T) {
			p := props(resources(t, c.stack, "AWS::Cognito::UserPool")[c.pool])
			lc, _ := p["LambdaConfig"].(map[string]any)
			if symbolic(lc["UserMigration"]) != arn && lc["UserMigration"] != arn {
				t.Errorf("LambdaConfig.UserMigration = %s, want %s", jsonOf(lc["UserMigration"]), arn)
			}
			n := 0
			for _, perm := range resources(t, c.stack, "AWS::Lambda::Permission") {
				pp := props(perm)
				if symbolic(pp["FunctionName"]) != arn && pp["FunctionName"] != arn {
					continue
				}
				n++
				if pp["Principal"] != "cognito-idp.amazonaws.com" || ref(pp["SourceArn"]) != c.pool {
					t.Errorf("invoke permission for %v from %s", pp["Principal"], jsonOf(pp["SourceArn"]))
				}
			}
			if n != 1 {
				t.Errorf("%d invoke permissions of the trigger, want 1", n)
			}
		})
	}
	// A tenant in its own account cannot name the platform's function:
	// its pool calls the trigger its own stack deploys
	// (TestTheUsersOfATenantInItsOwnAccountMoveBetweenPools).
	x := resources(t, stacks.TenantStackNameOf(cell2, crossTenant), "AWS::Cognito::UserPool")
	for _, p := range x {
		if lc, _ := props(p)["LambdaConfig"].(map[string]any); strings.Contains(jsonOf(lc["UserMigration"]), "lambda:") {
			t.Errorf("a tenant in its own account names the platform's trigger: %s", jsonOf(lc))
		}
	}
}
