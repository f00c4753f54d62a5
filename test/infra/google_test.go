package infra_test

import (
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/issuetracker/issuetracker/infra/stacks"
)

// Google sign-in is for invited people: a first Google sign-in is linked to
// the user a tenant invited with the same verified email (the PreSignUp
// trigger, internal/federation), so it carries that user's tenant claim.
func TestGoogleSignInIsLinkedToInvitedUsers(t *testing.T) {
	ready(t)
	pool := synth.platform.TenantPool
	if pool.Google == nil || pool.LinkTrigger == nil {
		t.Fatal("Google sign-in is configured but the pool has no provider or no linking trigger")
	}
	poolID := logicalID(pool.UserPool.Node().DefaultChild())
	fnID := logicalID(pool.LinkTrigger.Function.Node().DefaultChild())

	t.Run("Google maps the email and whether Google verified it", func(t *testing.T) {
		idps := resources(t, stacks.PlatformStackName, "AWS::Cognito::UserPoolIdentityProvider")
		if len(idps) != 1 {
			t.Fatalf("%d identity providers, want 1", len(idps))
		}
		for _, idp := range idps {
			p := props(idp)
			want := `{"email":"email","email_verified":"email_verified","name":"name"}`
			if p["ProviderType"] != "Google" || ref(p["UserPoolId"]) != poolID || jsonOf(p["AttributeMapping"]) != want {
				t.Errorf("provider %v on %v mapping %s, want Google on the tenant pool mapping %s", p["ProviderType"], p["UserPoolId"], jsonOf(p["AttributeMapping"]), want)
			}
		}
		cl := props(resources(t, stacks.PlatformStackName, "AWS::Cognito::UserPoolClient")[logicalID(pool.Client.Node().DefaultChild())])
		if got := jsonOf(cl["SupportedIdentityProviders"]); got != `["COGNITO","Google"]` {
			t.Errorf("the web client offers %s", got)
		}
	})
	t.Run("the pool calls the trigger before a sign-up, and only the pool may", func(t *testing.T) {
		p := props(resources(t, stacks.PlatformStackName, "AWS::Cognito::UserPool")[poolID])
		// Beside the user-migration trigger (usermigration_test.go).
		if lc, _ := p["LambdaConfig"].(map[string]any); ref(lc["PreSignUp"]) != fnID || len(lc) != 2 || lc["UserMigration"] == nil {
			t.Errorf("LambdaConfig = %s, want PreSignUp = %s and UserMigration", jsonOf(p["LambdaConfig"]), fnID)
		}
		n := 0
		for _, perm := range resources(t, stacks.PlatformStackName, "AWS::Lambda::Permission") {
			pp := props(perm)
			if ref(pp["FunctionName"]) != fnID {
				continue
			}
			n++
			if pp["Principal"] != "cognito-idp.amazonaws.com" || ref(pp["SourceArn"]) != poolID {
				t.Errorf("invoke permission for %v from %s", pp["Principal"], jsonOf(pp["SourceArn"]))
			}
		}
		if n != 1 {
			t.Errorf("%d invoke permissions, want 1", n)
		}
	})
	t.Run("the trigger may find and link users in its own pool and nothing else", func(t *testing.T) {
		want := []string{xray, "<TenantPoolLinkTriggerLogs>: logs:CreateLogStream logs:PutLogEvents",
			"<TenantPoolUserPool>: cognito-idp:AdminLinkProviderForUser cognito-idp:ListUsers"}
		sort.Strings(want)
		if diff := cmp.Diff(want, grantsOf(t, logicalID(pool.LinkTrigger.Role.Node().DefaultChild()))); diff != "" {
			t.Errorf("trigger grants (-allowed +granted):\n%s", diff)
		}
		fn := props(resources(t, stacks.PlatformStackName, "AWS::Lambda::Function")[fnID])
		if fn["Environment"] != nil {
			t.Errorf("the trigger needs no environment (internal/envvars), has %s", jsonOf(fn["Environment"]))
		}
		if fn["Runtime"] != "provided.al2023" || jsonOf(fn["Architectures"]) != `["arm64"]` {
			t.Errorf("the trigger is not a Graviton Go binary: %v %v", fn["Runtime"], fn["Architectures"])
		}
	})
}
