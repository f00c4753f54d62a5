package infra_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/routes"
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

// directoryGrants are a cell's function's grants on the global tenant
// directory, spelled like the allow-list of grants_test.go.
func directoryGrants(t *testing.T, stack string, p *stacks.Platform, name string) []string {
	t.Helper()
	var out []string
	for _, s := range statementsIn(t, stack, logicalID(p.Functions[name].Role.Node().DefaultChild())) {
		res := fmt.Sprint(symbolic(s["Resource"]))
		if !strings.Contains(res, "directory") {
			continue
		}
		var actions []string
		for _, a := range asList(s["Action"]) {
			actions = append(actions, a.(string))
		}
		if a, ok := s["Action"].(string); ok {
			actions = []string{a}
		}
		sort.Strings(actions)
		out = append(out, res+" "+jsonOf(symbolic(s["Condition"]))+": "+strings.Join(actions, " "))
	}
	sort.Strings(out)
	return out
}

// platformEnv is a cell's function's environment as the template sets it.
func platformEnv(t *testing.T, stack string, p *stacks.Platform, name string) map[string]any {
	t.Helper()
	fn := props(resources(t, stack, "AWS::Lambda::Function")[logicalID(p.Functions[name].Function.Node().DefaultChild())])
	env, _ := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	return env
}

func TestTheDirectoryIsReadByItsFunctionsOnlyWithLeastPrivilege(t *testing.T) {
	ready(t)
	two := stacks.PlatformStackNameOf(cell2)
	table := "arn:aws:dynamodb:us-east-1:123456789012:table/issuetracker-directory "
	want := map[string][]string{
		"authorizer": {table + leading("TENANT#*") + ": dynamodb:GetItem"},
		"registration": {
			table + leading("CELLS") + ": dynamodb:Query dynamodb:UpdateItem",
			table + leading("TENANT#*") + ": dynamodb:DeleteItem dynamodb:GetItem dynamodb:PutItem",
		},
		// A move's switch reads the entry first (CDK merges the grant with
		// the control table's same one).
		"onboarding": {
			"[" + strings.TrimSpace(table) + " <ControlTable>] " + leading("TENANT#*") + ": dynamodb:GetItem",
			table + leading("TENANT#*", "CELLS") + ": dynamodb:UpdateItem",
		},
	}
	for _, name := range stacks.FunctionNames() {
		t.Run(name, func(t *testing.T) {
			env := platformEnv(t, two, synth.cell2, name)
			reads := envvars.ReadsDirectory[routes.Function(name)]
			for _, v := range []string{envvars.DirectoryTable, envvars.CellID, envvars.CellAPIURL} {
				_, has := env[v]
				if has != slices.Contains(reads, v) {
					t.Errorf("cell-2 %s: %s set %v, envvars.ReadsDirectory says %v", name, v, has, !has)
				}
				if _, ok := platformEnv(t, stacks.PlatformStackName, synth.platform, name)[v]; ok {
					t.Errorf("cell-1 has no directory, yet %s gets %s", name, v)
				}
			}
			if len(reads) > 0 {
				if env[envvars.DirectoryTable] != "issuetracker-directory" || env[envvars.CellID] != cell2 {
					t.Errorf("cell-2 %s: directory %v, cell %v", name, env[envvars.DirectoryTable], env[envvars.CellID])
				}
			}
			if slices.Contains(reads, envvars.CellAPIURL) {
				// The REST API's id and the stage's name: no dependency on
				// the stage (which depends on this function: a cycle).
				got := fmt.Sprint(symbolic(env[envvars.CellAPIURL]))
				if got != "https://<ApiRestApi>.execute-api.<AWS::Region>.<AWS::URLSuffix>/prod" {
					t.Errorf("cell-2 %s: API URL %s", name, got)
				}
			}
			if diff := cmp.Diff(want[name], directoryGrants(t, two, synth.cell2, name)); diff != "" {
				t.Errorf("cell-2 %s's directory grants (-want +got):\n%s", name, diff)
			}
			if got := directoryGrants(t, stacks.PlatformStackName, synth.platform, name); len(got) > 0 {
				t.Errorf("cell-1 has no directory, yet %s may %v", name, got)
			}
		})
	}
}
