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

// platformUserMigrationRole is the role of cell-2 that the cross-account
// tenant's user-migration trigger assumes.
const platformUserMigrationRole = "arn:aws:iam::123456789012:role/issuetracker-cell-2-um-" + crossTenant

func TestAPlatinumTenantInItsOwnAccount(t *testing.T) {
	ready(t)
	x := stacks.TenantStackNameOf(cell2, crossTenant)
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
			if !strings.Contains(doc, "stack/IssueTracker-cell-2-Tenant-initech/*") || strings.Contains(doc, `"*"`) ||
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

// A tenant in its own account has its own user-migration trigger there,
// which reads the shared pool and the registry through a role of the
// platform's account (awsx/assumerole), and gives the platform's trigger a role
// on its pool for a downgrade. Least privilege on both sides.
func TestTheUsersOfATenantInItsOwnAccountMoveBetweenPools(t *testing.T) {
	ready(t)
	x := stacks.TenantStackNameOf(cell2, crossTenant)
	two := stacks.PlatformStackNameOf(cell2)
	sourceRole := "arn:aws:iam::" + crossAccount + ":role/issuetracker-cell-2-um-source"
	pool := logicalID(synth.cross.Pool.UserPool.Node().DefaultChild())

	t.Run("the tenant stack's trigger serves its pool and assumes the platform role only", func(t *testing.T) {
		if synth.cross.UserMigration == nil {
			t.Fatal("no user-migration trigger in the tenant's account")
		}
		fnID := logicalID(synth.cross.UserMigration.Function.Node().DefaultChild())
		fn := resources(t, x, "AWS::Lambda::Function")[fnID]
		env := jsonOf(props(fn)["Environment"])
		for _, want := range []string{`"` + envvars.PlatformRoleARN + `":"` + platformUserMigrationRole + `"`,
			`"` + envvars.TenantPoolID + `":"` + crossSharedPool + `"`, `"` + envvars.TenantClientIDs + `":"sharedclient"`} {
			if !strings.Contains(env, want) {
				t.Errorf("trigger environment %s lacks %s", env, want)
			}
		}
		if strings.Contains(env, envvars.CognitoIssuerBase) {
			t.Errorf("trigger environment %s: the issuer base makes it answer as cognito-local's", env)
		}
		cfg := jsonOf(props(resources(t, x, "AWS::Cognito::UserPool")[pool])["LambdaConfig"])
		if !strings.Contains(cfg, `"UserMigration":{"Fn::GetAtt":["`+fnID+`","Arn"]}`) {
			t.Errorf("pool LambdaConfig %s: want the stack's own trigger", cfg)
		}
		invoke := 0
		for _, perm := range resources(t, x, "AWS::Lambda::Permission") {
			if pp := props(perm); pp["Principal"] == "cognito-idp.amazonaws.com" && strings.Contains(jsonOf(pp["FunctionName"]), fnID) {
				invoke++
				if !strings.Contains(jsonOf(pp["SourceArn"]), pool) {
					t.Errorf("Cognito may invoke the trigger for %s", jsonOf(pp["SourceArn"]))
				}
			}
		}
		if invoke != 1 {
			t.Errorf("%d invoke permissions for Cognito, want 1", invoke)
		}
		assumes := 0
		for _, st := range statementsIn(t, x, logicalID(synth.cross.UserMigration.Role.Node().DefaultChild())) {
			if strings.Contains(jsonOf(st["Action"]), "sts:AssumeRole") {
				assumes++
				if jsonOf(st["Resource"]) != `"`+platformUserMigrationRole+`"` {
					t.Errorf("the trigger may assume %s", jsonOf(st["Resource"]))
				}
			}
		}
		if assumes != 1 {
			t.Errorf("%d assume statements, want 1", assumes)
		}
	})
	t.Run("the tenant stack lets the platform read its pool, nothing else", func(t *testing.T) {
		role := resources(t, x, "AWS::IAM::Role")[logicalID(synth.cross.PoolAccess.Node().DefaultChild())]
		if props(role)["RoleName"] != "issuetracker-cell-2-um-source" {
			t.Errorf("role name %v", props(role)["RoleName"])
		}
		if trust := jsonOf(props(role)["AssumeRolePolicyDocument"]); !strings.Contains(trust, ":iam::123456789012:root") {
			t.Errorf("trust %s, want the platform account", trust)
		}
		sts := statementsIn(t, x, logicalID(synth.cross.PoolAccess.Node().DefaultChild()))
		if len(sts) != 1 {
			t.Fatalf("%d statements, want 1", len(sts))
		}
		if a := jsonOf(sts[0]["Action"]); a != `["cognito-idp:AdminGetUser","cognito-idp:AdminInitiateAuth"]` {
			t.Errorf("actions %s", a)
		}
		if r := jsonOf(sts[0]["Resource"]); r != `{"Fn::GetAtt":["`+pool+`","Arn"]}` {
			t.Errorf("resource %s, want the tenant's pool", r)
		}
	})
	t.Run("the platform's role is the tenant's only, least privilege", func(t *testing.T) {
		var role map[string]any
		var id string
		for rid, r := range resources(t, two, "AWS::IAM::Role") {
			if props(r)["RoleName"] == "issuetracker-cell-2-um-"+crossTenant {
				role, id = r, rid
			}
		}
		if role == nil {
			t.Fatal("no platform role for the tenant account's trigger")
		}
		trust := jsonOf(props(role)["AssumeRolePolicyDocument"])
		for _, want := range []string{":iam::" + crossAccount + ":root", `"ArnLike":{"aws:PrincipalArn":`, ":iam::" + crossAccount + ":role/IssueTracker-cell-2-Tenant-*"} {
			if !strings.Contains(trust, want) {
				t.Errorf("trust %s lacks %s", trust, want)
			}
		}
		sts := statementsIn(t, two, id)
		if len(sts) != 2 {
			t.Fatalf("%d statements, want 2: %v", len(sts), sts)
		}
		shared := logicalID(synth.cell2.TenantPool.UserPool.Node().DefaultChild())
		for _, st := range sts {
			a, r := jsonOf(st["Action"]), jsonOf(st["Resource"])
			switch a {
			case `["cognito-idp:AdminGetUser","cognito-idp:AdminInitiateAuth"]`:
				if r != `{"Fn::GetAtt":["`+shared+`","Arn"]}` {
					t.Errorf("sign-in on %s, want the shared pool", r)
				}
			case `"dynamodb:GetItem"`:
				c := jsonOf(st["Condition"])
				if !strings.Contains(r, "table/issuetracker-cell-2-control") || !strings.Contains(c, `["TENANT#`+crossTenant+`","ISSUER#*"]`) {
					t.Errorf("GetItem on %s under %s", r, c)
				}
			default:
				t.Errorf("unexpected actions %s", a)
			}
		}
	})
	t.Run("the platform's trigger assumes the tenant's pool role and is told so", func(t *testing.T) {
		fn := synth.cell2.Functions[stacks.UserMigrationFunction]
		env := jsonOf(props(resources(t, two, "AWS::Lambda::Function")[logicalID(fn.Function.Node().DefaultChild())])["Environment"])
		if !strings.Contains(env, `"`+envvars.TenantPoolRoles+`":"`+crossTenant+`=`+sourceRole+`"`) {
			t.Errorf("trigger environment %s", env)
		}
		ok := false
		for _, st := range statementsIn(t, two, logicalID(fn.Role.Node().DefaultChild())) {
			if strings.Contains(jsonOf(st["Action"]), "sts:AssumeRole") {
				if jsonOf(st["Resource"]) != `"`+sourceRole+`"` {
					t.Errorf("the trigger may assume %s", jsonOf(st["Resource"]))
				}
				ok = true
			}
		}
		if !ok {
			t.Error("the platform's trigger may not assume the tenant's pool role")
		}
		one := synth.platform.Functions[stacks.UserMigrationFunction]
		if strings.Contains(jsonOf(props(resources(t, stacks.PlatformStackName, "AWS::Lambda::Function")[logicalID(one.Function.Node().DefaultChild())])["Environment"]), envvars.TenantPoolRoles) {
			t.Error("cell-1 has no tenant account, its trigger is told of one")
		}
	})
}
