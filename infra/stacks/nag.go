package stacks

import (
	"regexp"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/issuetracker/issuetracker/constructs/filestore"
	"github.com/issuetracker/issuetracker/constructs/identity"
	"github.com/issuetracker/issuetracker/constructs/streamconsumer"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
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

// xray: every function traces.
var xray = why{"AwsSolutions-IAM5", "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.", []string{"Resource::*"}}

// keyPaths: tenants' API keys exist only at run time.
var keyPaths = why{"AwsSolutions-IAM5",
	"Tenants' API keys are created at run time, so their ids are unknown here: keys on this stack's usage plans are granted under each plan's own path (/usageplans/<plan id>/keys/*); tenant keys may be deleted only when they carry the issuetracker:tenant tag.",
	[]string{`/^Resource::arn:[^:]+:apigateway:.*::\/usageplans\/<ApiRestApiPlan[A-Za-z0-9]+>\/keys\/\*$/`,
		`/^Resource::arn:[^:]+:apigateway:.*::\/apikeys\/\*$/`}}

// optionalMFA: tenant pools let each workspace decide.
var optionalMFA = why{"AwsSolutions-COG2",
	"MFA is a per-workspace choice (Premium and Platinum may require it): the authorizer refuses a session without MFA for a workspace that requires it, so the pool itself leaves MFA optional.", nil}

func suppressPlatform(p *Platform) {
	suppress(p.TenantPool.UserPool, smsRole, optionalMFA, why{"AwsSolutions-COG8",
		"The shared pool serves Basic to Premium tenants on the Essentials plan: Plus is billed per MAU for every pooled user. Dedicated Platinum pools and the provider pool use Plus.", nil})
	suppress(p.ProviderPool.UserPool, smsRole)
	if t := p.TenantPool.LinkTrigger; t != nil {
		suppress(t.Role, xray)
	}
	suppress(p.CursorKey, why{"AwsSolutions-SMG4",
		"The list cursor key is a random HMAC key with no external party: rotating it only invalidates cursors in flight (a client restarts its list); it is replaced by recreating the secret, so no rotation function is deployed.", nil})
	for _, fn := range p.Functions {
		suppress(fn.Role, xray)
	}
	suppressFunctionGrants(p)
	suppressMoves(p)
	suppress(p.TenantAccess.Role, why{"AwsSolutions-IAM5",
		"ABAC by design: a tenant session reaches its own silo table by name pattern and the pooled table's indexes, always under the dynamodb:LeadingKeys condition on its TenantId tag.",
		[]string{`/^Resource::<PooledTable[0-9A-F]+\.Arn>\/index\/\*$/`, `/^Resource::arn:[^:]+:dynamodb:.*:table\/.*-tenant-<aws:PrincipalTag\/TenantId>(\/index\/\*)?$/`}},
		why{"AwsSolutions-IAM5",
			"ABAC by design: a tenant session reaches the objects under its own prefix (<TenantId>/) of the pooled attachments bucket, and every object of its own bucket, named after its TenantId tag; no session can name another tenant's prefix or bucket.",
			[]string{`/^Resource::<Files[A-Za-z0-9]+\.Arn>\/<aws:PrincipalTag\/TenantId>\/\*$/`, `/^Resource::arn:.*:s3:::[a-z0-9.-]*-files-<aws:PrincipalTag\/TenantId>\/\*$/`}})

	suppress(p.API.RestAPI,
		why{"AwsSolutions-APIG2", "Every integration is a Lambda proxy whose handler validates the request and answers RFC 9457 problem+json; gateway models would duplicate the domain validation.", nil},
		why{"AwsSolutions-IAM4", "AmazonAPIGatewayPushToCloudWatchLogs is the AWS-maintained policy for the account's API Gateway logging role and is scoped to log delivery.",
			[]string{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}},
		why{"AwsSolutions-COG4", "Tokens come from the shared pool, the provider pool and one pool per Platinum tenant: the Lambda authorizer verifies them against the tenant registry, which a Cognito authorizer (one fixed pool list) cannot do.", nil},
	)
	for _, ns := range p.API.RouteStacks {
		suppress(ns, why{"AwsSolutions-COG4", "Tokens come from the shared pool, the provider pool and one pool per Platinum tenant: the Lambda authorizer verifies them against the tenant registry, which a Cognito authorizer (one fixed pool list) cannot do.", nil})
	}
	for _, pol := range p.API.KeyPolicies {
		suppress(pol, keyPaths)
	}
	suppressProvisioning(p)
	suppressBilling(p)
	suppressConsumer(p.StreamAnalytics)
	suppressConsumer(p.StreamActivity)
	suppressActivity(p.StreamActivity, true)
	suppress(p.Exports.AccessLogs, why{"AwsSolutions-S1", "This is the exports bucket's server access log target; logging it to itself would loop.", nil})
	for key, m := range p.API.Methods {
		if isPublic(key) {
			suppress(m, why{"AwsSolutions-APIG4", "Public by the route table (internal/routes): health, tier catalog and sign-up need no caller; the stage throttle still applies.", nil})
		}
	}
}

// suppressFunctionGrants explains the run-time resources in the functions'
// own grants (grants.go).
func suppressFunctionGrants(p *Platform) {
	dedicatedPools := why{"AwsSolutions-IAM5",
		"Dedicated Platinum pools are created at run time: user administration (or, for the authorizer, AdminGetUser; for the user-migration trigger, AdminGetUser and AdminInitiateAuth) is granted only in pools carrying the issuetracker:tenant-pool resource tag.",
		[]string{`/^Resource::arn:[^:]+:cognito-idp:.*:userpool\/\*$/`}}
	for _, name := range append([]routes.Function{routes.FnAuthorizer, routes.FnUserMigration}, adminsUsers...) {
		suppress(p.Functions[string(name)].Role, dedicatedPools)
	}
	// The cell's own name pattern (schema.TenantStackPrefix), so the first
	// cell's suppression is the one it was deployed with.
	stackPattern := schema.TenantStackPrefix(p.Config.Cell) + "*"
	for _, name := range deploysStacks {
		suppress(p.Functions[string(name)].Role, why{"AwsSolutions-IAM5",
			"Platinum tenant stacks are created at run time: DescribeStacks (their status and outputs, nothing else) is granted on the " + stackPattern + " stack name pattern.",
			[]string{`/^Resource::arn:[^:]+:cloudformation:.*:stack\/` + regexp.QuoteMeta(stackPattern) + `\/\*$/`}})
	}
	for _, name := range FunctionNames() {
		if vars, _ := envvars.For(routes.Function(name)); slices.Contains(vars, envvars.ExportBucket) {
			suppress(p.Functions[name].Role, why{"AwsSolutions-IAM5",
				"Offboarding reads a Platinum tenant's whole own table (tables created per tenant at run time, named issuetracker-tenant-*; read-only Scan, deletes go through the tenant-scoped role) and writes one export object per tenant and time (PutObject on the exports bucket's objects, nothing else).",
				[]string{`/^Resource::arn:[^:]+:dynamodb:.*:table\/.*-tenant-\*$/`, `/^Resource::<ExportsBucket[0-9A-F]+\.Arn>\/\*$/`}})
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
			`/^Resource::arn:[^:]+:codebuild:.*:report-group\/<ProvisioningDeployer[0-9A-F]+>-\*$/`,
			`/^Resource::arn:[^:]+:logs:.*:log-group:\/aws\/codebuild\/<ProvisioningDeployer[0-9A-F]+>:\*$/`,
			`/^Resource::arn:[^:]+:iam::.*:role\/cdk-.*-\*-.*$/`}})
	suppress(p.Provisioning.StateMachine, why{"AwsSolutions-IAM5",
		"X-Ray tracing and CloudWatch Logs log delivery (logs:CreateLogDelivery and friends) support no resource-level permissions.",
		[]string{"Resource::*"}})
}

func suppressTenant(t *Tenant) {
	suppress(t.Files.AccessLogs, why{"AwsSolutions-S1", "This is the attachments bucket's server access log target; logging it to itself would loop.", nil})
	suppress(t.Pool.UserPool, smsRole)
	if t.Pool.MFA != identity.MFARequired {
		suppress(t.Pool.UserPool, optionalMFA)
	}
	suppressConsumer(t.StreamAnalytics)
	suppressConsumer(t.StreamActivity)
	suppressActivity(t.StreamActivity, false)
	if t.UserMigration != nil {
		suppress(t.UserMigration.Role, xray)
	}
	if a := t.ProvisioningAccess; a != nil {
		suppress(a.Role, why{"AwsSolutions-IAM5",
			"CloudFormation stack ARNs end in the stack's generated id: stack/<name>/* is the one tenant stack this role may describe.",
			[]string{`/^Resource::arn:.*:cloudformation:.*:stack\/` + regexp.QuoteMeta(schema.TenantStackPrefix(t.Cell)) + `.*\/\*$/`}})
	}
	suppressDataAccess(t)
}

// suppressActivity explains the activity consumer's wildcards: its items
// are reached through the table's indexes (team memberships, the tenant
// registry by status) under the same leading-key conditions, and the
// platform's mail job reads and clears the pending mail of every Platinum
// tenant's table, whose names are known only when tenants onboard.
func suppressActivity(c *streamconsumer.Consumer, platform bool) {
	ev := []string{`/^Resource::<[A-Za-z0-9]+\.Arn>\/index\/\*$/`, `/^Resource::<FilesBucket[A-Za-z0-9]+\.Arn>\/\*$/`}
	if platform {
		ev = append(ev, `/^Resource::arn:[^:]+:dynamodb:.*:table\/.*-tenant-\*$/`)
	}
	suppress(c.Function.Role, why{"AwsSolutions-IAM5",
		"Index ARNs (index/*) of the table the consumer reads under dynamodb:LeadingKeys conditions (notification items, issues, users, team memberships; the registry by status); on the platform, the Platinum tenants' tables (<prefix>-tenant-*), named at onboarding, under the same conditions for the mail job. Objects (<bucket>/*) of the table's own attachments bucket, s3:DeleteObject only: the consumer deletes a deleted issue's files, whose keys it reads from the issue's attachment records.",
		ev})
}

// suppressDownloads gives the reasons of an attachment download
// distribution (constructs/filestore) and its signing key's secret.
func suppressDownloads(d *filestore.Downloads, keys ...awssecretsmanager.Secret) {
	suppress(d.Logs, why{"AwsSolutions-S1", "This is the download distribution's log bucket (CloudFront standard logs); logging it to itself would loop.", nil})
	suppress(d.Distribution,
		why{"AwsSolutions-CFR4", "The download distribution serves *.cloudfront.net with CloudFront's default certificate, whose security policy is fixed by CloudFront; every URL it serves is signed (trusted key group) and HTTPS only.", nil},
		why{"AwsSolutions-CFR2", "Every request needs a CloudFront signed URL (trusted key group) minted by the attachments function behind the API's WAF; unsigned requests are refused at the edge before reaching S3.", nil})
	for _, key := range keys {
		suppress(key, why{"AwsSolutions-SMG4", "An RSA key pair for CloudFront signed URLs: Secrets Manager cannot generate one, and its public half is in the key group; it is rotated by the documented two-key procedure (docs/deploy.md, \"Attachment downloads\").", nil})
	}
}

// suppressMoves explains the wildcards of a move between cells (wireMoves).
func suppressMoves(p *Platform) {
	if len(p.Config.peers()) == 0 || !p.Config.Directory {
		return
	}
	suppress(p.Functions[OnboardingFunction].Role, why{"AwsSolutions-IAM5",
		"A move to another cell of this account reads that cell's usage plan ids (SSM parameters under its /<prefix>/usage-plans/) and puts the tenant's key on one of its plans, whose ids exist only once that cell is deployed: POST/GET/DELETE on usage plan keys of this Region; the keys themselves are created and deleted only with the tenant tag.",
		[]string{`/^Resource::arn:[^:]+:ssm:.*:parameter\/.*\/usage-plans\/\*$/`, `/^Resource::arn:[^:]+:apigateway:[^:]+::\/usageplans\/\*\/keys(\/\*)?$/`}},
		why{"AwsSolutions-IAM5",
			"A Platinum tenant's move follows its new stack in the other cell (created at run time by that cell's pipeline): DescribeStacks on that cell's tenant stack name pattern, nothing else.",
			[]string{`/^Resource::arn:[^:]+:cloudformation:.*:stack\/IssueTracker-[a-z0-9-]*-?Tenant-\*\/\*$/`}})
	suppress(p.TenantAccess.Role, why{"AwsSolutions-IAM5",
		"ABAC by design: a move's copy reaches the tenant's own items in the other cells' pooled tables and their indexes, under the dynamodb:LeadingKeys condition on the TenantId tag.",
		[]string{`/^Resource::arn:[^:]+:dynamodb:.*:table\/.*-app\/index\/\*$/`}},
		why{"AwsSolutions-IAM5",
			"ABAC by design: a move's copy writes the tenant's files under its own prefix (<TenantId>/) of the other cells' attachments buckets (Config.CellBuckets), as in this cell's bucket.",
			[]string{`/^Resource::arn:[^:]+:s3:::[a-z0-9.-]+\/<aws:PrincipalTag\/TenantId>\/\*$/`}})
	suppress(p.Functions[UserMigrationFunction].Role, why{"AwsSolutions-IAM5",
		"A moved tenant's users sign in once at their former cell's shared pool, whose id exists only once that cell is deployed: AdminGetUser and AdminInitiateAuth in the pools tagged issuetracker:shared-tenant-pool of the other cells only.",
		[]string{`/^Resource::arn:[^:]+:cognito-idp:.*:userpool\/\*$/`}})
}
