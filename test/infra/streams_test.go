package infra_test

import (
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/constructs/streamconsumer"
	"github.com/issuetracker/issuetracker/infra/stacks"
	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// Every tenant table publishes its change stream; each stream has the
// analytics consumer (at most two consumers), with batching, bisect on
// error, bounded retries and record age, a failure queue and the filter
// of the records it reads; its role touches analytics items only.
func TestTenantTablesStreamToTheAnalyticsConsumer(t *testing.T) {
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
			perStream := 0
			var m map[string]any
			for _, r := range maps {
				p := props(r)
				if strings.Contains(jsonOf(p["EventSourceArn"]), tableID) {
					perStream++
					m = p
				}
			}
			if perStream == 0 || perStream > streamconsumer.MaxConsumersPerStream {
				t.Fatalf("%d consumers of the stream, want 1..%d", perStream, streamconsumer.MaxConsumersPerStream)
			}
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
			if len(filters) != 1 || filters[0].(map[string]any)["Pattern"] != analyticsdb.Filter.Pattern() {
				t.Errorf("filter = %v, want the consumer's own %s", filters, analyticsdb.Filter.Pattern())
			}

			// The consumer's role: stream read, analytics items only.
			fnID := ref(m["FunctionName"])
			role := ref(props(resources(t, c.stack, "AWS::Lambda::Function")[fnID])["Role"])
			var dynamo []map[string]any
			for _, pol := range resources(t, c.stack, "AWS::IAM::Policy") {
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
			items := 0
			for _, s := range dynamo {
				acts := jsonOf(s["Action"])
				switch {
				case strings.Contains(acts, "dynamodb:GetRecords") || acts == `"dynamodb:ListStreams"`,
					acts == `["dynamodb:ListStreams","xray:PutTelemetryRecords","xray:PutTraceSegments"]`:
					// stream read: the mapping's grant, on the stream ARN;
					// ListStreams has no resource level (minimized with X-Ray's
					// statement under @aws-cdk/aws-iam:minimizePolicies)
				case strings.Contains(acts, "Item"):
					items++
					cond := jsonOf(s["Condition"])
					if !strings.Contains(cond, `"dynamodb:LeadingKeys":["`+analyticsdb.LeadingKeysPattern+`"]`) || !strings.Contains(cond, "ForAllValues:StringLike") {
						t.Errorf("item access without the analytics leading-keys condition: %s", jsonOf(s))
					}
					for _, bad := range []string{"Scan", "Query", "DeleteItem", "BatchWriteItem", "*"} {
						if strings.Contains(acts, bad) {
							t.Errorf("consumer may %s: %s", bad, acts)
						}
					}
				default:
					t.Errorf("unexpected DynamoDB grant: %s", jsonOf(s))
				}
			}
			if items != 1 {
				t.Errorf("%d item statements, want exactly the analytics one", items)
			}
		})
	}
}
