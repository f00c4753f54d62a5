package infra_test

import (
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// The list cursor key is one generated secret of the platform; every route
// function gets its ARN in the variable internal/app reads and may read it;
// the authorizer and the onboarding function, which answer no list, do not.
func TestTheCursorKeyIsASecretOnlyRouteFunctionsRead(t *testing.T) {
	ready(t)
	secrets := resources(t, stacks.PlatformStackName, "AWS::SecretsManager::Secret")
	secretID := logicalID(synth.platform.CursorKey.Node().DefaultChild())
	if secrets[secretID] == nil {
		t.Fatalf("want the cursor key secret %s, got %v", secretID, keys(secrets))
	}
	gen, _ := props(secrets[secretID])["GenerateSecretString"].(map[string]any)
	if gen == nil || gen["PasswordLength"].(float64) < 32 {
		t.Errorf("the key is not generated with at least 32 characters: %v", gen)
	}
	fns := resources(t, stacks.PlatformStackName, "AWS::Lambda::Function")
	readers := map[string]bool{}
	for _, f := range routes.Functions() {
		readers[string(f)] = true
	}
	for _, name := range stacks.FunctionNames() {
		fn := synth.platform.Functions[name]
		env := jsonOf(props(fns[logicalID(fn.Function.Node().DefaultChild())])["Environment"])
		hasEnv := strings.Contains(env, `"`+app.EnvCursorKeySecret+`":{"Ref":"`+secretID+`"}`)
		canRead := granted(t, roleOf(name), "secretsmanager:GetSecretValue", secretID)
		if readers[name] && (!hasEnv || !canRead) {
			t.Errorf("route function %s: env %v, grant %v (env %s)", name, hasEnv, canRead, env)
		}
		if !readers[name] && (hasEnv || canRead) {
			t.Errorf("%s answers no list but gets the cursor key (env %v, grant %v)", name, hasEnv, canRead)
		}
	}
}
