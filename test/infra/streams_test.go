package infra_test

import (
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/constructs/streamconsumer"
	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/notify/notifydb"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// Every tenant table publishes its change stream; each stream has the
// analytics and the activity consumer (at most two consumers), with batching, bisect on
// error, bounded retries and record age, a failure queue and the filter
// of the records it reads; its role touches analytics items only.
func TestTenantTablesStreamToTheAnalyticsAndActivityConsumers(t *testing.T) {
	names := schema.Names{}
	for _, c := range []struct{ stack, table string }{
		{stacks.PlatformStackName, names.App()},
		{stacks.TenantStackName(tenantID), names.Silo(tenantID)},
	} {
		t.Run(c.stack, func(t *testing.T) {
			var tableID string
			for id, r := range resources(t, c.stack, "AWS::DynamoDB::Table") {
				p := props(r)
				spec, _ := p["StreamSpecification"].(map[string]any)
				if p["TableName"] == c.table {
					tableID = id
					if spec["StreamViewType"] != string(schema.NewAndOldImages) {
						t.Errorf("%s streams %v, want NEW_AND_OLD_IMAGES", c.table, p["StreamSpecification"])
					}
				} else if spec != nil {
					t.Errorf("%v publishes a stream nobody reads", p["TableName"])
				}
			}
			if tableID == "" {
				t.Fatalf("no table %s", c.table)
			}
			maps := resources(t, c.stack, "AWS::Lambda::EventSourceMapping")
			var mine []map[string]any
			for _, r := range maps {
				p := props(r)
				if strings.Contains(jsonOf(p["EventSourceArn"]), tableID) {
					mine = append(mine, p)
				}
			}
			if len(mine) == 0 || len(mine) > streamconsumer.MaxConsumersPerStream {
				t.Fatalf("%d consumers of the stream, want 1..%d", len(mine), streamconsumer.MaxConsumersPerStream)
			}
			seen := map[string]bool{}
			for _, m := range mine {
				want := map[string]any{"StartingPosition": "TRIM_HORIZON", "BisectBatchOnFunctionError": true, "BatchSize": 100.0,
					"MaximumRetryAttempts": 8.0, "MaximumRecordAgeInSeconds": 21600.0, "ParallelizationFactor": 1.0}
				for k, v := range want {
					if m[k] != v {
						t.Errorf("%s = %v, want %v", k, m[k], v)
					}
				}
				if !strings.Contains(jsonOf(m["DestinationConfig"]), "OnFailure") {
					t.Errorf("no failure destination: %v", m["DestinationConfig"])
				}
				filters := asList(m["FilterCriteria"].(map[string]any)["Filters"])
				if len(filters) != 1 {
					t.Fatalf("filters = %v, want the consumer's own", filters)
				}
				consumer := ""
				switch filters[0].(map[string]any)["Pattern"] {
				case analyticsdb.Filter.Pattern():
					consumer = "analytics"
				case notifydb.Filter.Pattern():
					consumer = "activity"
				default:
					t.Fatalf("filter %v is no consumer's", filters)
				}
				seen[consumer] = true
				fnID := ref(m["FunctionName"])
				role := ref(props(resources(t, c.stack, "AWS::Lambda::Function")[fnID])["Role"])
				checkConsumerRole(t, c.stack, role, consumer)
				env := jsonOf(props(resources(t, c.stack, "AWS::Lambda::Function")[fnID])["Environment"])
				if !strings.Contains(env, `"`+envvars.TablePrefix+`":"`+schema.DefaultPrefix+`"`) {
					t.Errorf("%s consumer does not name the control table: %s", consumer, env)
				}
			}
			if !seen["analytics"] || !seen["activity"] {
				t.Errorf("consumers %v, want analytics and activity", seen)
			}
		})
	}
}

// checkConsumerRole: stream read, and item access only under the
// consumer's leading keys: analytics items (GetItem/PutItem/UpdateItem);
// for activity, notification items (writes) and issues, users and team
// memberships (GetItem/Query). Never Scan, never a whole-table write.
func checkConsumerRole(t *testing.T, stack, role, consumer string) {
	t.Helper()
	var dynamo []map[string]any
	for _, pol := range resources(t, stack, "AWS::IAM::Policy") {
		p := props(pol)
		if !strings.Contains(jsonOf(p["Roles"]), role) {
			continue
		}
		for _, st := range asList(p["PolicyDocument"].(map[string]any)["Statement"]) {
			s := st.(map[string]any)
			if strings.Contains(jsonOf(s["Action"]), "dynamodb:") {
				dynamo = append(dynamo, s)
			}
		}
	}
	items, homes, meters, logs := 0, 0, 0, 0
	names := schema.Names{}
	for _, s := range dynamo {
		acts := jsonOf(s["Action"])
		cond := jsonOf(s["Condition"])
		if strings.Contains(acts, "Scan") || strings.Contains(acts, "dynamodb:*") {
			t.Errorf("%s consumer may %s", consumer, acts)
		}
		switch {
		case s["Sid"] == "ReadTenantHomes":
			homes++
			if acts != `"dynamodb:GetItem"` || !strings.Contains(jsonOf(s["Resource"]), names.Control()) ||
				!strings.Contains(cond, `"dynamodb:LeadingKeys":["`+schema.ControlTenant+`*"]`) {
				t.Errorf("the tenant-homes read is wider than GetItem of control-table tenant records: %s", jsonOf(s))
			}
		case s["Sid"] == "WriteMigrationKeyLog":
			// A migrating tenant's key log (internal/keylog): PutItem of log items only.
			logs++
			if acts != `"dynamodb:PutItem"` || cond != `{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["`+keylog.LeadingKeysPattern+`"]},"Null":{"dynamodb:LeadingKeys":"false"}}` {
				t.Errorf("the key-log grant is wider than PutItem of T#*#MIGLOG items: %s", jsonOf(s))
			}
		case strings.Contains(acts, "dynamodb:GetRecords") || acts == `"dynamodb:ListStreams"`,
			acts == `["dynamodb:ListStreams","xray:PutTelemetryRecords","xray:PutTraceSegments"]`:
			// stream read: the mapping's grant, on the stream ARN;
			// ListStreams has no resource level (minimized with X-Ray's
			// statement under @aws-cdk/aws-iam:minimizePolicies)
		case consumer == "analytics" && strings.Contains(acts, "Item"):
			items++
			if !strings.Contains(cond, `"dynamodb:LeadingKeys":["`+analyticsdb.LeadingKeysPattern+`"]`) || !strings.Contains(cond, "ForAllValues:StringLike") {
				t.Errorf("item access without the analytics leading-keys condition: %s", jsonOf(s))
			}
			// Query reads a scope's days to compact them; the leading-keys
			// condition keeps it to analytics partitions.
			for _, bad := range []string{"DeleteItem", "BatchWriteItem"} {
				if strings.Contains(acts, bad) {
					t.Errorf("analytics consumer may %s: %s", bad, acts)
				}
			}
		case consumer == "activity" && s["Sid"] == "TenantRegistryRead":
			if acts != `["dynamodb:GetItem","dynamodb:Query"]` {
				t.Errorf("registry access %s, want read", acts)
			}
		case consumer == "activity" && s["Sid"] == "MeterPurgedAttachmentBytes":
			// A purged issue's bytes go back to the tenant's storage
			// figure: UpdateItem (an atomic ADD) of usage items only.
			meters++
			if acts != `"dynamodb:UpdateItem"` || !strings.Contains(jsonOf(s["Resource"]), names.Control()) ||
				cond != `{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["`+schema.ControlUsage+`*"]},"Null":{"dynamodb:LeadingKeys":"false"}}` {
				t.Errorf("the meter's grant is wider than UpdateItem of control-table usage items: %s", jsonOf(s))
			}
		case consumer == "activity" && s["Sid"] == "MailSuppressionsWrite":
			// SES's bounces and complaints (mail_test.go checks the condition).
			if acts != `"dynamodb:PutItem"` || !strings.Contains(cond, `["SUPPRESSED#*"]`) {
				t.Errorf("suppression list access %s %s, want PutItem of SUPPRESSED#* only", acts, cond)
			}
		case consumer == "activity":
			items++
			if !strings.Contains(cond, "ForAllValues:StringLike") || !strings.Contains(cond, "T#*#") {
				t.Errorf("item access without a leading-keys condition: %s", jsonOf(s))
			}
			writes := strings.Contains(acts, "PutItem") || strings.Contains(acts, "UpdateItem") || strings.Contains(acts, "Delete") || strings.Contains(acts, "BatchWrite")
			for _, k := range []string{"ISSUE#", "USER#", "TEAM#"} {
				if writes && strings.Contains(cond, k) {
					t.Errorf("activity consumer may write %s items: %s", k, jsonOf(s))
				}
			}
		default:
			t.Errorf("unexpected DynamoDB grant: %s", jsonOf(s))
		}
	}
	if items == 0 {
		t.Errorf("%s consumer has no item statement", consumer)
	}
	if homes != 1 {
		t.Errorf("%s consumer cannot read the tenants' homes (app.HomesFromEnv)", consumer)
	}
	if logs != 1 {
		t.Errorf("%s consumer cannot log the keys it writes for a migrating tenant (changes.HomeOnly): %d grants", consumer, logs)
	}
	if consumer == "activity" && meters != 1 {
		t.Errorf("the activity consumer cannot meter the bytes it purges (%d grants)", meters)
	}
	if consumer == "analytics" && items != 1 {
		t.Errorf("%d item statements, want exactly the analytics one", items)
	}

}
