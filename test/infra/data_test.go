package infra_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// keySchema renders a schema.Table as the CloudFormation key schema and GSIs
// it must produce.
func keySchema(def schema.Table) (keys []any, gsis map[string]any) {
	ks := func(pk, sk schema.Attr) []any {
		out := []any{map[string]any{"AttributeName": pk.Name, "KeyType": "HASH"}}
		if sk.Name != "" {
			out = append(out, map[string]any{"AttributeName": sk.Name, "KeyType": "RANGE"})
		}
		return out
	}
	gsis = map[string]any{}
	for _, ix := range def.Indexes {
		gsis[ix.Name] = ks(ix.PartitionKey, ix.SortKey)
	}
	return ks(def.PartitionKey, def.SortKey), gsis
}

func TestTablesFollowTheSchemaAndKeepTheData(t *testing.T) {
	names := schema.Names{}
	cases := []struct {
		stack, name string
		def         schema.Table
	}{
		{stacks.PlatformStackName, names.App(), schema.App},
		{stacks.PlatformStackName, names.Control(), schema.Control},
		{stacks.TenantStackName(tenantID), names.Silo(tenantID), schema.App},
	}
	count := map[string]int{}
	for _, c := range cases {
		count[c.stack]++
	}
	for stack, n := range count {
		if got := len(resources(t, stack, "AWS::DynamoDB::Table")); got != n {
			t.Errorf("%s has %d tables, want %d", stack, got, n)
		}
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s in %s", c.name, c.stack), func(t *testing.T) {
			var table map[string]any
			for _, r := range resources(t, c.stack, "AWS::DynamoDB::Table") {
				if props(r)["TableName"] == c.name {
					table = r
				}
			}
			if table == nil {
				t.Fatalf("no table named %s", c.name)
			}
			p := props(table)
			if table["DeletionPolicy"] != "Retain" || table["UpdateReplacePolicy"] != "Retain" {
				t.Errorf("deletion/replace policy = %v/%v, want Retain", table["DeletionPolicy"], table["UpdateReplacePolicy"])
			}
			if p["DeletionProtectionEnabled"] != true {
				t.Error("deletion protection is off")
			}
			if pitr := p["PointInTimeRecoverySpecification"].(map[string]any); pitr["PointInTimeRecoveryEnabled"] != true {
				t.Error("point-in-time recovery is off")
			}
			if sse, _ := p["SSESpecification"].(map[string]any); sse == nil || sse["SSEEnabled"] != true {
				t.Errorf("encryption = %v, want SSEEnabled", p["SSESpecification"])
			}
			if p["BillingMode"] != "PAY_PER_REQUEST" {
				t.Errorf("billing = %v, want on-demand", p["BillingMode"])
			}
			if ttl := p["TimeToLiveSpecification"].(map[string]any); ttl["AttributeName"] != c.def.TTLAttribute || ttl["Enabled"] != true {
				t.Errorf("TTL = %v, want %s", ttl, c.def.TTLAttribute)
			}
			wantKeys, wantGSIs := keySchema(c.def)
			if diff := cmp.Diff(wantKeys, p["KeySchema"]); diff != "" {
				t.Errorf("key schema (-want +got):\n%s", diff)
			}
			gotGSIs := map[string]any{}
			for _, g := range asList(p["GlobalSecondaryIndexes"]) {
				g := g.(map[string]any)
				gotGSIs[g["IndexName"].(string)] = g["KeySchema"]
				if proj := g["Projection"].(map[string]any); proj["ProjectionType"] != "ALL" {
					t.Errorf("index %s projects %v, want ALL", g["IndexName"], proj["ProjectionType"])
				}
			}
			if diff := cmp.Diff(wantGSIs, gotGSIs); diff != "" {
				t.Errorf("indexes (-want +got):\n%s", diff)
			}
		})
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

// statements returns every policy statement of the IAM policies (inline
// AWS::IAM::Policy resources) attached to role logical id roleID.
func statements(t *testing.T, roleID string) []map[string]any {
	return statementsIn(t, stacks.PlatformStackName, roleID)
}

// statementsIn are the policy statements of role roleID in stack.
func statementsIn(t *testing.T, stack, roleID string) []map[string]any {
	var out []map[string]any
	for _, pol := range resources(t, stack, "AWS::IAM::Policy") {
		attached := false
		for _, r := range asList(props(pol)["Roles"]) {
			attached = attached || ref(r) == roleID
		}
		if !attached {
			continue
		}
		for _, s := range asList(props(pol)["PolicyDocument"].(map[string]any)["Statement"]) {
			out = append(out, s.(map[string]any))
		}
	}
	return out
}

func TestTenantDataIsReachableOnlyThroughTheTenantScopedRole(t *testing.T) {
	ready(t)
	roleID := logicalID(synth.platform.TenantAccess.Role.Node().DefaultChild())
	pooledID := logicalID(synth.platform.Pooled.Table.Node().DefaultChild())
	stmts := statements(t, roleID)

	t.Run("pooled table access is limited to the tenant's leading keys", func(t *testing.T) {
		found := false
		for _, s := range stmts {
			if !strings.Contains(jsonOf(s["Resource"]), pooledID) {
				continue
			}
			found = true
			cond, _ := s["Condition"].(map[string]any)
			like, _ := cond["ForAllValues:StringLike"].(map[string]any)
			want := schema.TenantKeyPrefix("${aws:PrincipalTag/TenantId}") + "*"
			if diff := cmp.Diff([]any{want}, like["dynamodb:LeadingKeys"]); diff != "" {
				t.Errorf("LeadingKeys condition (-want +got):\n%s", diff)
			}
			if null, _ := cond["Null"].(map[string]any); null["dynamodb:LeadingKeys"] != "false" {
				t.Errorf("statement does not require a leading key: %v", cond)
			}
			if strings.Contains(jsonOf(s["Action"]), "Scan") || strings.Contains(jsonOf(s["Action"]), "*") {
				t.Errorf("actions %v include a scan or a wildcard", s["Action"])
			}
		}
		if !found {
			t.Fatal("the role has no statement on the pooled table")
		}
	})
	t.Run("silo access is limited to the table named after the tenant", func(t *testing.T) {
		want := schema.Names{}.Silo("${aws:PrincipalTag/TenantId}")
		found := false
		for _, s := range stmts {
			if strings.Contains(jsonOf(s["Resource"]), want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no statement on tables named %s", want)
		}
	})
	t.Run("every statement of the role is on the pooled table or a silo table, or the tenant's files (files_test.go)", func(t *testing.T) {
		filesID := logicalID(synth.platform.Files.Bucket.Node().DefaultChild())
		for _, s := range stmts {
			r := jsonOf(s["Resource"])
			if !strings.Contains(r, pooledID) && !strings.Contains(r, "tenant-${aws:PrincipalTag/TenantId}") &&
				!strings.Contains(r, filesID) && !strings.Contains(r, "files-${aws:PrincipalTag/TenantId}") {
				t.Errorf("unexpected statement %s", jsonOf(s))
			}
		}
	})
	t.Run("the functions that act as a tenant, and only they, may assume it with a tenant tag; none has a direct grant on the pooled table", func(t *testing.T) {
		role := resources(t, stacks.PlatformStackName, "AWS::IAM::Role")[roleID]
		trust := jsonOf(props(role)["AssumeRolePolicyDocument"])
		for _, want := range []string{"sts:TagSession", "aws:RequestTag/TenantId", "aws:PrincipalArn"} {
			if !strings.Contains(trust, want) {
				t.Errorf("trust policy lacks %s: %s", want, trust)
			}
		}
		for name, fn := range synth.platform.Functions {
			fnRole := logicalID(fn.Role.Node().DefaultChild())
			actsAsTenant := envvars.ActsAsTenant(routes.Function(name))
			if strings.Contains(trust, fnRole) != actsAsTenant {
				t.Errorf("function %s's role is trusted: %v, want %v", name, !actsAsTenant, actsAsTenant)
			}
			assume := false
			for _, s := range statements(t, fnRole) {
				// The one exception: the offboarding job's read-only Scan (tenantdata).
				vars, _ := envvars.For(routes.Function(name))
				offboardingScan := slices.Contains(vars, envvars.ExportBucket) && jsonOf(s["Action"]) == `"dynamodb:Scan"`
				if strings.Contains(jsonOf(s["Resource"]), pooledID) && !offboardingScan {
					t.Errorf("function %s has a direct grant on the pooled table: %s", name, jsonOf(s))
				}
				if strings.Contains(jsonOf(s["Action"]), "sts:AssumeRole") {
					assume = true
					if jsonOf(s["Action"]) != `["sts:AssumeRole","sts:TagSession"]` || !strings.Contains(jsonOf(s["Resource"]), roleID) {
						t.Errorf("function %s's assume grant is broader than the role: %s", name, jsonOf(s))
					}
				}
			}
			if assume != actsAsTenant {
				t.Errorf("function %s may assume the tenant role: %v, want %v", name, assume, actsAsTenant)
			}
		}
	})
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
