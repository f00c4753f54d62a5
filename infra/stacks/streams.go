package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/datastore"
	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/constructs/monitoring"
	"github.com/issuetracker/issuetracker/constructs/streamconsumer"
	"github.com/issuetracker/issuetracker/internal/analytics/analyticsdb"
	"github.com/issuetracker/issuetracker/internal/attachment/attachmentdb"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/keylog"
	"github.com/issuetracker/issuetracker/internal/notify/notifydb"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// StreamAnalyticsFunction is the folder of the analytics consumer of the
// change stream. Each table stream has at most two consumers
// (streamconsumer.MaxConsumersPerStream): analytics, and activity
// (notifications, webhooks, migration replay) when it comes.
const StreamAnalyticsFunction = "stream-analytics"

// StreamLagAlarmMinutes is the IteratorAge at which a consumer's lag alarms.
const StreamLagAlarmMinutes = 5

// analyticsConsumer defines the analytics consumer of table's stream. Its
// role may read the stream (the mapping's grant) and touch analytics items
// only: GetItem/BatchGetItem/PutItem/UpdateItem/ConditionCheckItem on keys T#*#AN#*
// (analyticsdb.LeadingKeysPattern), BatchGetItem for a batch's states, and
// Query of a scope's days to compact them (analyticsdb/compact.go). It
// never reads an issue.
//
// In a tenant stack of the tenant's own account (own set), it reads the
// platform's control table through its role there (reachesPlatform).
func analyticsConsumer(scope constructs.Construct, table *datastore.Table, root, functionName, prefix string, mon *monitoring.Monitoring, own *ownAccount) *streamconsumer.Consumer {
	c := streamconsumer.New(scope, "StreamAnalytics", &streamconsumer.Props{
		Table: table.Table,
		Function: &gofunction.Props{Name: StreamAnalyticsFunction, RepoRoot: root, FunctionName: functionName,
			Description: "IssueTracker analytics consumer of " + table.Name + "'s change stream",
			Timeout:     awscdk.Duration_Minutes(jsii.Number(1))},
		FilterPattern: analyticsdb.Filter.Pattern(),
	})
	c.Function.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("AnalyticsItemsOnly"),
		Actions:   jsii.Strings("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"),
		Resources: &[]*string{table.Table.TableArn()},
		Conditions: &map[string]interface{}{
			"ForAllValues:StringLike": map[string]interface{}{"dynamodb:LeadingKeys": []string{analyticsdb.LeadingKeysPattern}},
			"Null":                    map[string]interface{}{"dynamodb:LeadingKeys": "false"},
		},
	}))
	if own == nil {
		readsTenantHomes(c, prefix)
	} else {
		reachesPlatform(c, StreamAnalyticsFunction, prefix, own)
		c.Function.Function.AddEnvironment(jsii.String(envvars.TablePrefix), jsii.String(prefix), nil)
	}
	logsMigrationKeys(c, table)
	mon.WatchStreamConsumer(StreamAnalyticsFunction, c.Function.Function, c.Function.Timeout, c.DLQ, awscdk.Duration_Minutes(jsii.Number(StreamLagAlarmMinutes)))
	return c
}

// logsMigrationKeys lets a consumer put items of the tenants' migration
// key logs (T#*#MIGLOG, internal/keylog) in its table: while a tier
// migration copies a tenant, the consumer's own writes for it log their
// keys first (changes.HomeOnly), so the migration carries them into the
// new home. PutItem only, of log items only.
func logsMigrationKeys(c *streamconsumer.Consumer, table *datastore.Table) {
	c.Function.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WriteMigrationKeyLog"),
		Actions:   jsii.Strings("dynamodb:PutItem"),
		Resources: &[]*string{table.Table.TableArn()},
		Conditions: &map[string]interface{}{
			"ForAllValues:StringLike": map[string]interface{}{"dynamodb:LeadingKeys": []string{keylog.LeadingKeysPattern}},
			"Null":                    map[string]interface{}{"dynamodb:LeadingKeys": "false"},
		},
	}))
}

// readsTenantHomes lets a consumer read tenant records of the platform's
// control table (by name: a Platinum tenant's stack is not the platform's),
// and names it (envvars.TablePrefix): the function passes on only the
// changes of each tenant's current home (app.HomesFromEnv), so a tier
// migration's copy and the deletion of the old copy are neither counted
// nor notified.
func readsTenantHomes(c *streamconsumer.Consumer, prefix string) {
	control := controlTableARN(c, prefix)
	c.Function.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadTenantHomes"),
		Actions:   jsii.Strings("dynamodb:GetItem"),
		Resources: &[]*string{control},
		Conditions: &map[string]interface{}{
			"ForAllValues:StringLike": map[string]interface{}{"dynamodb:LeadingKeys": []string{schema.ControlTenant + "*"}},
			"Null":                    map[string]interface{}{"dynamodb:LeadingKeys": "false"},
		},
	}))
	c.Function.Function.AddEnvironment(jsii.String(envvars.TablePrefix), jsii.String(prefix), nil)
}

// controlTableARN is the platform's control table, by name in the
// consumer's stack's account and Region.
func controlTableARN(c *streamconsumer.Consumer, prefix string) *string {
	return awscdk.Stack_Of(c.Function.Function).FormatArn(&awscdk.ArnComponents{Service: jsii.String("dynamodb"),
		Resource: jsii.String("table"), ResourceName: jsii.String(schema.Names{Prefix: prefix}.Control())})
}

// metersStorage lets the activity consumer give a purged issue's bytes
// back to the tenant's storage figure (usagedb: an atomic ADD on the
// USAGE#<tenant> STORAGE item; attachmentdb.Consumer.Meter).
func metersStorage(c *streamconsumer.Consumer, prefix string) {
	c.Function.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("MeterPurgedAttachmentBytes"),
		Actions:   jsii.Strings("dynamodb:UpdateItem"),
		Resources: &[]*string{controlTableARN(c, prefix)},
		Conditions: &map[string]interface{}{
			"ForAllValues:StringLike": map[string]interface{}{"dynamodb:LeadingKeys": []string{schema.ControlUsage + "*"}},
			"Null":                    map[string]interface{}{"dynamodb:LeadingKeys": "false"},
		},
	}))
}

// suppressConsumer explains the consumer's findings that do not apply.
func suppressConsumer(c *streamconsumer.Consumer) {
	suppress(c.Function.Role, why{"AwsSolutions-IAM5",
		"X-Ray PutTraceSegments/PutTelemetryRecords and dynamodb:ListStreams (the event source mapping's stream discovery) support no resource-level permissions; the stream itself is granted by ARN.",
		[]string{"Resource::*"}})
	suppress(c.DLQ, why{"AwsSolutions-SQS3",
		"This queue is itself the failure destination of the stream's event source mapping (batches given up after retries); a DLQ of it would only move the same messages. An alarm fires on its first message.", nil})
}

// StreamActivityFunction is the folder of the activity consumer (watchers,
// inbox and notification mail, internal/notify): the second reader of each
// table stream.
const StreamActivityFunction = "stream-activity"

// activityReadPatterns are the items the activity consumer reads beside
// its own: issues (key, title, assignee), users (mail addresses) and team
// memberships.
var activityReadPatterns = []string{"T#*#ISSUE#*", "T#*#USER#*", "T#*#TEAM#*"}

// activityConsumer defines the activity consumer of table's stream. Its
// role writes notification items only (notifydb.LeadingKeysPatterns) and
// reads issues, users and team members; it never writes an issue. It
// deletes a deleted issue's files: their records and the tenant's storage
// counter (attachmentdb.LeadingKeysPatterns) and their objects in files,
// the attachments bucket of the table's tenants (delete only).
//
// In a tenant stack of the tenant's own account (own set), the control
// table and the webhook queue are the platform's, reached through its
// role there (reachesPlatform, tenantConsumerAccess).
func activityConsumer(scope constructs.Construct, table *datastore.Table, files awss3.IBucket, root, functionName, prefix string, mon *monitoring.Monitoring, own *ownAccount) *streamconsumer.Consumer {
	c := streamconsumer.New(scope, "StreamActivity", &streamconsumer.Props{
		Table: table.Table,
		Function: &gofunction.Props{Name: StreamActivityFunction, RepoRoot: root, FunctionName: functionName,
			Description: "IssueTracker activity consumer of " + table.Name + "'s change stream: watchers, inbox, notification mail",
			Timeout:     awscdk.Duration_Minutes(jsii.Number(1))},
		FilterPattern: notifydb.Filter.Pattern(),
	})
	resources := &[]*string{table.Table.TableArn(), jsii.String(*table.Table.TableArn() + "/index/*")}
	c.Function.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("NotificationItemsOnly"),
		Actions: jsii.Strings("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
			"dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"),
		Resources: resources,
		Conditions: &map[string]interface{}{
			"ForAllValues:StringLike": map[string]interface{}{"dynamodb:LeadingKeys": notifydb.LeadingKeysPatterns},
			"Null":                    map[string]interface{}{"dynamodb:LeadingKeys": "false"},
		},
	}))
	c.Function.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadIssuesAndPeople"),
		Actions:   jsii.Strings("dynamodb:GetItem", "dynamodb:Query"),
		Resources: resources,
		Conditions: &map[string]interface{}{
			"ForAllValues:StringLike": map[string]interface{}{"dynamodb:LeadingKeys": activityReadPatterns},
			"Null":                    map[string]interface{}{"dynamodb:LeadingKeys": "false"},
		},
	}))
	c.Function.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("DeletedIssuesAttachmentItems"),
		Actions:   jsii.Strings("dynamodb:Query", "dynamodb:DeleteItem", "dynamodb:UpdateItem"),
		Resources: &[]*string{table.Table.TableArn()},
		Conditions: &map[string]interface{}{
			"ForAllValues:StringLike": map[string]interface{}{"dynamodb:LeadingKeys": attachmentdb.LeadingKeysPatterns},
			"Null":                    map[string]interface{}{"dynamodb:LeadingKeys": "false"},
		},
	}))
	c.Function.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("DeletedIssuesObjects"),
		Actions:   jsii.Strings("s3:DeleteObject"),
		Resources: &[]*string{files.ArnForObjects(jsii.String("*"))},
	}))
	// Webhook events: the consumer writes the deliveries and queues first
	// attempts on the platform's webhook queue (by name).
	grantWebhookItems(c.Function.Role, "WebhookItemsOnly", &[]*string{table.Table.TableArn()})
	st := awscdk.Stack_Of(scope)
	if own == nil {
		grantWebhookQueue(c.Function.Role, webhookQueueARN(st, prefix))
		readsTenantHomes(c, prefix)
	}
	logsMigrationKeys(c, table)
	if own == nil {
		metersStorage(c, prefix)
		c.Function.Function.AddEnvironment(jsii.String(envvars.WebhookQueueURL), webhookQueueURL(st, prefix), nil)
	} else {
		reachesPlatform(c, StreamActivityFunction, prefix, own)
		c.Function.Function.AddEnvironment(jsii.String(envvars.TablePrefix), jsii.String(prefix), nil)
		c.Function.Function.AddEnvironment(jsii.String(envvars.WebhookQueueURL), webhookQueueURLIn(st, own.platformAccount, prefix), nil)
	}
	mon.WatchStreamConsumer(StreamActivityFunction, c.Function.Function, c.Function.Timeout, c.DLQ, awscdk.Duration_Minutes(jsii.Number(StreamLagAlarmMinutes)))
	return c
}
