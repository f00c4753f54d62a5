package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// BillingFunction is the function of usage, billing and the webhook.
var BillingFunction = string(routes.FnBilling)

// BillingAdmitters are the functions whose lifecycle admits registrations
// by billing's rules (registration: verification; tenants: Root's
// approval and retries; onboarding: resumed runs; billing: payments).
var BillingAdmitters = functionsNeeding(envvars.BillingProvider)

// Schedules of the billing function: the jobs internal/app runs.
const (
	HourlySchedule       = "BillingHourly"
	MonthlyCloseSchedule = "BillingMonthlyClose"
)

// Billing is what the platform adds for Stripe: the two secrets only the
// billing function may read, the schedules that invoke it, and their
// dead-letter queue.
type Billing struct {
	constructs.Construct
	// APIKey and WebhookSecret hold Stripe's secret API key and the webhook
	// endpoint's signing secret. The stack creates them with a random
	// placeholder; the operator puts the real values (docs/billing.md).
	APIKey, WebhookSecret awssecretsmanager.Secret
	Hourly, MonthlyClose  awsscheduler.Schedule
	// JobsDLQ keeps job invocations the scheduler could not deliver.
	JobsDLQ       awssqs.Queue
	SchedulerRole awsiam.Role
}

func suppressBilling(p *Platform) {
	b := p.BillingParts
	if b == nil {
		return
	}
	for _, s := range []awssecretsmanager.Secret{b.APIKey, b.WebhookSecret} {
		suppress(s, why{"AwsSolutions-SMG4",
			"Stripe issues and rolls its API keys and webhook signing secrets in its dashboard; no rotation function can create one. The operator puts the new value after rolling it (docs/billing.md).", nil})
	}
	suppress(b.JobsDLQ, why{"AwsSolutions-SQS3",
		"This queue is itself the dead-letter queue of the billing schedules (EventBridge Scheduler DeadLetterConfig); an alarm fires on its first message.", nil})
	suppress(b.SchedulerRole, why{"AwsSolutions-IAM5",
		"The scheduler may invoke the billing function and its versions (<function arn>:*), the grant CDK's LambdaInvoke target makes; nothing else.",
		[]string{`/^Resource::<FnbillingFunction[0-9A-F]+\.Arn>:\*$/`}})
	if fn, ok := p.Functions[BillingFunction]; ok {
		suppress(fn.Role, why{"AwsSolutions-IAM5",
			"A plan change moves the tenant's API key (created at run time, id unknown here) to the tier's usage plan: keys and usage-plan keys are granted by path, plan ids by the SSM path.",
			[]string{`/^Resource::arn:<AWS::Partition>:apigateway:.*::\/(apikeys|usageplans)\/.*$/`,
				`/^Resource::arn:<AWS::Partition>:ssm:.*:parameter\/.*\/usage-plans\/\*$/`}})
	}
}

// wireBilling gives the billing function its secrets (read lazily at run
// time, by ARN), the billing admission to every function that admits
// registrations, the lifecycle grants billing's payments need (an event to
// start onboarding, the API key's usage plan on a tier change), and the
// hourly and monthly schedules.
func (p *Platform) wireBilling() {
	fn, ok := p.Functions[BillingFunction]
	if !ok {
		return
	}
	c := constructs.NewConstruct(p.Stack, jsii.String("Billing"))
	b := &Billing{Construct: c}
	p.BillingParts = b
	secret := func(id, desc string) awssecretsmanager.Secret {
		return awssecretsmanager.NewSecret(c, jsii.String(id), &awssecretsmanager.SecretProps{
			SecretName:    jsii.String(p.Config.Prefix + "/stripe/" + id),
			Description:   jsii.String(desc),
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
	}
	b.APIKey = secret("api-key", "Stripe secret API key of IssueTracker (set it after the first deploy; only the billing function reads it)")
	b.WebhookSecret = secret("webhook-signing-secret", "Signing secret of the Stripe webhook endpoint /v1/billing/webhook (only the billing function reads it)")
	b.APIKey.GrantRead(fn.Role, nil)
	b.WebhookSecret.GrantRead(fn.Role, nil)
	// The secrets' ARNs and the billing admission of the functions that
	// admit registrations are environment (internal/envvars); a payment's
	// event (starting onboarding) and the move of a tenant's API key to
	// its tier's plan are grants of its contract (grant).

	b.JobsDLQ = awssqs.NewQueue(c, jsii.String("JobsDLQ"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED, EnforceSSL: jsii.Bool(true), RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	// The schedules' own role: it may invoke the billing function and drop
	// undeliverable invocations in the DLQ, nothing else.
	b.SchedulerRole = awsiam.NewRole(c, jsii.String("SchedulerRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), nil),
		Description: jsii.String("EventBridge Scheduler: invokes the billing function's jobs"),
	})
	target := func(job string) *awsschedulertargets.LambdaInvoke {
		t := awsschedulertargets.NewLambdaInvoke(fn.Function, &awsschedulertargets.ScheduleTargetBaseProps{
			Input:           awsscheduler.ScheduleTargetInput_FromObject(map[string]any{"job": job}),
			RetryAttempts:   jsii.Number(3),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(1)),
			DeadLetterQueue: b.JobsDLQ,
			Role:            b.SchedulerRole,
		})
		return &t
	}
	b.Hourly = awsscheduler.NewSchedule(c, jsii.String(HourlySchedule), &awsscheduler.ScheduleProps{
		ScheduleName: jsii.String(p.Config.Prefix + "-billing-hourly"),
		Description:  jsii.String("Suspends workspaces whose grace period ran out, records seats, mails usage thresholds"),
		Schedule:     awsscheduler.ScheduleExpression_Rate(awscdk.Duration_Hours(jsii.Number(1))),
		Target:       *target(billing.JobHourly),
	})
	b.MonthlyClose = awsscheduler.NewSchedule(c, jsii.String(MonthlyCloseSchedule), &awsscheduler.ScheduleProps{
		ScheduleName: jsii.String(p.Config.Prefix + "-billing-monthly-close"),
		Description:  jsii.String("Records the month that ended: MRR and churn per tier"),
		Schedule: awsscheduler.ScheduleExpression_Cron(&awsscheduler.CronOptionsWithTimezone{
			Day: jsii.String("1"), Hour: jsii.String("0"), Minute: jsii.String("5"), TimeZone: awscdk.TimeZone_ETC_UTC()}),
		Target: *target(billing.JobMonthlyClose),
	})
}
