package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/internal/project"
	"github.com/issuetracker/issuetracker/internal/routes"
)

// TrackerMaintenanceSchedule is the construct id of the rule that invokes
// the issues function with its periodic job (trackerwire.Maintain: the
// status deletions nobody drives any more are resumed as their tenant).
const TrackerMaintenanceSchedule = "TrackerMaintenance"

// wireTrackerMaintenance adds the schedule of the issues function's
// periodic job, {"job": "maintain-tracker"}, every
// project.MaintainMinutes. Its grants are the issues function's own:
// the tenant access role it already assumes per tenant, and the
// heartbeats' partition of the control table (internal/access).
func (p *Platform) wireTrackerMaintenance() {
	fn, ok := p.Functions[string(routes.FnIssues)]
	if !ok {
		return
	}
	awsevents.NewRule(p.Collaboration, jsii.String(TrackerMaintenanceSchedule), &awsevents.RuleProps{
		Description: jsii.String("Every minute: the issues function resumes the status deletions nobody drives any more"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(project.MaintainMinutes))),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn.Function, &awseventstargets.LambdaFunctionProps{
			Event: awsevents.RuleTargetInput_FromObject(map[string]any{"job": project.JobMaintain}),
			// The next run comes in a minute: no retries pile up.
			RetryAttempts: jsii.Number(0),
		})},
	})
}
