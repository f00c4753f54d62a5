package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/provisioning"
	"github.com/issuetracker/issuetracker/internal/stackevents"
)

// OnStackOutcome is the construct id of the rule that sends the provisioning
// pipeline's outcomes to the onboarding function.
const OnStackOutcome = "OnTenantStackOutcome"

// wireLifecycle adds the rule that invokes the onboarding function with
// lifecycle run requests and the provisioning pipeline's outcomes (what
// each function may put on the bus is in grant).
func (p *Platform) wireLifecycle() {
	onboarding, ok := p.Functions[OnboardingFunction]
	if !ok {
		return
	}
	awsevents.NewRule(p.Provisioning.Construct, jsii.String(OnStackOutcome), &awsevents.RuleProps{
		EventBus:    p.Provisioning.Bus,
		Description: jsii.String("Lifecycle run requests start, and tenant stack outcomes resume or fail, the onboarding function's runs"),
		// The pipeline's outcomes, and the API's requests to run a tenant's
		// lifecycle (registration, offboarding) out of the request.
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(provisioning.SourceProvisioning, stackevents.SourceLifecycle),
			DetailType: jsii.Strings(provisioning.DetailTypeSucceeded, provisioning.DetailTypeFailed, stackevents.DetailTypeRunRequested),
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(onboarding.Function, &awseventstargets.LambdaFunctionProps{
			RetryAttempts: jsii.Number(8), MaxEventAge: awscdk.Duration_Hours(jsii.Number(6)),
			// An outcome that still fails after the retries is kept, not lost:
			// the alarm on the queue tells the operator to replay it (or Root
			// retries the onboarding, which asks CloudFormation again).
			DeadLetterQueue: p.outcomesDLQ(),
		})},
	})
}

// MaintenanceSchedule is the construct id of the rule that invokes the
// onboarding function with the lifecycle's periodic job
// (onboarding.Service.Maintain) every MaintenanceMinutes.
const MaintenanceSchedule = "LifecycleMaintenance"

// MaintenanceMinutes is how often the lifecycle's periodic job runs: a
// run that died (a function timed out mid-step) resumes within this after
// its lease, and an old home is deleted within this after its grace period.
const MaintenanceMinutes = 5

// wireMaintenance adds the schedule of the lifecycle's periodic job: the
// onboarding function gets {"source": lifecycle, "detail-type":
// "Lifecycle Maintenance Due"}, the same shape as a bus event.
func (p *Platform) wireMaintenance() {
	onboarding, ok := p.Functions[OnboardingFunction]
	if !ok {
		return
	}
	awsevents.NewRule(p.Provisioning.Construct, jsii.String(MaintenanceSchedule), &awsevents.RuleProps{
		Description: jsii.String("Every few minutes: resume lifecycle runs that died, retire old homes after a tier migration's grace period"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(MaintenanceMinutes))),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(onboarding.Function, &awseventstargets.LambdaFunctionProps{
			Event: awsevents.RuleTargetInput_FromObject(map[string]any{"source": stackevents.SourceLifecycle,
				"detail-type": stackevents.DetailTypeMaintenanceDue, "detail": map[string]any{}}),
			// The next run comes in a few minutes: no retries pile up.
			RetryAttempts: jsii.Number(0),
		})},
	})
}

// outcomesDLQ keeps stack outcomes the onboarding function could not take
// (monitoring alarms as soon as one is there: WatchQueue).
func (p *Platform) outcomesDLQ() awssqs.IQueue {
	p.OutcomesDLQ = awssqs.NewQueue(p.Provisioning.Construct, jsii.String("OutcomesDLQ"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	return p.OutcomesDLQ
}
