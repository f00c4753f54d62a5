package infra_test

import (
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/schema"
)

func TestTheDirectoryIsOneGlobalTableOfTheSchema(t *testing.T) {
	ready(t)
	tables := resources(t, stacks.DirectoryStackName, "AWS::DynamoDB::GlobalTable")
	if len(tables) != 1 {
		t.Fatalf("%d global tables, want 1", len(tables))
	}
	for _, tbl := range tables {
		p := props(tbl)
		if p["TableName"] != "issuetracker-directory" {
			t.Errorf("name %v: the directory is named from the base prefix, one for every cell", p["TableName"])
		}
		keys := jsonOf(p["KeySchema"])
		for _, want := range []string{`{"AttributeName":"` + schema.Directory.PartitionKey.Name + `","KeyType":"HASH"}`, `{"AttributeName":"` + schema.Directory.SortKey.Name + `","KeyType":"RANGE"}`} {
			if !strings.Contains(keys, want) {
				t.Errorf("key schema %s lacks %s", keys, want)
			}
		}
		replicas := jsonOf(p["Replicas"])
		for _, r := range []string{`"Region":"us-east-1"`, `"Region":"` + replicaRegion + `"`} {
			if !strings.Contains(replicas, r) {
				t.Errorf("replicas %s lack %s", replicas, r)
			}
		}
		if !strings.Contains(replicas, `"PointInTimeRecoveryEnabled":true`) {
			t.Errorf("replicas without point-in-time recovery: %s", replicas)
		}
		if tbl["DeletionPolicy"] != "Retain" {
			t.Errorf("deletion policy %v", tbl["DeletionPolicy"])
		}
	}
}

func TestAPlatinumTenantInItsOwnAccount(t *testing.T) {
	ready(t)
	x := stacks.TenantStackName(crossTenant)
	two := stacks.PlatformStackNameOf(cell2)
	roleARN := "arn:aws:iam::" + crossAccount + ":role/issuetracker-cell-2-provisioning"

	t.Run("its stack is synthesized for its account, in its cell", func(t *testing.T) {
		if got := *synth.cross.Stack.Account(); got != crossAccount || synth.cross.Account != crossAccount {
			t.Errorf("tenant stack account %s, want %s", got, crossAccount)
		}
		if got := outputValue(t, x, "CellId"); got != cell2 {
			t.Errorf("CellId %v", got)
		}
		if _, ok := physicalNames(t, x)["AWS::DynamoDB::Table TableName=issuetracker-cell-2-tenant-"+crossTenant]; !ok {
			t.Errorf("no table issuetracker-cell-2-tenant-%s", crossTenant)
		}
		// The platform's account appears only in IAM (the roles' trust, the
		// consumers' role there) and in the consumers' environment (that
		// role, the webhook queue). No import of the platform's topic or
		// parameters (not in this account).
		for id, r := range synth.raw[x]["Resources"].(map[string]any) {
			res := r.(map[string]any)
			if !strings.Contains(jsonOf(res), "123456789012") {
				continue
			}
			switch res["Type"] {
			case "AWS::IAM::Role", "AWS::IAM::Policy":
			case "AWS::Lambda::Function":
				if strings.Contains(jsonOf(props(res)["Code"]), "123456789012") {
					t.Errorf("%s: its code names the platform's account", id)
				}
			default:
				t.Errorf("%s (%v) names the platform's account", id, res["Type"])
			}
		}
		if strings.Contains(jsonOf(synth.raw[x]["Parameters"]), "123456789012") {
			t.Error("a parameter names the platform's account")
		}
	})
	t.Run("its role trusts the platform account and may only describe its stack", func(t *testing.T) {
		roles := resources(t, x, "AWS::IAM::Role")
		var found map[string]any
		for _, r := range roles {
			if props(r)["RoleName"] == "issuetracker-cell-2-provisioning" {
				found = r
			}
		}
		if found == nil {
			t.Fatal("no provisioning role")
		}
		trust := jsonOf(props(found)["AssumeRolePolicyDocument"])
		if !strings.Contains(trust, `arn:`) || !strings.Contains(trust, `:iam::123456789012:root`) {
			t.Errorf("trust %s, want the platform account", trust)
		}
		for id, pol := range resources(t, x, "AWS::IAM::Policy") {
			if !strings.Contains(jsonOf(props(pol)["Roles"]), logicalID(synth.cross.ProvisioningAccess.Role.Node().DefaultChild())) {
				continue
			}
			doc := jsonOf(props(pol)["PolicyDocument"])
			if !strings.Contains(doc, "stack/IssueTracker-Tenant-initech/*") || strings.Contains(doc, `"*"`) ||
				!strings.Contains(doc, "cloudformation:DescribeStacks") {
				t.Errorf("%s: %s", id, doc)
			}
		}
		if v := outputValue(t, x, "ProvisioningRoleArn"); v == nil {
			t.Error("no ProvisioningRoleArn output")
		}
	})
	t.Run("the cell's pipeline deploys there through the account's bootstrap roles", func(t *testing.T) {
		for _, p := range resources(t, two, "AWS::CodeBuild::Project") {
			spec := jsonOf(props(p)["Source"])
			if !strings.Contains(spec, "-c tenantAccounts="+crossTenant+"="+crossAccount) {
				t.Errorf("buildspec lacks the tenant's account: %s", spec)
			}
			bootstrap := "role/cdk-hnb659fds-*-" + crossAccount + "-"
			ok := false
			for _, s := range statementsIn(t, two, ref(props(p)["ServiceRole"])) {
				if strings.Contains(jsonOf(s["Action"]), "sts:AssumeRole") && strings.Contains(jsonOf(s["Resource"]), bootstrap) &&
					strings.Contains(jsonOf(s["Resource"]), ":iam::"+crossAccount+":") {
					ok = true
				}
			}
			if !ok {
				t.Errorf("the build may not assume %s* in %s", bootstrap, crossAccount)
			}
		}
	})
	t.Run("the cell's onboarding function assumes exactly that role and is told so", func(t *testing.T) {
		fn := synth.cell2.Functions[stacks.OnboardingFunction]
		fnRes := resources(t, two, "AWS::Lambda::Function")[logicalID(fn.Function.Node().DefaultChild())]
		env := jsonOf(props(fnRes)["Environment"])
		if !strings.Contains(env, `"`+envvars.TenantAccountRoles+`":"`+crossTenant+`=`+roleARN+`"`) {
			t.Errorf("onboarding environment %s", env)
		}
		// Besides the tenant access role (its own account), exactly that role.
		assumes := 0
		for _, s := range statementsIn(t, two, logicalID(fn.Role.Node().DefaultChild())) {
			res := jsonOf(s["Resource"])
			if !strings.Contains(jsonOf(s["Action"]), "sts:AssumeRole") || ref(s["Resource"]) == logicalID(synth.cell2.TenantAccess.Role.Node().DefaultChild()) {
				continue
			}
			assumes++
			if res != `"`+roleARN+`"` {
				t.Errorf("onboarding may assume %s", res)
			}
		}
		if assumes != 1 {
			t.Errorf("%d assume statements into other accounts, want 1", assumes)
		}
		// The first cell has no tenant in another account: nothing of it.
		one := resources(t, stacks.PlatformStackName, "AWS::Lambda::Function")[logicalID(synth.platform.Functions[stacks.OnboardingFunction].Function.Node().DefaultChild())]
		if strings.Contains(jsonOf(props(one)["Environment"]), envvars.TenantAccountRoles) {
			t.Error("cell-1's onboarding function is told of tenant accounts")
		}
	})
}
