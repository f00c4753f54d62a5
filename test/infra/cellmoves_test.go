package infra_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/envvars"
)

// statementLines are a role's statements whose text contains any of subs,
// as "resource condition sid: actions", sorted.
func statementLines(t *testing.T, stack, roleID string, subs ...string) []string {
	t.Helper()
	var out []string
	for _, s := range statementsIn(t, stack, roleID) {
		text := jsonOf(symbolic(s))
		if !slicesContainsAny(text, subs) {
			continue
		}
		var actions []string
		if a, ok := s["Action"].(string); ok {
			actions = []string{a}
		}
		for _, a := range asList(s["Action"]) {
			actions = append(actions, a.(string))
		}
		sort.Strings(actions)
		cond := ""
		if s["Condition"] != nil {
			cond = " " + jsonOf(symbolic(s["Condition"]))
		}
		out = append(out, fmt.Sprint(symbolic(s["Resource"]))+cond+": "+strings.Join(actions, " "))
	}
	sort.Strings(out)
	return out
}

func slicesContainsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Cell-2 is told the platform's cells (cell-1 and itself): its onboarding
// function may move tenants to cell-1, reaching exactly what a move needs
// there; cell-1, told of no other cell, reaches none.
func TestACellMayMoveTenantsToTheOtherCellsOfItsAccountWithLeastPrivilege(t *testing.T) {
	ready(t)
	two, one := stacks.PlatformStackNameOf(cell2), stacks.PlatformStackName
	role := func(p *stacks.Platform, fn string) string {
		return logicalID(p.Functions[fn].Role.Node().DefaultChild())
	}

	t.Run("the onboarding function is told the other cells", func(t *testing.T) {
		if got := platformEnv(t, two, synth.cell2, stacks.OnboardingFunction)[envvars.MoveCells]; got != "cell-1=issuetracker:"+cell1Files {
			t.Errorf("cell-2 %s = %v", envvars.MoveCells, got)
		}
		for _, fn := range stacks.FunctionNames() {
			if fn == stacks.OnboardingFunction {
				continue
			}
			if v, ok := platformEnv(t, two, synth.cell2, fn)[envvars.MoveCells]; ok {
				t.Errorf("%s gets %s=%v: only onboarding moves tenants", fn, envvars.MoveCells, v)
			}
		}
		if v, ok := platformEnv(t, one, synth.platform, stacks.OnboardingFunction)[envvars.MoveCells]; ok {
			t.Errorf("cell-1 knows no other cell, yet %s=%v", envvars.MoveCells, v)
		}
	})

	t.Run("the onboarding function reaches the other cell's record, plans and description only", func(t *testing.T) {
		acct := "arn:aws:%s:us-east-1:123456789012:%s"
		want := []string{
			"[" + fmt.Sprintf(acct, "ssm", "parameter/issuetracker/cell") + " " + fmt.Sprintf(acct, "ssm", "parameter/issuetracker/usage-plans/*") + "]: ssm:GetParameters",
			"arn:aws:apigateway:us-east-1::/usageplans/*/keys/*: apigateway:DELETE apigateway:GET",
			"arn:aws:apigateway:us-east-1::/usageplans/*/keys: apigateway:POST",
			fmt.Sprintf(acct, "dynamodb", "table/issuetracker-control") + " " + leading("BILLINGCUSTOMER#*") + ": dynamodb:PutItem",
			fmt.Sprintf(acct, "dynamodb", "table/issuetracker-control") + " " + leading("TENANT#*") + ": dynamodb:GetItem dynamodb:PutItem",
		}
		got := statementLines(t, two, role(synth.cell2, stacks.OnboardingFunction),
			"table/issuetracker-control", "parameter/issuetracker/", "/usageplans/*")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cell-2 onboarding's grants on cell-1 (-want +got):\n%s", diff)
		}
		if got := statementLines(t, one, role(synth.platform, stacks.OnboardingFunction), "cell-2", "/usageplans/*"); len(got) > 0 {
			t.Errorf("cell-1 onboarding reaches another cell: %v", got)
		}
	})

	t.Run("a tenant session reaches its own items in the other cell's pooled table", func(t *testing.T) {
		app := "arn:aws:dynamodb:us-east-1:123456789012:table/issuetracker-app"
		want := []string{"[" + app + " " + app + "/index/*] " + leading("T#${aws:PrincipalTag/TenantId}#*") + ": " +
			"dynamodb:BatchGetItem dynamodb:BatchWriteItem dynamodb:ConditionCheckItem dynamodb:DeleteItem dynamodb:GetItem dynamodb:PutItem dynamodb:Query dynamodb:UpdateItem"}
		got := statementLines(t, two, logicalID(synth.cell2.TenantAccess.Role.Node().DefaultChild()), "table/issuetracker-app")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cell-2 tenant access on cell-1's pooled table (-want +got):\n%s", diff)
		}
	})

	t.Run("the onboarding function requests and follows a Platinum tenant's stack in the other cell", func(t *testing.T) {
		want := []string{
			"arn:aws:cloudformation:us-east-1:123456789012:stack/IssueTracker-Tenant-*/*: cloudformation:DescribeStacks",
			`arn:aws:events:us-east-1:123456789012:event-bus/issuetracker {"StringEquals":{"events:detail-type":["Tenant Stack Deploy Requested","Tenant Stack Destroy Requested"],"events:source":"issuetracker.onboarding"}}: events:PutEvents`,
		}
		got := statementLines(t, two, role(synth.cell2, stacks.OnboardingFunction), "stack/IssueTracker-Tenant-", "event-bus/issuetracker\"")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cell-2 onboarding on cell-1's tenant stacks (-want +got):\n%s", diff)
		}
		if got := statementLines(t, one, role(synth.platform, stacks.OnboardingFunction), "event-bus/", "cell-2-Tenant"); len(got) > 0 {
			t.Errorf("cell-1 onboarding reaches another cell's stacks: %v", got)
		}
	})

	t.Run("a tenant session reaches its own table in the other cell, not another tenant's", func(t *testing.T) {
		silo := "arn:aws:dynamodb:us-east-1:123456789012:table/issuetracker-tenant-${aws:PrincipalTag/TenantId}"
		want := []string{"[" + silo + " " + silo + "/index/*]: " +
			"dynamodb:BatchGetItem dynamodb:BatchWriteItem dynamodb:ConditionCheckItem dynamodb:DeleteItem dynamodb:GetItem dynamodb:PutItem dynamodb:Query dynamodb:UpdateItem"}
		got := statementLines(t, two, logicalID(synth.cell2.TenantAccess.Role.Node().DefaultChild()), "table/issuetracker-tenant-")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cell-2 tenant access on cell-1's tenant tables (-want +got):\n%s", diff)
		}
	})

	t.Run("a tenant session reaches its own prefix in the other cell's bucket", func(t *testing.T) {
		b := "arn:aws:s3:::" + cell1Files
		want := []string{
			b + ` {"StringLike":{"s3:prefix":["${aws:PrincipalTag/TenantId}/*"]}}: s3:ListBucket`,
			b + "/${aws:PrincipalTag/TenantId}/*: s3:DeleteObject s3:GetObject s3:PutObject",
		}
		got := statementLines(t, two, logicalID(synth.cell2.TenantAccess.Role.Node().DefaultChild()), cell1Files)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cell-2 tenant access on cell-1's bucket (-want +got):\n%s", diff)
		}
	})

	t.Run("a tenant session reaches its own stack's bucket in the other cell, not another tenant's", func(t *testing.T) {
		b := "arn:aws:s3:::issuetracker-files-${aws:PrincipalTag/TenantId}"
		want := []string{"[" + b + " " + b + "/*]: s3:DeleteObject s3:GetObject s3:ListBucket s3:PutObject"}
		got := statementLines(t, two, logicalID(synth.cell2.TenantAccess.Role.Node().DefaultChild()), "s3:::issuetracker-files-")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cell-2 tenant access on cell-1's tenant stacks' buckets (-want +got):\n%s", diff)
		}
	})

	t.Run("the user-migration trigger signs users in at the other cells' shared pools only", func(t *testing.T) {
		want := []string{`arn:aws:cognito-idp:us-east-1:123456789012:userpool/* {"StringEquals":{"aws:ResourceTag/issuetracker:cell":["cell-1"],"aws:ResourceTag/issuetracker:shared-tenant-pool":"true"}}: cognito-idp:AdminGetUser cognito-idp:AdminInitiateAuth`}
		got := statementLines(t, two, role(synth.cell2, stacks.UserMigrationFunction), "shared-tenant-pool")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cell-2 user migration (-want +got):\n%s", diff)
		}
		// A Platinum tenant's users, from its stack's pool in the other cell;
		// this cell's own tenant pools stay its grantUserAdmin's (cell-2 only).
		want = []string{
			`arn:aws:cognito-idp:us-east-1:123456789012:userpool/* {"StringEquals":{"aws:ResourceTag/issuetracker:cell":"cell-2","aws:ResourceTag/issuetracker:tenant-pool":"true"}}: cognito-idp:AdminGetUser cognito-idp:AdminInitiateAuth`,
			`arn:aws:cognito-idp:us-east-1:123456789012:userpool/* {"StringEquals":{"aws:ResourceTag/issuetracker:cell":["cell-1"],"aws:ResourceTag/issuetracker:tenant-pool":"true"}}: cognito-idp:AdminGetUser cognito-idp:AdminInitiateAuth`,
		}
		got = statementLines(t, two, role(synth.cell2, stacks.UserMigrationFunction), "issuetracker:tenant-pool")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cell-2 user migration on tenant pools (-want +got):\n%s", diff)
		}
		pools := resources(t, two, "AWS::Cognito::UserPool")
		tenants := props(pools[logicalID(synth.cell2.TenantPool.UserPool.Node().DefaultChild())])["UserPoolTags"]
		provider := props(pools[logicalID(synth.cell2.ProviderPool.UserPool.Node().DefaultChild())])["UserPoolTags"]
		if !strings.Contains(jsonOf(tenants), `"issuetracker:shared-tenant-pool":"true"`) || strings.Contains(jsonOf(provider), "shared-tenant-pool") {
			t.Errorf("shared pool tags %s, provider pool tags %s", jsonOf(tenants), jsonOf(provider))
		}
	})

	t.Run("a move's retirement invites the unmoved users into the other cells' pools only", func(t *testing.T) {
		want := []string{
			`arn:aws:cognito-idp:us-east-1:123456789012:userpool/* {"StringEquals":{"aws:ResourceTag/issuetracker:cell":["cell-1"],"aws:ResourceTag/issuetracker:shared-tenant-pool":"true"}}: cognito-idp:AdminCreateUser cognito-idp:AdminGetUser cognito-idp:AdminSetUserPassword`,
			`arn:aws:cognito-idp:us-east-1:123456789012:userpool/* {"StringEquals":{"aws:ResourceTag/issuetracker:cell":["cell-1"],"aws:ResourceTag/issuetracker:tenant-pool":"true"}}: cognito-idp:AdminCreateUser cognito-idp:AdminGetUser cognito-idp:AdminSetUserPassword`,
		}
		got := statementLines(t, two, role(synth.cell2, stacks.OnboardingFunction), `"cell-1"`)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("cell-2 onboarding on cell-1's pools (-want +got):\n%s", diff)
		}
		if got := statementLines(t, one, role(synth.platform, stacks.OnboardingFunction), "shared-tenant-pool"); len(got) > 0 {
			t.Errorf("cell-1 onboarding reaches another cell's pools: %v", got)
		}
	})

	t.Run("each cell publishes its API and shared pool for the others", func(t *testing.T) {
		p := props(resources(t, two, "AWS::SSM::Parameter")[logicalID(synth.cell2.CellDescription.Node().DefaultChild())])
		if p["Name"] != cells.DescriptionParameter("issuetracker-cell-2") {
			t.Errorf("description parameter %v", p["Name"])
		}
		v := jsonOf(symbolic(p["Value"]))
		for _, want := range []string{`\"id\":\"cell-2\"`, "ApiRestApi", "TenantPoolUserPool", "TenantPoolUserPoolWebClient", "execute-api"} {
			if !strings.Contains(v, want) {
				t.Errorf("description lacks %s: %s", want, v)
			}
		}
	})
}

// The web app follows registration_in_other_cell to the other cell's API:
// its CSP names that API's origin, from the same cell list.
func TestTheWebAppMayCallTheOtherCellsAPIs(t *testing.T) {
	ready(t)
	csp := func(p *stacks.Platform, stack string) string {
		h := props(resources(t, stack, "AWS::CloudFront::ResponseHeadersPolicy")[logicalID(p.Web.Headers.Node().DefaultChild())])
		return jsonOf(h)
	}
	two := csp(synth.cell2, stacks.PlatformStackNameOf(cell2))
	if !strings.Contains(two, "https://abcdef1234.execute-api.us-east-1.amazonaws.com") || strings.Contains(two, "abcdef1234.execute-api.us-east-1.amazonaws.com/prod") {
		t.Errorf("cell-2's CSP does not name cell-1's API origin: %s", two)
	}
	if strings.Contains(two, "api-2.example.com") {
		t.Errorf("cell-2's CSP names its own configured URL rather than its API: %s", two)
	}
	if one := csp(synth.platform, stacks.PlatformStackName); strings.Contains(one, "abcdef1234") || strings.Contains(one, "api-2.example.com") {
		t.Errorf("cell-1, told no cells, names other APIs: %s", one)
	}
}

func TestTheCellListIsReadStrictly(t *testing.T) {
	got, err := stacks.ParseCells("cell-1=https://a.example.com/prod, cell-2=https://b.example.com")
	if err != nil || len(got) != 2 || got["cell-2"] != "https://b.example.com" {
		t.Errorf("ParseCells = %v, %v", got, err)
	}
	for _, bad := range []string{"cell-1", "cell-1=http://a.example.com", "Cell=https://a", "cell-1=https://a,cell-1=https://b"} {
		if _, err := stacks.ParseCells(bad); err == nil {
			t.Errorf("ParseCells(%q) accepted", bad)
		}
	}
}
