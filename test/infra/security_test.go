package infra_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/identity"
	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/passwordpolicy"
)

func TestUserPoolsCarryTheClaimsTheRuntimeReads(t *testing.T) {
	ready(t)
	cases := []struct {
		stack  string
		pool   *identity.Pool
		groups []string
		mfa    string
	}{
		{stacks.PlatformStackName, synth.platform.TenantPool, []string{"user", "admin", "super_admin"}, "OPTIONAL"},
		{stacks.PlatformStackName, synth.platform.ProviderPool, []string{"root"}, "ON"},
		{stacks.TenantStackName(tenantID), synth.tenant.Pool, []string{"user", "admin", "super_admin"}, "OPTIONAL"},
	}
	for _, c := range cases {
		t.Run(*c.pool.Node().Path(), func(t *testing.T) {
			poolID := logicalID(c.pool.UserPool.Node().DefaultChild())
			p := props(resources(t, c.stack, "AWS::Cognito::UserPool")[poolID])
			if p == nil {
				t.Fatalf("no user pool %s", poolID)
			}
			schema := jsonOf(p["Schema"])
			for _, a := range []string{identity.AttrTenantID, identity.AttrRole, identity.AttrTier} {
				if !strings.Contains(schema, `"Name":"`+a+`"`) {
					t.Errorf("no custom attribute %s in %s", a, schema)
				}
			}
			if p["MfaConfiguration"] != c.mfa || !strings.Contains(jsonOf(p["EnabledMfas"]), "SOFTWARE_TOKEN_MFA") || !strings.Contains(jsonOf(p["EnabledMfas"]), "SMS_MFA") {
				t.Errorf("MFA = %v %v, want %s with SMS and TOTP", p["MfaConfiguration"], p["EnabledMfas"], c.mfa)
			}
			if jsonOf(p["UsernameAttributes"]) != `["email"]` || p["AliasAttributes"] != nil {
				t.Errorf("people must sign in with their email as the username (the runtime passes it to the admin APIs): UsernameAttributes=%v AliasAttributes=%v", p["UsernameAttributes"], p["AliasAttributes"])
			}
			if p["DeletionProtection"] != "ACTIVE" {
				t.Errorf("deletion protection = %v", p["DeletionProtection"])
			}
			// The pools' policy is the one the web app's first sign-in and the
			// platform's sign-in check (internal/passwordpolicy).
			want, pol := passwordpolicy.Pools, p["Policies"].(map[string]any)["PasswordPolicy"].(map[string]any)
			if pol["MinimumLength"].(float64) < 12 || pol["MinimumLength"] != float64(want.MinLength) || pol["RequireSymbols"] != want.RequireSymbols ||
				pol["RequireNumbers"] != want.RequireDigits || pol["RequireLowercase"] != want.RequireLowercase ||
				pol["RequireUppercase"] != want.RequireUppercase || pol["TemporaryPasswordValidityDays"] != float64(want.TempPasswordDays) {
				t.Errorf("password policy %v, want %+v (internal/passwordpolicy)", pol, want)
			}
			var groups []string
			for _, g := range resources(t, c.stack, "AWS::Cognito::UserPoolGroup") {
				if ref(props(g)["UserPoolId"]) == poolID {
					groups = append(groups, props(g)["GroupName"].(string))
				}
			}
			if strings.Join(sorted(groups), ",") != strings.Join(sorted(c.groups), ",") {
				t.Errorf("groups = %v, want %v", groups, c.groups)
			}
			clientID := logicalID(c.pool.Client.Node().DefaultChild())
			cl := props(resources(t, c.stack, "AWS::Cognito::UserPoolClient")[clientID])
			if cl["GenerateSecret"] != false {
				t.Errorf("client has a secret: %v", cl["GenerateSecret"])
			}
			flows := jsonOf(cl["ExplicitAuthFlows"])
			for _, f := range []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"} {
				if !strings.Contains(flows, f) {
					t.Errorf("client lacks %s: %s", f, flows)
				}
			}
			// The user-migration trigger authenticates a moving user in
			// their former tenant pool (usermigration, AdminInitiateAuth
			// with ADMIN_USER_PASSWORD_AUTH): refused by Cognito unless the
			// former pool's client allows it. The provider pool is never one.
			if admin := strings.Contains(flows, "ALLOW_ADMIN_USER_PASSWORD_AUTH"); admin != (c.pool.Kind == identity.Tenants) {
				t.Errorf("ALLOW_ADMIN_USER_PASSWORD_AUTH = %v for a %s pool: %s", admin, c.pool.Kind, flows)
			}
			if jsonOf(cl["AllowedOAuthFlows"]) != `["code"]` {
				t.Errorf("OAuth flows = %v, want code only", cl["AllowedOAuthFlows"])
			}
			if w := jsonOf(cl["WriteAttributes"]); strings.Contains(w, "custom:") {
				t.Errorf("users could rewrite their own claims: write attributes %s", w)
			}
			if r := jsonOf(cl["ReadAttributes"]); !strings.Contains(r, "custom:tenant_id") {
				t.Errorf("read attributes %s lack custom:tenant_id", r)
			}
			domains := 0
			for _, d := range resources(t, c.stack, "AWS::Cognito::UserPoolDomain") {
				if ref(props(d)["UserPoolId"]) == poolID {
					domains++
				}
			}
			if domains != 1 {
				t.Errorf("%d hosted UI domains, want 1", domains)
			}
		})
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestCdkNagAwsSolutionsHasNoUnsuppressedErrors(t *testing.T) {
	ready(t)
	for _, st := range []awscdk.Stack{synth.platform.Stack, synth.tenant.Stack, synth.cell2.Stack, synth.cross.Stack, synth.directory.Stack} {
		t.Run(*st.StackName(), func(t *testing.T) {
			var msgs *[]*cxapi.SynthesisMessage
			check(t, "annotations", func() {
				msgs = assertions.Annotations_FromStack(st).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
			})
			if msgs == nil {
				return
			}
			for _, m := range *msgs {
				t.Errorf("%s: %v", *m.Id, m.Entry.Data)
			}
		})
	}
}

func TestEveryNagSuppressionHasAReason(t *testing.T) {
	ready(t)
	total := 0
	for stack, tmpl := range synth.raw {
		for id, r := range tmpl["Resources"].(map[string]any) {
			md, _ := r.(map[string]any)["Metadata"].(map[string]any)
			nag, _ := md["cdk_nag"].(map[string]any)
			for _, s := range asList(nag["rules_to_suppress"]) {
				s := s.(map[string]any)
				total++
				if reason, _ := s["reason"].(string); len(strings.Fields(reason)) < 4 {
					t.Errorf("%s/%s: suppression of %v has no real reason: %q", stack, id, s["id"], reason)
				}
			}
		}
	}
	if total == 0 {
		t.Error("no suppressions found: the metadata layout changed or nag did not run")
	}
}
