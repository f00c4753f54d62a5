package devstack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/changes/streampoller"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// tenantTemplate writes a copy of the synthesized Platinum tenant stack
// (infra/templates/IssueTracker-Tenant-acme.json) as tenant id's, its table
// and pool renamed to names of this test, changed by edit.
func tenantTemplate(t *testing.T, root, id string, edit func(res map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "infra", "templates", "IssueTracker-Tenant-acme.json"))
	require.NoError(t, err)
	var tmpl map[string]any
	require.NoError(t, json.Unmarshal([]byte(strings.ReplaceAll(string(b), "issuetracker-tenant-acme", "issuetracker-tenant-"+id)), &tmpl))
	if edit != nil {
		edit(tmpl["Resources"].(map[string]any))
	}
	path := filepath.Join(t.TempDir(), "IssueTracker-Tenant-"+id+".json")
	out, _ := json.Marshal(tmpl)
	require.NoError(t, os.WriteFile(path, out, 0o644))
	return path
}

// tenantStackCases are run on the template mode's end-to-end platform
// (TestTheTemplateDrivenPlatformEndToEnd): a Platinum tenant's stack runs
// its own functions from its template, its stream mappings read its own
// table, a batch its consumer keeps failing lands in the mapping's
// on-failure queue as Lambda's failure record after the template's
// retries (visible and redrivable), and a tenant template that misses a
// variable its consumer needs fails the deploy naming function and
// variable.
func tenantStackCases(t *testing.T, s *devstack.Stack, root, prefix string, logs *lockedBuffer) {
	ctx := context.Background()
	db := testenv.DynamoDB(t)
	deployer := localdeploy.Deployer{DB: db, Cognito: testenv.Cognito(t)}
	t.Run("a tenant stack's consumers run from its template and its failures land in its on-failure queue", func(t *testing.T) {
		id := "t" + prefix
		path := tenantTemplate(t, root, id, func(res map[string]any) {
			// One retry instead of the template's eight keeps the test short.
			props(res, "StreamAnalyticsStreamMapping")["MaximumRetryAttempts"] = 1
			// A prefix whose control table does not exist: the consumer cannot
			// read the tenants' homes, so every batch fails.
			props(res, "StreamAnalyticsFnFunctionB7E8F0AB")["Environment"].(map[string]any)["Variables"].(map[string]any)["ITR_TABLE_PREFIX"] = "nosuchprefix"
		})
		res, err := deployer.Apply(ctx, path)
		require.NoError(t, err)
		t.Cleanup(func() { _ = deployer.Destroy(ctx, path) })
		require.NoError(t, s.RunTenantStack(ctx, id, path, res))
		assert.Contains(t, logs.String(), "lambda | stack IssueTracker-Tenant-"+id+": 2 functions started (stream-activity@"+id+", stream-analytics@"+id+")")
		assert.Contains(t, logs.String(), "events | stream mapping StreamAnalyticsStreamMapping: table Table710B521B -> stream-analytics@"+id+
			" (batch 100, retries 1, max record age 6h0m0s, bisect true, failures -> local queue "+id+"-StreamAnalyticsFailures0DA12651)")
		require.NotNil(t, s.Functions.Function("stream-analytics@"+id), "the tenant's own stream-analytics")

		// An issue of the tenant in its table: stream-analytics@<id> fails on it.
		_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("issuetracker-tenant-" + id), Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: schema.TenantKeyPrefix(id) + "ISSUE#poison"}, "sk": &types.AttributeValueMemberS{Value: "ISSUE"},
			"entity": &types.AttributeValueMemberS{Value: "issue"}, "title": &types.AttributeValueMemberS{Value: "x"}}})
		require.NoError(t, err)
		q := s.FailureQueue(id + "-StreamAnalyticsFailures0DA12651")
		require.NotNil(t, q)
		var rec streampoller.FailureRecord
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			msgs, err := q.Receive(ctx, 10, 0) // read, left visible
			require.NoError(c, err)
			if assert.Len(c, msgs, 1) {
				require.NoError(c, json.Unmarshal([]byte(msgs[0].Body), &rec))
			}
		}, 60*time.Second, 200*time.Millisecond)
		assert.Equal(t, streampoller.ConditionRetryAttemptsExhausted, rec.RequestContext.Condition)
		assert.Equal(t, 2, rec.RequestContext.ApproximateInvokeCount, "MaximumRetryAttempts 1: two invocations")
		assert.Equal(t, "arn:aws:lambda:us-east-1:000000000000:function:stream-analytics@"+id, rec.RequestContext.FunctionARN)
		assert.Contains(t, rec.Batch.StreamARN, "issuetracker-tenant-"+id, "the tenant's own table's stream")
		assert.Equal(t, 1, rec.Batch.BatchSize)
		assert.Contains(t, logs.String(), "stream-analytics@"+id+" | REPORT", "invoked as the tenant's function process")

		// Redriven: the batch is read from the stream again and handed to
		// the function, which fails on it again, so the message stays.
		res2, err := http.Post(s.Platform.GatewayURL+devstack.RedrivePath+"/"+id+"-StreamAnalyticsFailures0DA12651", "application/json", nil)
		require.NoError(t, err)
		var rd struct {
			Redriven int      `json:"redriven"`
			Failed   []string `json:"failed"`
		}
		require.NoError(t, json.NewDecoder(res2.Body).Decode(&rd))
		res2.Body.Close()
		assert.Equal(t, 0, rd.Redriven)
		require.Len(t, rd.Failed, 1)
		assert.Contains(t, rd.Failed[0], "function stream-analytics@"+id, "the function's error on the redriven batch")
		visible, hidden, err := q.Count(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, visible+hidden, "a message whose redrive failed stays in the queue")

		s.StopTenantStack(ctx, id)
		assert.Nil(t, s.Functions.Function("stream-analytics@"+id), "offboarding stops the stack's functions")
	})
	t.Run("a tenant consumer's variable removed fails the deploy naming function and variable", func(t *testing.T) {
		id := "u" + prefix
		path := tenantTemplate(t, root, id, func(res map[string]any) {
			env := props(res, "StreamActivityFnFunction9C7C309E")["Environment"].(map[string]any)["Variables"].(map[string]any)
			delete(env, "ITR_WEBHOOK_QUEUE_URL")
		})
		res, err := deployer.Apply(ctx, path)
		require.NoError(t, err)
		t.Cleanup(func() { _ = deployer.Destroy(ctx, path) })
		err = s.RunTenantStack(ctx, id, path, res)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "stack IssueTracker-Tenant-"+id)
		assert.Contains(t, err.Error(), "function stream-activity@"+id+" failed to start")
		assert.Contains(t, err.Error(), "ITR_WEBHOOK_QUEUE_URL")
		assert.Nil(t, s.Functions.Function("stream-analytics@"+id), "nothing of the failed stack keeps running")
	})
	t.Run("a restart runs the registry's Platinum stacks again from their kept templates", func(t *testing.T) {
		id := "r" + prefix
		kept := s.TenantTemplatePath(id)
		require.NoError(t, os.MkdirAll(filepath.Dir(kept), 0o755))
		b, err := os.ReadFile(tenantTemplate(t, root, id, nil))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(kept, b, 0o644))
		t.Cleanup(func() { s.StopTenantStack(ctx, id); _ = deployer.Destroy(ctx, kept) })
		require.NoError(t, tenantdb.New(db, schema.Names{Prefix: prefix}).Create(ctx, tenant.Tenant{ID: id, Name: "Resumed", Tier: tiers.Platinum,
			Status: tenant.StatusActive, Table: "issuetracker-tenant-" + id}))
		require.NoError(t, s.ResumeTenantStacks(ctx))
		assert.NotNil(t, s.Functions.Function("stream-analytics@"+id))
		assert.NotNil(t, s.Functions.Function("stream-activity@"+id))
	})
}
