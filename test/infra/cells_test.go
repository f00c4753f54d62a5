package infra_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// uniqueNames are the properties that name a resource in its account and
// Region (two cells in one account must not share one); "Name" counts for
// the types in namedByName. Names scoped to a parent (a method's operation,
// a pool's group, a stage) do not count.
var uniqueNames = map[string]bool{
	"TableName": true, "UserPoolName": true, "FunctionName": true, "RoleName": true, "QueueName": true, "TopicName": true,
	"AlarmName": true, "SecretName": true, "ScheduleName": true, "BucketName": true, "Domain": true, "LogGroupName": true,
	"StateMachineName": true, "DashboardName": true, "ConfigurationSetName": true, "AliasName": true, "UsagePlanName": true,
}

var namedByName = map[string]bool{
	"AWS::Events::EventBus": true, "AWS::SSM::Parameter": true, "AWS::ApiGateway::RestApi": true, "AWS::WAFv2::WebACL": true,
	"AWS::ApiGateway::ApiKey": true, "AWS::Scheduler::ScheduleGroup": true,
}

// physicalNames are the account-unique names a stack gives its resources
// (tables, pools, functions, queues, buses, alarms, roles...), by resource
// type, property and value.
func physicalNames(t *testing.T, stack string) map[string]string {
	t.Helper()
	ready(t)
	out := map[string]string{}
	for id, r := range synth.raw[stack]["Resources"].(map[string]any) {
		res := r.(map[string]any)
		typ, _ := res["Type"].(string)
		for k, v := range props(res) {
			if s, ok := v.(string); ok && (uniqueNames[k] || (k == "Name" && namedByName[typ])) {
				out[fmt.Sprintf("%s %s=%s", typ, k, s)] = id
			}
		}
	}
	return out
}

func outputValue(t *testing.T, stack, id string) any {
	t.Helper()
	outs, _ := synth.raw[stack]["Outputs"].(map[string]any)
	o, ok := outs[id].(map[string]any)
	if !ok {
		t.Fatalf("%s has no output %s", stack, id)
	}
	return o["Value"]
}

func TestTwoCellsAreTwoPlatformsThatShareNoName(t *testing.T) {
	ready(t)
	one, two := stacks.PlatformStackName, stacks.PlatformStackNameOf(cell2)
	if got := *synth.cell2.StackName(); got != "IssueTracker-Platform-cell-2" {
		t.Errorf("second cell's stack is %q", got)
	}
	t.Run("the first cell keeps the names of a platform from before cells", func(t *testing.T) {
		names := physicalNames(t, one)
		for _, want := range []string{
			"AWS::DynamoDB::Table TableName=issuetracker-app", "AWS::DynamoDB::Table TableName=issuetracker-control",
			"AWS::Cognito::UserPool UserPoolName=issuetracker-tenants", "AWS::Events::EventBus Name=issuetracker",
		} {
			if _, ok := names[want]; !ok {
				t.Errorf("cell-1 lacks %s", want)
			}
		}
	})
	t.Run("the second cell's tables and pools carry its id", func(t *testing.T) {
		names := physicalNames(t, two)
		for _, want := range []string{
			"AWS::DynamoDB::Table TableName=" + schema.Names{Prefix: "issuetracker-cell-2"}.App(),
			"AWS::DynamoDB::Table TableName=issuetracker-cell-2-control",
			"AWS::Cognito::UserPool UserPoolName=issuetracker-cell-2-tenants",
			"AWS::Cognito::UserPool UserPoolName=issuetracker-cell-2-provider",
		} {
			if _, ok := names[want]; !ok {
				t.Errorf("cell-2 lacks %s", want)
			}
		}
	})
	t.Run("no physical name is in both cells", func(t *testing.T) {
		a, b := physicalNames(t, one), physicalNames(t, two)
		var shared []string
		for n := range a {
			if _, ok := b[n]; ok {
				shared = append(shared, n)
			}
		}
		sort.Strings(shared)
		if len(shared) > 0 {
			t.Errorf("names in both cells (the second deploy would fail or collide):\n%s", strings.Join(shared, "\n"))
		}
		if len(a) < 20 {
			t.Errorf("only %d named resources found: the name scan is broken", len(a))
		}
	})
	t.Run("each cell says its id in an output and a tag", func(t *testing.T) {
		for stack, cell := range map[string]string{one: schema.DefaultCell, two: cell2, stacks.TenantStackName(tenantID): schema.DefaultCell} {
			if got := outputValue(t, stack, "CellId"); got != cell {
				t.Errorf("%s: CellId output %v, want %s", stack, got, cell)
			}
		}
		for _, tbl := range resources(t, two, "AWS::DynamoDB::Table") {
			if !strings.Contains(jsonOf(props(tbl)["Tags"]), `"Key":"issuetracker:cell","Value":"cell-2"`) {
				t.Errorf("cell-2 table tags %s", jsonOf(props(tbl)["Tags"]))
			}
		}
		for _, tbl := range resources(t, stacks.TenantStackName(tenantID), "AWS::DynamoDB::Table") {
			if !strings.Contains(jsonOf(props(tbl)["Tags"]), `"Key":"issuetracker:cell","Value":"cell-1"`) {
				t.Errorf("tenant table tags %s", jsonOf(props(tbl)["Tags"]))
			}
		}
	})
	t.Run("each cell's pipeline synthesizes tenant stacks of that cell", func(t *testing.T) {
		for stack, want := range map[string]string{one: "-c cell=cell-1", two: "-c cell=cell-2"} {
			for _, p := range resources(t, stack, "AWS::CodeBuild::Project") {
				spec := jsonOf(props(p)["Source"])
				if !strings.Contains(spec, want) || !strings.Contains(spec, "-c prefix=issuetracker ") {
					t.Errorf("%s buildspec lacks %q or the base prefix: %s", stack, want, spec)
				}
			}
		}
	})
}
