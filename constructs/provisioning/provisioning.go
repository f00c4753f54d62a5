// Package provisioning deploys and destroys Platinum tenants' stacks:
// onboarding and offboarding events on the platform's EventBridge bus start a
// Step Functions execution that runs `cdk deploy` / `cdk destroy` of
// IssueTracker-Tenant-<id> in CodeBuild, then reports the outcome on the bus.
package provisioning

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/internal/stackevents"
)

// The event contract with onboarding (package internal/stackevents, which
// the Lambda functions import without the CDK library). Requests carry
// detail {"tenantId": id}; reports carry {"tenantId", "action", "status", "error"?}.
const (
	SourceOnboarding   = stackevents.SourceOnboarding
	SourceProvisioning = stackevents.SourceProvisioning

	DetailTypeDeployRequested  = stackevents.DetailTypeDeployRequested
	DetailTypeDestroyRequested = stackevents.DetailTypeDestroyRequested
	DetailTypeSucceeded        = stackevents.DetailTypeSucceeded
	DetailTypeFailed           = stackevents.DetailTypeFailed

	ActionDeploy  = stackevents.ActionDeploy
	ActionDestroy = stackevents.ActionDestroy
)

// Props configures Provisioning.
type Props struct {
	// SourceDir is the repository checkout CodeBuild runs the CDK app from,
	// uploaded as an asset. Required.
	SourceDir string
	// BusName of the event bus. Default: "issuetracker".
	BusName string
	// StackNamePrefix of tenant stacks. Default: "IssueTracker-Tenant-".
	StackNamePrefix string
	// CDKQualifier of the account's bootstrap. Default: "hnb659fds".
	CDKQualifier string
	// Timeout of one deploy or destroy. Default: 30 minutes.
	Timeout awscdk.Duration
	// Context passed to the CDK app as -c key=value (prefix, webOrigin, ...).
	Context map[string]string
	// TrustingAccounts are the accounts of Platinum tenants in accounts of
	// their own, bootstrapped with `cdk bootstrap --trust <this account>`:
	// the build may assume their CDK bootstrap roles too. Default: none.
	TrustingAccounts []string
}

// Provisioning is the bus, the state machine and the build project.
type Provisioning struct {
	constructs.Construct
	Bus          awsevents.EventBus
	StateMachine awsstepfunctions.StateMachine
	Project      awscodebuild.Project
}

// New defines the provisioning pipeline.
func New(scope constructs.Construct, id string, props *Props) *Provisioning {
	if props == nil || props.SourceDir == "" {
		panic(fmt.Sprintf("provisioning %s: SourceDir is required", id))
	}
	p := withDefaults(*props)
	c := constructs.NewConstruct(scope, jsii.String(id))
	out := &Provisioning{Construct: c}
	out.Bus = awsevents.NewEventBus(c, jsii.String("Bus"), &awsevents.EventBusProps{EventBusName: jsii.String(p.BusName)})
	out.Project = newBuildProject(c, p)
	out.StateMachine = newStateMachine(c, out.Bus, out.Project)
	addRequestRules(c, out.Bus, out.StateMachine)
	return out
}

// withDefaults fills the optional props.
func withDefaults(p Props) Props {
	if p.BusName == "" {
		p.BusName = "issuetracker"
	}
	if p.StackNamePrefix == "" {
		p.StackNamePrefix = "IssueTracker-Tenant-"
	}
	if p.CDKQualifier == "" {
		p.CDKQualifier = "hnb659fds"
	}
	if p.Timeout == nil {
		p.Timeout = awscdk.Duration_Minutes(jsii.Number(30))
	}
	return p
}

// newBuildProject is the CodeBuild project that runs `cdk deploy` or `cdk
// destroy` of one tenant stack from the repository's source, assuming only
// the account's CDK bootstrap roles.
func newBuildProject(c constructs.Construct, p Props) awscodebuild.Project {
	stack := awscdk.Stack_Of(c)
	source := awss3assets.NewAsset(c, jsii.String("Source"), &awss3assets.AssetProps{
		Path: jsii.String(p.SourceDir),
		Exclude: jsii.Strings(".git", "node_modules", "cdk.out", ".local", "web/node_modules", "web/dist",
			"**/testdata", "*.test", "*.out.json"),
	})
	ctx := ""
	for _, k := range slices.Sorted(maps.Keys(p.Context)) {
		ctx += fmt.Sprintf(" -c %s=%s", k, p.Context[k])
	}
	key := awskms.NewKey(c, jsii.String("BuildKey"), &awskms.KeyProps{
		Description: jsii.String("Encrypts the tenant stack build's artifacts and logs"), EnableKeyRotation: jsii.Bool(true),
	})
	logs := awslogs.NewLogGroup(c, jsii.String("BuildLogs"), &awslogs.LogGroupProps{Retention: awslogs.RetentionDays_THREE_MONTHS})
	project := awscodebuild.NewProject(c, jsii.String("Deployer"), &awscodebuild.ProjectProps{
		Description:   jsii.String("cdk deploy / destroy of one tenant stack"),
		Source:        awscodebuild.Source_S3(&awscodebuild.S3SourceProps{Bucket: source.Bucket(), Path: source.S3ObjectKey()}),
		EncryptionKey: key,
		Timeout:       p.Timeout,
		Environment: &awscodebuild.BuildEnvironment{
			BuildImage:  awscodebuild.LinuxBuildImage_STANDARD_7_0(),
			ComputeType: awscodebuild.ComputeType_MEDIUM,
			Privileged:  jsii.Bool(false),
		},
		Logging: &awscodebuild.LoggingOptions{CloudWatch: &awscodebuild.CloudWatchLoggingOptions{LogGroup: logs}},
		BuildSpec: awscodebuild.BuildSpec_FromObject(&map[string]interface{}{
			"version": "0.2",
			"env": map[string]interface{}{"variables": map[string]string{
				"GOTOOLCHAIN": "auto", "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
			}},
			"phases": map[string]interface{}{
				"install": map[string]interface{}{"commands": []string{"make node_modules/.installed"}},
				"build": map[string]interface{}{"commands": []string{
					`case "$TENANT_ID" in ""|*[!a-z0-9-]*) echo "bad tenant id '$TENANT_ID'"; exit 2;; esac`,
					`if [ "$ACTION" = "destroy" ]; then node_modules/.bin/cdk destroy --force -c tenant=$TENANT_ID` + ctx + ` ` + p.StackNamePrefix + `$TENANT_ID; ` +
						`else node_modules/.bin/cdk deploy --require-approval never -c tenant=$TENANT_ID` + ctx + ` ` + p.StackNamePrefix + `$TENANT_ID; fi`,
				}},
			},
		}),
	})
	// Least privilege: the build only assumes the account's CDK bootstrap
	// roles (deploy, asset publishing, lookups); CloudFormation does the rest
	// with the bootstrap's execution role.
	bootstrapRoles := []*string{stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("iam"), Region: jsii.String(""), Resource: jsii.String("role"),
		ResourceName: jsii.String(fmt.Sprintf("cdk-%s-*-%s-%s", p.CDKQualifier, *stack.Account(), *stack.Region())),
	})}
	for _, account := range p.TrustingAccounts {
		// The tenant account's bootstrap roles trust this account (--trust).
		bootstrapRoles = append(bootstrapRoles, stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("iam"), Region: jsii.String(""), Account: jsii.String(account), Resource: jsii.String("role"),
			ResourceName: jsii.String(fmt.Sprintf("cdk-%s-*-%s-%s", p.CDKQualifier, account, *stack.Region())),
		}))
	}
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("sts:AssumeRole", "sts:TagSession"), Resources: &bootstrapRoles,
	}))
	project.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("ssm:GetParameter"),
		Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("ssm"), Resource: jsii.String("parameter"),
			ResourceName: jsii.String("cdk-bootstrap/" + p.CDKQualifier + "/version"),
		})},
	}))
	return project
}

// newStateMachine runs one build per request and reports its outcome on the
// bus (Tenant Stack Succeeded / Failed), which onboarding waits for.
func newStateMachine(c constructs.Construct, bus awsevents.EventBus, project awscodebuild.Project) awsstepfunctions.StateMachine {
	report := func(name, detailType, status string, withError bool) awsstepfunctionstasks.EventBridgePutEvents {
		detail := map[string]interface{}{
			"tenantId": awsstepfunctions.JsonPath_StringAt(jsii.String("$.tenantId")),
			"action":   awsstepfunctions.JsonPath_StringAt(jsii.String("$.action")),
			"status":   status,
		}
		if withError {
			detail["error"] = awsstepfunctions.JsonPath_StringAt(jsii.String("$.failure.Error"))
		}
		return awsstepfunctionstasks.NewEventBridgePutEvents(c, jsii.String(name), &awsstepfunctionstasks.EventBridgePutEventsProps{
			Entries: &[]*awsstepfunctionstasks.EventBridgePutEventsEntry{{
				EventBus: bus, Source: jsii.String(SourceProvisioning), DetailType: jsii.String(detailType),
				Detail: awsstepfunctions.TaskInput_FromObject(&detail),
			}},
			ResultPath: awsstepfunctions.JsonPath_DISCARD(),
		})
	}
	build := awsstepfunctionstasks.NewCodeBuildStartBuild(c, jsii.String("RunCdk"), &awsstepfunctionstasks.CodeBuildStartBuildProps{
		Project:            project,
		IntegrationPattern: awsstepfunctions.IntegrationPattern_RUN_JOB,
		EnvironmentVariablesOverride: &map[string]*awscodebuild.BuildEnvironmentVariable{
			"TENANT_ID": {Value: awsstepfunctions.JsonPath_StringAt(jsii.String("$.tenantId"))},
			"ACTION":    {Value: awsstepfunctions.JsonPath_StringAt(jsii.String("$.action"))},
		},
		ResultPath: awsstepfunctions.JsonPath_DISCARD(),
	})
	failed := report("ReportFailure", DetailTypeFailed, "failed", true).
		Next(awsstepfunctions.NewFail(c, jsii.String("Failed"), &awsstepfunctions.FailProps{Error: jsii.String("TenantStackFailed")}))
	build.AddCatch(failed, &awsstepfunctions.CatchProps{ResultPath: jsii.String("$.failure")})
	definition := build.Next(report("ReportSuccess", DetailTypeSucceeded, "succeeded", false))

	sfnLogs := awslogs.NewLogGroup(c, jsii.String("StateMachineLogs"), &awslogs.LogGroupProps{Retention: awslogs.RetentionDays_THREE_MONTHS})
	return awsstepfunctions.NewStateMachine(c, jsii.String("StateMachine"), &awsstepfunctions.StateMachineProps{
		DefinitionBody: awsstepfunctions.DefinitionBody_FromChainable(definition),
		Timeout:        awscdk.Duration_Hours(jsii.Number(1)),
		TracingEnabled: jsii.Bool(true),
		Logs:           &awsstepfunctions.LogOptions{Destination: sfnLogs, Level: awsstepfunctions.LogLevel_ALL, IncludeExecutionData: jsii.Bool(true)},
	})
}

// addRequestRules start the state machine on onboarding's deploy and
// destroy requests.
func addRequestRules(c constructs.Construct, bus awsevents.EventBus, sm awsstepfunctions.StateMachine) {
	for _, r := range []struct{ id, detailType, action string }{
		{"OnDeployRequested", DetailTypeDeployRequested, ActionDeploy},
		{"OnDestroyRequested", DetailTypeDestroyRequested, ActionDestroy},
	} {
		awsevents.NewRule(c, jsii.String(r.id), &awsevents.RuleProps{
			EventBus: bus,
			EventPattern: &awsevents.EventPattern{
				Source: jsii.Strings(SourceOnboarding), DetailType: jsii.Strings(r.detailType),
			},
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSfnStateMachine(sm, &awseventstargets.SfnStateMachineProps{
				Input: awsevents.RuleTargetInput_FromObject(map[string]interface{}{
					"tenantId": awsevents.EventField_FromPath(jsii.String("$.detail.tenantId")),
					"action":   r.action,
				}),
			})},
		})
	}
}
