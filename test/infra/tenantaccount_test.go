package infra_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/constructs/tenantaccess"
	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// stmt is a policy statement as CDK renders it: actions sorted, a single
// action or resource as a string.
func stmt(sid string, actions []string, resources []any, cond map[string]any) map[string]any {
	a := slices.Sorted(slices.Values(actions))
	s := map[string]any{"Effect": "Allow"}
	if sid != "" {
		s["Sid"] = sid
	}
	if len(a) == 1 {
		s["Action"] = a[0]
	} else {
		s["Action"] = a
	}
	if len(resources) == 1 {
		s["Resource"] = resources[0]
	} else {
		s["Resource"] = resources
	}
	if cond != nil {
		s["Condition"] = cond
	}
	return s
}

func getAtt(id, attr string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, attr}} }

func joined(parts ...any) map[string]any { return map[string]any{"Fn::Join": []any{"", parts}} }

// roleNamed is the role of stack whose RoleName is name, by logical id.
func roleNamed(t *testing.T, stack, name string) (string, map[string]any) {
	t.Helper()
	for id, r := range resources(t, stack, "AWS::IAM::Role") {
		if props(r)["RoleName"] == name {
			return id, r
		}
	}
	t.Fatalf("%s has no role %s", stack, name)
	return "", nil
}

// The data plane of a Platinum tenant in an AWS account of its own
// (docs/scale.md): what synth proves, grant by grant.
func TestATenantInItsOwnAccountIsReachedWithExactGrants(t *testing.T) {
	ready(t)
	x := stacks.TenantStackNameOf(cell2, crossTenant)
	two := stacks.PlatformStackNameOf(cell2)
	const platform = "123456789012"
	accessARN := "arn:aws:iam::" + platform + ":role/issuetracker-cell-2-tenant-access"
	dataARN := "arn:aws:iam::" + crossAccount + ":role/issuetracker-cell-2-tenant-data"
	table := logicalID(synth.cross.Table.Table.Node().DefaultChild())
	bucket := logicalID(synth.cross.Files.Bucket.Node().DefaultChild())

	t.Run("the tenant's account has a data role that only the tenant's sessions of the tenant access role may assume", func(t *testing.T) {
		id, role := roleNamed(t, x, "issuetracker-cell-2-tenant-data")
		trust := props(role)["AssumeRolePolicyDocument"].(map[string]any)["Statement"]
		want := []any{stmt("", []string{"sts:AssumeRole", "sts:TagSession"}, nil, map[string]any{
			"ArnEquals":                 map[string]any{"aws:PrincipalArn": accessARN},
			"StringEquals":              map[string]any{"aws:PrincipalTag/TenantId": crossTenant, "aws:RequestTag/TenantId": crossTenant},
			"ForAllValues:StringEquals": map[string]any{"aws:TagKeys": []any{"TenantId"}},
		})}
		w := want[0].(map[string]any)
		delete(w, "Resource")
		w["Principal"] = map[string]any{"AWS": "arn:aws:iam::" + platform + ":root"}
		if jsonOf(trust) != jsonOf(want) {
			t.Errorf("trust\n got %s\nwant %s", jsonOf(trust), jsonOf(want))
		}
		if d := props(role)["MaxSessionDuration"]; d != float64(3600) {
			t.Errorf("MaxSessionDuration %v, want an hour (role chaining)", d)
		}
		got := statementsIn(t, x, id)
		wantStmts := []map[string]any{
			stmt("OwnTableOnly", tenantaccess.DataActions, []any{getAtt(table, "Arn"), joined(getAtt(table, "Arn"), "/index/*")}, nil),
			stmt("OwnFilesBucketOnly", append([]string{"s3:ListBucket"}, tenantaccess.ObjectActions...),
				[]any{getAtt(bucket, "Arn"), joined(getAtt(bucket, "Arn"), "/*")}, nil),
		}
		if jsonOf(got) != jsonOf(wantStmts) {
			t.Errorf("data role grants\n got %s\nwant %s", jsonOf(got), jsonOf(wantStmts))
		}
		if v := outputValue(t, x, "DataRoleArn"); v == nil {
			t.Error("no DataRoleArn output")
		}
	})

	t.Run("the platform's tenant access role takes exactly that second hop, and the functions that act as a tenant are told", func(t *testing.T) {
		role := resources(t, two, "AWS::IAM::Role")[logicalID(synth.cell2.TenantAccess.Role.Node().DefaultChild())]
		if props(role)["RoleName"] != "issuetracker-cell-2-tenant-access" {
			t.Errorf("tenant access role name %v: the data role trusts it by ARN", props(role)["RoleName"])
		}
		hops := 0
		for _, s := range statementsIn(t, two, logicalID(synth.cell2.TenantAccess.Role.Node().DefaultChild())) {
			if !strings.Contains(jsonOf(s["Action"]), "sts:") {
				continue
			}
			hops++
			if want := stmt("SecondHopToTenantAccounts", []string{"sts:AssumeRole", "sts:TagSession"}, []any{dataARN}, nil); jsonOf(s) != jsonOf(want) {
				t.Errorf("second hop %s, want %s", jsonOf(s), jsonOf(want))
			}
		}
		if hops != 1 {
			t.Errorf("%d sts statements on the tenant access role, want 1", hops)
		}
		fns := resources(t, two, "AWS::Lambda::Function")
		for _, name := range stacks.FunctionNames() {
			env := jsonOf(props(fns[logicalID(synth.cell2.Functions[name].Function.Node().DefaultChild())])["Environment"])
			told := strings.Contains(env, `"`+envvars.TenantDataRoles+`":"`+crossTenant+`=`+dataARN+`"`)
			if acts := envvars.ActsAsTenant(routes.Function(name)); told != acts {
				t.Errorf("%s: told of the data roles %v, acts as a tenant %v", name, told, acts)
			}
		}
		one := resources(t, stacks.PlatformStackName, "AWS::IAM::Role")[logicalID(synth.platform.TenantAccess.Role.Node().DefaultChild())]
		if _, named := props(one)["RoleName"]; named {
			t.Error("cell-1 (no tenant in another account) named its tenant access role: a deployed role would be replaced")
		}
		if strings.Contains(jsonOf(synth.raw[stacks.PlatformStackName]), envvars.TenantDataRoles) {
			t.Error("cell-1 is told of data roles")
		}
	})

	t.Run("the functions that read tenants' tables with their own role take the same two hops, for that tenant only", func(t *testing.T) {
		fns := resources(t, two, "AWS::Lambda::Function")
		roles := map[string]string{
			stacks.WebhookDeliveryFunction: logicalID(synth.cell2.Webhooks.Delivery.Role.Node().DefaultChild()),
			stacks.StreamActivityFunction:  logicalID(synth.cell2.StreamActivity.Function.Role.Node().DefaultChild()),
		}
		ids := map[string]string{
			stacks.WebhookDeliveryFunction: logicalID(synth.cell2.Webhooks.Delivery.Function.Node().DefaultChild()),
			stacks.StreamActivityFunction:  logicalID(synth.cell2.StreamActivity.Function.Function.Node().DefaultChild()),
		}
		if len(envvars.ReadsTenantTables) != len(roles) {
			t.Fatalf("envvars.ReadsTenantTables %v: the test checks %d functions", envvars.ReadsTenantTables, len(roles))
		}
		var trusted []any
		for _, name := range envvars.ReadsTenantTables {
			env, _ := props(fns[ids[name]])["Environment"].(map[string]any)["Variables"].(map[string]any)
			for k, want := range map[string]string{envvars.TenantAccountsHopRoleARN: accessARN, envvars.TenantDataRoles: crossTenant + "=" + dataARN,
				envvars.TenantSessionTag: "TenantId"} {
				if env[k] != want {
					t.Errorf("%s: %s = %v, want %s", name, k, env[k], want)
				}
			}
			if _, ok := env[envvars.TenantAccessRoleARN]; ok {
				t.Errorf("%s is told the tenant access role as a function acting as every tenant", name)
			}
			var hops []map[string]any
			for _, st := range statementsIn(t, two, roles[name]) {
				if strings.Contains(jsonOf(st["Action"]), "sts:") {
					hops = append(hops, st)
				}
			}
			want := []map[string]any{stmt("FirstHopToTenantAccounts", []string{"sts:AssumeRole", "sts:TagSession"}, []any{accessARN}, nil)}
			if jsonOf(hops) != jsonOf(want) {
				t.Errorf("%s: sts grants %s, want %s", name, jsonOf(hops), jsonOf(want))
			}
			if name == stacks.WebhookDeliveryFunction {
				// In the nested stack: named, and trusted by its name.
				r := resources(t, two, "AWS::IAM::Role")[roles[name]]
				if props(r)["RoleName"] != "issuetracker-cell-2-webhook-delivery" {
					t.Errorf("webhook delivery role name %v", props(r)["RoleName"])
				}
				trusted = append(trusted, "arn:aws:iam::"+platform+":role/issuetracker-cell-2-webhook-delivery")
				continue
			}
			trusted = append(trusted, getAtt(roles[name], "Arn"))
		}
		role := resources(t, two, "AWS::IAM::Role")[logicalID(synth.cell2.TenantAccess.Role.Node().DefaultChild())]
		var readers any
		for _, st := range asList(props(role)["AssumeRolePolicyDocument"].(map[string]any)["Statement"]) {
			if st.(map[string]any)["Sid"] == "TenantAccountTableReaders" {
				readers = st
			}
		}
		want := stmt("TenantAccountTableReaders", []string{"sts:AssumeRole", "sts:TagSession"}, nil, map[string]any{
			"ArnEquals":                 map[string]any{"aws:PrincipalArn": trusted},
			"StringLike":                map[string]any{"aws:RequestTag/TenantId": "?*"},
			"ForAllValues:StringEquals": map[string]any{"aws:TagKeys": []any{"TenantId"}},
		})
		delete(want, "Resource")
		want["Principal"] = map[string]any{"AWS": "arn:aws:iam::" + platform + ":root"}
		if jsonOf(readers) != jsonOf(want) {
			t.Errorf("the tenant access role's trust of them\n got %s\nwant %s", jsonOf(readers), jsonOf(want))
		}
		// Cell-1 has no tenant in another account: nothing of this.
		for _, v := range []string{envvars.TenantAccountsHopRoleARN, "TenantAccountTableReaders", "FirstHopToTenantAccounts"} {
			if strings.Contains(jsonOf(synth.raw[stacks.PlatformStackName]), v) {
				t.Errorf("cell-1 has %s", v)
			}
		}
	})

	t.Run("each consumer of the tenant's stack reaches the platform through its own role there, for that tenant only", func(t *testing.T) {
		control := "arn:aws:dynamodb:us-east-1:" + platform + ":table/issuetracker-cell-2-control"
		queue := "arn:aws:sqs:us-east-1:" + platform + ":issuetracker-cell-2-webhooks"
		leading := func(sid, action, key string) map[string]any {
			return stmt(sid, []string{action}, []any{map[string]any{"Fn::GetAtt": []any{logicalID(synth.cell2.Control.Table.Node().DefaultChild()), "Arn"}}}, map[string]any{
				"ForAllValues:StringEquals": map[string]any{"dynamodb:LeadingKeys": []any{key}},
				"Null":                      map[string]any{"dynamodb:LeadingKeys": "false"},
			})
		}
		want := map[string][]map[string]any{
			stacks.StreamAnalyticsFunction: {leading("ReadTheTenantsHome", "dynamodb:GetItem", "TENANT#"+crossTenant)},
			stacks.StreamActivityFunction: {leading("ReadTheTenantsHome", "dynamodb:GetItem", "TENANT#"+crossTenant),
				leading("MeterTheTenantsPurgedBytes", "dynamodb:UpdateItem", "USAGE#"+crossTenant),
				stmt("QueueWebhookAttempts", []string{"sqs:SendMessage"}, []any{queue}, nil)},
		}
		consumers := map[string]string{
			stacks.StreamAnalyticsFunction: logicalID(synth.cross.StreamAnalytics.Function.Role.Node().DefaultChild()),
			stacks.StreamActivityFunction:  logicalID(synth.cross.StreamActivity.Function.Role.Node().DefaultChild()),
		}
		fns := map[string]string{
			stacks.StreamAnalyticsFunction: logicalID(synth.cross.StreamAnalytics.Function.Function.Node().DefaultChild()),
			stacks.StreamActivityFunction:  logicalID(synth.cross.StreamActivity.Function.Function.Node().DefaultChild()),
		}
		for consumer, stmts := range want {
			name := stacks.PlatformConsumerRoleName("issuetracker-cell-2", crossTenant, consumer)
			id, role := roleNamed(t, two, name)
			trust := jsonOf(props(role)["AssumeRolePolicyDocument"])
			ownRole := "arn:aws:iam::" + crossAccount + ":role/issuetracker-cell-2-" + consumer
			if !strings.Contains(trust, `"ArnEquals":{"aws:PrincipalArn":"`+ownRole+`"}`) || !strings.Contains(trust, ":iam::"+crossAccount+":root") {
				t.Errorf("%s trust %s, want %s of account %s only", name, trust, ownRole, crossAccount)
			}
			if got := statementsIn(t, two, id); jsonOf(got) != jsonOf(stmts) {
				t.Errorf("%s grants\n got %s\nwant %s", name, jsonOf(got), jsonOf(stmts))
			}
			// In the tenant's stack: its execution role is named, may assume
			// exactly that role, and names no control table or queue of
			// the tenant's account (there is none).
			tenantRole := resources(t, x, "AWS::IAM::Role")[consumers[consumer]]
			if props(tenantRole)["RoleName"] != "issuetracker-cell-2-"+consumer {
				t.Errorf("%s execution role name %v", consumer, props(tenantRole)["RoleName"])
			}
			platformRole := "arn:aws:iam::" + platform + ":role/" + name
			assumes := 0
			for _, s := range statementsIn(t, x, consumers[consumer]) {
				j := jsonOf(s)
				if strings.Contains(j, "sts:") {
					assumes++
					if w := stmt("ReachThePlatform", []string{"sts:AssumeRole"}, []any{platformRole}, nil); j != jsonOf(w) {
						t.Errorf("%s: %s, want %s", consumer, j, jsonOf(w))
					}
				}
				if strings.Contains(j, "-control") || strings.Contains(j, "sqs:SendMessage") && strings.Contains(j, "webhooks") {
					t.Errorf("%s still grants the platform's resources in its own account: %s", consumer, j)
				}
			}
			if assumes != 1 {
				t.Errorf("%s: %d assume statements, want 1", consumer, assumes)
			}
			env := jsonOf(props(resources(t, x, "AWS::Lambda::Function")[fns[consumer]])["Environment"])
			if !strings.Contains(env, `"`+envvars.PlatformRoleARN+`":"`+platformRole+`"`) {
				t.Errorf("%s environment %s lacks %s", consumer, env, envvars.PlatformRoleARN)
			}
			if consumer == stacks.StreamActivityFunction && !strings.Contains(env, "/"+platform+"/issuetracker-cell-2-webhooks") {
				t.Errorf("activity consumer's webhook queue is not the platform's: %s", env)
			}
		}
		_ = control
	})

	t.Run("offboarding reads the tenant's table through the provisioning role, Scan only", func(t *testing.T) {
		var scans []map[string]any
		for _, s := range statementsIn(t, x, logicalID(synth.cross.ProvisioningAccess.Role.Node().DefaultChild())) {
			if strings.Contains(jsonOf(s["Action"]), "dynamodb:") {
				scans = append(scans, s)
			}
		}
		want := []map[string]any{stmt("OffboardingReadsTheTenantsTable", []string{"dynamodb:Scan"}, []any{getAtt(table, "Arn")}, nil)}
		if jsonOf(scans) != jsonOf(want) {
			t.Errorf("provisioning role's table grants %s, want %s", jsonOf(scans), jsonOf(want))
		}
	})
}
