package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/issuetracker/issuetracker/constructs/streamconsumer"
)

// ApplyNag runs the cdk-nag AwsSolutions checks on everything in app.
// Findings become error and warning annotations; `cdk synth` fails on errors.
func ApplyNag(app awscdk.App) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// why is one suppression: the rule, the reason it does not apply here and,
// for granular rules, which findings (literal, or /regex/) it covers.
type why struct {
	rule, reason string
	appliesTo    []string
}

func suppress(scope any, ws ...why) {
	cdknag.NagSuppressions_AddResourceSuppressions(scope, suppressions(ws), jsii.Bool(true))
}

func suppressions(ws []why) *[]*cdknag.NagPackSuppression {
	s := make([]*cdknag.NagPackSuppression, len(ws))
	for i, w := range ws {
		s[i] = &cdknag.NagPackSuppression{Id: jsii.String(w.rule), Reason: jsii.String(w.reason)}
		if len(w.appliesTo) > 0 {
			var at []interface{}
			for _, a := range w.appliesTo {
				if len(a) > 1 && a[0] == '/' {
					at = append(at, &cdknag.RegexAppliesTo{Regex: jsii.String(a)})
				} else {
					at = append(at, a)
				}
			}
			s[i].AppliesTo = &at
		}
	}
	return &s
}

// suppressPath suppresses findings on a resource that only a path names
// (CDK's singleton providers).
func suppressPath(st awscdk.Stack, path string, ws ...why) {
	cdknag.NagSuppressions_AddResourceSuppressionsByPath(st, jsii.String(path), suppressions(ws), jsii.Bool(true))
}

var smsRole = why{"AwsSolutions-IAM5",
	"Cognito's SMS role must publish to phone numbers, which have no ARN; the role is only assumable by Cognito with an external id.",
	[]string{"Resource::*"}}

func suppressPlatform(p *Platform) {
	suppress(p.TenantPool.UserPool, smsRole, why{"AwsSolutions-COG8",
		"The shared pool serves Basic to Premium tenants on the Essentials plan: Plus is billed per MAU for every pooled user. Dedicated Platinum pools and the provider pool use Plus.", nil})
	suppress(p.ProviderPool.UserPool, smsRole)
	suppress(p.CursorKey, why{"AwsSolutions-SMG4",
		"The list cursor key is a random HMAC key with no external party: rotating it only invalidates cursors in flight (a client restarts its list); it is replaced by recreating the secret, so no rotation function is deployed.", nil})
	for _, fn := range p.Functions {
		suppress(fn.Role, why{"AwsSolutions-IAM5",
			"X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; queries on the control table's own indexes need index/*.",
			[]string{"Resource::*", `/^Resource::<ControlTable[0-9A-F]+\.Arn>\/index\/\*$/`}})
	}
	for _, name := range append([]string{"users"}, lifecycleRunners...) {
		if fn, ok := p.Functions[name]; ok {
			suppress(fn.Role, why{"AwsSolutions-IAM5",
				"Tenant API keys and dedicated Platinum pools are created at run time, so their ids are unknown here: keys and usage-plan keys are granted by path, dedicated pools by the issuetracker:tenant-pool resource tag, plan ids by the SSM path.",
				[]string{`/^Resource::arn:<AWS::Partition>:apigateway:.*::\/(apikeys|usageplans)\/.*$/`,
					`/^Resource::arn:<AWS::Partition>:cognito-idp:.*:userpool\/\*$/`,
					`/^Resource::arn:<AWS::Partition>:ssm:.*:parameter\/.*\/usage-plans\/\*$/`}})
		}
	}
	for _, name := range lifecycleRunners {
		if fn, ok := p.Functions[name]; ok {
			suppress(fn.Role, why{"AwsSolutions-IAM5",
				"Platinum tenant stacks are created at run time: DescribeStacks (their status and outputs, nothing else) is granted on the IssueTracker-Tenant-* stack name pattern.",
				[]string{`/^Resource::arn:<AWS::Partition>:cloudformation:.*:stack\/IssueTracker-Tenant-\*\/\*$/`}})
		}
	}
	if fn, ok := p.Functions[AuthorizerFunction]; ok {
		suppress(fn.Role, why{"AwsSolutions-IAM5",
			"Dedicated Platinum pools are created at run time: the authorizer may AdminGetUser (read MFA state) only in pools carrying the issuetracker:tenant-pool tag.",
			[]string{`/^Resource::arn:<AWS::Partition>:cognito-idp:.*:userpool\/\*$/`}})
	}
	if fn, ok := p.Functions["tenants"]; ok {
		suppress(fn.Role, why{"AwsSolutions-IAM5",
			"Offboarding reads a Platinum tenant's whole own table; those tables are created per tenant at run time and share the issuetracker-tenant-* name. Read-only Scan; deletes go through the tenant-scoped role.",
			[]string{`/^Resource::arn:<AWS::Partition>:dynamodb:.*:table\/.*-tenant-\*$/`}})
	}
	suppress(p.TenantAccess.Role, why{"AwsSolutions-IAM5",
		"ABAC by design: a tenant session reaches its own silo table by name pattern and the pooled table's indexes, always under the dynamodb:LeadingKeys condition on its TenantId tag.",
		[]string{`/^Resource::<PooledTable[0-9A-F]+\.Arn>\/index\/\*$/`, `/^Resource::arn:<AWS::Partition>:dynamodb:.*:table\/.*-tenant-<aws:PrincipalTag\/TenantId>(\/index\/\*)?$/`}})

	suppress(p.API.RestAPI,
		why{"AwsSolutions-APIG2", "Every integration is a Lambda proxy whose handler validates the request and answers RFC 9457 problem+json; gateway models would duplicate the domain validation.", nil},
		why{"AwsSolutions-IAM4", "AmazonAPIGatewayPushToCloudWatchLogs is the AWS-maintained policy for the account's API Gateway logging role and is scoped to log delivery.",
			[]string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}},
		why{"AwsSolutions-COG4", "Tokens come from the shared pool, the provider pool and one pool per Platinum tenant: the Lambda authorizer verifies them against the tenant registry, which a Cognito authorizer (one fixed pool list) cannot do.", nil},
	)
	suppressProvisioning(p)
	suppressBilling(p)
	suppressConsumer(p.StreamAnalytics)
	suppressConsumer(p.StreamActivity)
	suppressActivity(p.StreamActivity, true)
	suppress(p.Exports.AccessLogs, why{"AwsSolutions-S1", "This is the exports bucket's server access log target; logging it to itself would loop.", nil})
	for _, name := range offboarders {
		if fn, ok := p.Functions[name]; ok {
			suppress(fn.Role, why{"AwsSolutions-IAM5",
				"Offboarding writes one export object per tenant and time, so its key is known only at run time: PutObject on the exports bucket's objects, nothing else.",
				[]string{`/^Resource::<ExportsBucket[0-9A-F]+\.Arn>\/\*$/`}})
		}
	}
	for key, m := range p.API.Methods {
		if isPublic(key) {
			suppress(m, why{"AwsSolutions-APIG4", "Public by the route table (internal/routes): health, tier catalog and sign-up need no caller; the stage throttle still applies.", nil})
		}
	}
}

func suppressProvisioning(p *Platform) {
	if p.OutcomesDLQ != nil {
		suppress(p.OutcomesDLQ, why{"AwsSolutions-SQS3",
			"This queue is itself the dead-letter queue of the stack-outcome rule's target (EventBridge DeadLetterConfig, which cdk-nag does not see); a DLQ of it would only move the same messages. An alarm fires on its first message.", nil})
	}
	suppress(p.Provisioning.Project, why{"AwsSolutions-IAM5",
		"CDK-generated grants scoped to this project: read of its source asset (s3 Get*/List* on the asset object), its KMS key, its own log group and report groups; assuming the account's CDK bootstrap roles (cdk-<qualifier>-*), the least a `cdk deploy` needs.",
		[]string{"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*", "Action::s3:GetBucket*", "Action::s3:GetObject*", "Action::s3:List*",
			`/^Resource::arn:<AWS::Partition>:codebuild:.*:report-group\/<ProvisioningDeployer[0-9A-F]+>-\*$/`,
			`/^Resource::arn:<AWS::Partition>:logs:.*:log-group:\/aws\/codebuild\/<ProvisioningDeployer[0-9A-F]+>:\*$/`,
			`/^Resource::arn:<AWS::Partition>:iam::.*:role\/cdk-.*-\*-.*$/`}})
	suppress(p.Provisioning.StateMachine, why{"AwsSolutions-IAM5",
		"X-Ray tracing and CloudWatch Logs log delivery (logs:CreateLogDelivery and friends) support no resource-level permissions.",
		[]string{"Resource::*"}})
}

func suppressTenant(t *Tenant) {
	suppress(t.Pool.UserPool, smsRole)
	suppressConsumer(t.StreamAnalytics)
	suppressConsumer(t.StreamActivity)
	suppressActivity(t.StreamActivity, false)
}

// suppressActivity explains the activity consumer's wildcards: its items
// are reached through the table's indexes (team memberships, the tenant
// registry by status) under the same leading-key conditions, and the
// platform's mail job reads and clears the pending mail of every Platinum
// tenant's table, whose names are known only when tenants onboard.
func suppressActivity(c *streamconsumer.Consumer, platform bool) {
	ev := []string{`/^Resource::<[A-Za-z0-9]+\.Arn>\/index\/\*$/`}
	if platform {
		ev = append(ev, `/^Resource::arn:<AWS::Partition>:dynamodb:.*:table\/.*-tenant-\*$/`)
	}
	suppress(c.Function.Role, why{"AwsSolutions-IAM5",
		"Index ARNs (index/*) of the table the consumer reads under dynamodb:LeadingKeys conditions (notification items, issues, users, team memberships; the registry by status); on the platform, the Platinum tenants' tables (<prefix>-tenant-*), named at onboarding, under the same conditions for the mail job.",
		ev})
}
