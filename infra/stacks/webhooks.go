package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/keylog"
	itrmail "github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/webhook/webhookdb"
)

// CollaborationStackID is the construct id of the platform's nested stack
// of the collaboration parts (the webhook queue, its dead-letter queue and
// delivery function, the notification mail schedule): the platform
// template stays under CloudFormation's 500 resources.
const CollaborationStackID = "Collaboration"

// WebhookDeliveryFunction is the folder of the webhook delivery function.
const WebhookDeliveryFunction = "webhook-delivery"

// Webhook queue settings: a message is received WebhookMaxReceives times
// before it goes to the DLQ (an attempt that could not even be recorded);
// receivers' failures are retried by the function itself on the schedule
// of internal/webhook (delays beyond SQS's 15 minutes are carried in the
// message).
const (
	WebhookMaxReceives     = 5
	webhookDeliveryTimeout = 30 // seconds: a receiver gets 10 s, storage the rest
)

// Webhooks are the webhook delivery parts.
type Webhooks struct {
	Queue, DLQ awssqs.Queue
	Delivery   *gofunction.Function
}

// webhookQueueName is the queue's physical name: the Platinum tenant
// stacks' activity consumers send to it by name.
func webhookQueueName(prefix string) string { return prefix + "-webhooks" }

// webhookQueueARN and webhookQueueURL name the platform's webhook queue
// from any stack of the deployment.
func webhookQueueARN(st awscdk.Stack, prefix string) *string {
	return st.FormatArn(&awscdk.ArnComponents{Service: jsii.String("sqs"), Resource: jsii.String(webhookQueueName(prefix)),
		ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME})
}

func webhookQueueURL(st awscdk.Stack, prefix string) *string {
	return webhookQueueURLIn(st, *st.Account(), prefix)
}

// webhookQueueURLIn is the URL of the platform's webhook queue in account
// (a tenant stack in the tenant's own account names the platform's).
func webhookQueueURLIn(st awscdk.Stack, account, prefix string) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://sqs."), st.Region(), jsii.String("."), st.UrlSuffix(),
		jsii.String("/" + account + "/" + webhookQueueName(prefix))})
}

// webhookItemActions are what the activity consumer (first attempts) and
// the delivery function (attempts, failure counts) do to webhook items.
var webhookItemActions = []string{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"}

// grantWebhookItems lets role read and write the webhook items
// (webhookdb.LeadingKeysPatterns) of the tables resources.
func grantWebhookItems(role awsiam.IRole, sid string, resources *[]*string) {
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String(sid), Actions: jsii.Strings(webhookItemActions...), Resources: resources,
		Conditions: &map[string]interface{}{
			"ForAllValues:StringLike": map[string]interface{}{"dynamodb:LeadingKeys": webhookdb.LeadingKeysPatterns},
			"Null":                    map[string]interface{}{"dynamodb:LeadingKeys": "false"},
		},
	}))
}

// grantWebhookQueue lets role queue attempts (by the queue's ARN).
func grantWebhookQueue(role awsiam.IRole, arn *string) {
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("QueueWebhookAttempts"), Actions: jsii.Strings("sqs:SendMessage"), Resources: &[]*string{arn},
	}))
}

// addCollaboration builds the nested stack: the webhook queue with its
// DLQ (redrive after WebhookMaxReceives), the delivery function on the
// queue (partial batch failures), and its grants: webhook items and users
// (the admins' mail) of the pooled and the Platinum tables, SES from the
// platform's address; the comments function (redelivery) and the activity
// consumer (first attempts) may send to the queue. Alarms: the DLQ's first
// message, the function's errors and duration.
func (p *Platform) addCollaboration() {
	n := awscdk.NewNestedStack(p.Stack, jsii.String(CollaborationStackID), &awscdk.NestedStackProps{
		Description: jsii.String("IssueTracker platform: webhook queue and delivery, notification mail schedule"),
	})
	p.Collaboration = n
	w := &Webhooks{}
	p.Webhooks = w
	w.DLQ = awssqs.NewQueue(n, jsii.String("WebhookDLQ"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED, EnforceSSL: jsii.Bool(true), RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	w.Queue = awssqs.NewQueue(n, jsii.String("WebhookQueue"), &awssqs.QueueProps{
		QueueName:  jsii.String(webhookQueueName(p.Config.Prefix)),
		Encryption: awssqs.QueueEncryption_SQS_MANAGED, EnforceSSL: jsii.Bool(true),
		// Six times the function's timeout, as Lambda advises for SQS sources.
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(6 * webhookDeliveryTimeout)),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(4)),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: w.DLQ, MaxReceiveCount: jsii.Number(WebhookMaxReceives)},
	})
	w.Delivery = gofunction.New(n, "WebhookDelivery", &gofunction.Props{Name: WebhookDeliveryFunction, RepoRoot: p.root(),
		FunctionName: p.Config.Prefix + "-" + WebhookDeliveryFunction,
		RoleName:     p.Config.tenantTableReaderRoleName(WebhookDeliveryFunction),
		Description:  "IssueTracker webhook delivery: one signed attempt per queue message",
		Timeout:      awscdk.Duration_Seconds(jsii.Number(webhookDeliveryTimeout))})
	fn := w.Delivery
	fn.Function.AddEventSource(awslambdaeventsources.NewSqsEventSource(w.Queue, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize: jsii.Number(10), ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency: jsii.Number(20), // receivers are strangers' servers: bounded fan-out
	}))
	silos := p.Stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("dynamodb"),
		Resource: jsii.String("table"), ResourceName: jsii.String(p.Config.Prefix + "-tenant-*")})
	tables := &[]*string{p.Pooled.Table.TableArn(), silos}
	grantWebhookItems(fn.Role, "WebhookItemsOnly", tables)
	// The admins to mail when an endpoint is disabled: the users list (the
	// users index of the tenant, T#<t>#USERS).
	fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ListUsersForAdminMail"), Actions: jsii.Strings("dynamodb:Query"),
		Resources: &[]*string{jsii.String(*p.Pooled.Table.TableArn() + "/index/*"), jsii.String(*silos + "/index/*")},
		Conditions: &map[string]interface{}{
			"ForAllValues:StringLike": map[string]interface{}{"dynamodb:LeadingKeys": []string{"T#*#USERS"}},
			"Null":                    map[string]interface{}{"dynamodb:LeadingKeys": "false"},
		},
	}))
	// Tier migrations (docs/migration.md "The webhook worker"): the
	// tenant's home, frozen or not, from its record in the control table,
	// and the key log of a tenant being copied.
	fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadTenantHomes"), Actions: jsii.Strings("dynamodb:GetItem"), Resources: &[]*string{p.Control.Table.TableArn()},
		Conditions: &map[string]interface{}{
			"ForAllValues:StringLike": map[string]interface{}{"dynamodb:LeadingKeys": []string{schema.ControlTenant + "*"}},
			"Null":                    map[string]interface{}{"dynamodb:LeadingKeys": "false"},
		},
	}))
	fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("WriteMigrationKeyLog"), Actions: jsii.Strings("dynamodb:PutItem"), Resources: tables,
		Conditions: &map[string]interface{}{
			"ForAllValues:StringLike": map[string]interface{}{"dynamodb:LeadingKeys": []string{keylog.LeadingKeysPattern}},
			"Null":                    map[string]interface{}{"dynamodb:LeadingKeys": "false"},
		},
	}))
	grantWebhookQueue(fn.Role, w.Queue.QueueArn())
	p.grantMail(fn)
	for k, v := range map[string]*string{
		envvars.TablePrefix: jsii.String(p.Config.Prefix), envvars.WebhookQueueURL: w.Queue.QueueUrl(),
		envvars.MailSender: jsii.String(itrmail.SenderSES), envvars.MailFrom: jsii.String(p.Config.MailFrom),
		envvars.WebBaseURL: jsii.String(p.Config.WebOrigin),
	} {
		fn.Function.AddEnvironment(jsii.String(k), v, nil)
	}
	// The queue's users in the platform stack (by name: no reference back
	// into the nested stack from the parent's functions).
	grantWebhookQueue(p.Functions[string(routes.FnComments)].Role, webhookQueueARN(p.Stack, p.Config.Prefix))

	p.Monitoring.WatchFunction(WebhookDeliveryFunction, fn.Function, fn.Timeout)
	p.Monitoring.WatchQueue("webhooks-dlq", w.DLQ,
		"A webhook attempt failed WebhookMaxReceives times before it could be recorded (storage or queue errors, not a receiver's answer): see the delivery function's logs, then move the messages back to the queue")
	suppress(w.DLQ, why{"AwsSolutions-SQS3", "This queue is itself the webhook queue's dead-letter queue; an alarm fires on its first message.", nil})
	suppress(fn.Role, why{"AwsSolutions-IAM5",
		"X-Ray's PutTraceSegments/PutTelemetryRecords take no resource; the Platinum tenants' tables (<prefix>-tenant-*) are named at onboarding, and index ARNs (index/*) are read for the users list only, all under dynamodb:LeadingKeys conditions (webhook items; T#*#USERS).",
		[]string{"Resource::*", `/^Resource::<[A-Za-z0-9]+(\.Arn|Arn)>\/index\/\*$/`, `/^Resource::arn:[^:]+:dynamodb:.*:table\/.*-tenant-\*(\/index\/\*)?$/`}})
}
