// Package capacity is the capacity model of IssueTracker: the AWS quotas one
// deployment of the platform (a cell: one account and Region) consumes, as
// data with their published defaults and sources, and the arithmetic that
// turns a tier mix, a tenant count and a traffic profile into the usage and
// headroom of every quota, the tenant count at which each binds, and the hot
// partitions of the table design. Plain Go, no AWS SDK: the tier catalog
// (internal/tiers) gives rates, bursts, monthly quotas and features, and the
// synthesized templates give what the CDK app deploys (Design).
//
// The model is linear in the tenant counts: a quota's usage is what the
// platform itself takes plus, for every tier, the tenants of that tier times
// what one of them consumes at the profile's peak. So adding a tenant never
// adds headroom, and the tenant count at which a quota binds is a division.
// Cell placement asks the same model: Fits and Place (place.go).
package capacity

import (
	"math"
	"slices"
)

// Scope is where a quota is counted.
type Scope string

const (
	ScopeAccount Scope = "account"        // all Regions of the AWS account
	ScopeRegion  Scope = "account+Region" // one Region of the account: a cell
	ScopeAPI     Scope = "REST API"       // the platform's API and its stage
	ScopeTable   Scope = "pooled table"   // the pooled application table
	ScopePool    Scope = "shared pool"    // the shared tenant user pool
	ScopeStack   Scope = "platform stack" // the IssueTracker-Platform template
)

// Adjustable says whether a quota can be raised.
type Adjustable string

const (
	Yes           Adjustable = "yes"    // Service Quotas / AWS Support raise it
	No            Adjustable = "no"     // fixed by AWS
	DesignSetting Adjustable = "design" // our own setting (CDK), changed in code
)

// Quota is one limit the design consumes.
type Quota struct {
	ID      string
	Service string
	Name    string
	Scope   Scope
	// Default is the published default. For a design setting, FromDesign
	// reads the value the templates set instead.
	Default    float64
	FromDesign func(Design) float64
	Adjustable Adjustable
	Unit       string
	// URL is the AWS documentation page the number is quoted from.
	URL string
	// Source says which copy of the page the number was read in, when it
	// was not the current page.
	Source string
	// Unpublished: no number was found in the AWS documentation. The model
	// reports the demand and never calls it binding.
	Unpublished bool
	// Consumes says how the design consumes the quota, per tenant and tier
	// and per request.
	Consumes string
	// Fixed is what the platform takes whatever its tenants.
	Fixed func(Design) float64
	// PerTenant is what one tenant takes at the profile's peak.
	PerTenant func(Load, Design) float64
}

func none(Design) float64 { return 0 }

func perTenant(f func(Load) float64) func(Load, Design) float64 {
	return func(l Load, _ Design) float64 { return f(l) }
}

func onlyPooled(f func(Load) float64) func(Load, Design) float64 {
	return func(l Load, _ Design) float64 {
		if !l.Pooled {
			return 0
		}
		return f(l)
	}
}

func onlySilo(f func(Load, Design) float64) func(Load, Design) float64 {
	return func(l Load, d Design) float64 {
		if l.Pooled {
			return 0
		}
		return f(l, d)
	}
}

// Documentation pages the catalog quotes. Where the current page could not
// be read past its opening, the number was read in the awsdocs repository
// the page was published from (archived 2023), named in Source.
const (
	urlAPIGW          = "https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html"
	urlAPIGWREST      = "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html"
	urlAPIGWThrottle  = "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html"
	srcAPIGWArchive   = "awsdocs/amazon-api-gateway-developer-guide doc_source/limits.md (archived copy)"
	urlLambda         = "https://docs.aws.amazon.com/lambda/latest/dg/limits.html"
	urlLambdaScaling  = "https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html"
	srcLambdaArchive  = "awsdocs/aws-lambda-developer-guide doc_source/gettingstarted-limits.md (archived copy)"
	urlCognito        = "https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html"
	srcCognitoArchive = "awsdocs/amazon-cognito-developer-guide doc_source/limits.md (archived June 2023; the current page's tables could not be read)"
	urlDynamo         = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html"
	srcDynamoArchive  = "awsdocs/amazon-dynamodb-developer-guide doc_source/ServiceQuotas.md (archived copy)"
	urlCFN            = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html"
	srcCFNArchive     = "awsdocs/aws-cloudformation-user-guide doc_source/cloudformation-limits.md (archived Dec 2023)"
	urlIAM            = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
	srcIAMArchive     = "awsdocs/iam-user-guide doc_source/reference_iam-quotas.md (archived copy)"
	urlSTS            = "https://repost.aws/knowledge-center/iam-sts-throttling-error"
	urlS3             = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/BucketRestrictions.html"
	urlEvents         = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html"
	srcEventsArchive  = "awsdocs/amazon-eventbridge-user-guide doc_source/eb-quota.md (archived copy); 400 to 10,000 by Region"
	urlCodeBuild      = "https://docs.aws.amazon.com/codebuild/latest/userguide/limits.html"
	srcCodeBuildArch  = "awsdocs/aws-codebuild-user-guide doc_source/limits.md (archived copy); 1 to 5 for a new account"
)

// Catalog is every quota of the model.
func Catalog() []Quota {
	return slices.Concat(apiGatewayQuotas(), lambdaQuotas(), cognitoQuotas(), dynamoDBQuotas(), cloudFormationQuotas(), iamQuotas(), otherQuotas())
}

// apiGatewayQuotas are the API Gateway quotas the design consumes.
func apiGatewayQuotas() []Quota {
	return []Quota{
		{ID: "apigw.account-throttle", Service: "API Gateway", Name: "Throttle per account and Region (steady rate)",
			Scope: ScopeRegion, Default: 10000, Adjustable: Yes, Unit: "requests/s", URL: urlAPIGW,
			Source:   "burst bucket 5,000, not adjustable; 2,500 requests/s in 13 newer Regions",
			Consumes: "every API request of every tenant (Platinum included: one API); per tenant its peak rate, capped by its tier's rate limit",
			Fixed:    none, PerTenant: perTenant(func(l Load) float64 { return l.RPS })},
		{ID: "apigw.method-throttle", Service: "API Gateway", Name: "Stage throttle per method (our stage default)",
			Scope: ScopeAPI, Adjustable: DesignSetting, Unit: "requests/s per method", URL: urlAPIGWThrottle,
			FromDesign: func(d Design) float64 { return d.StageRateLimit },
			Source:     "constructs/api StageRateLimit; per-API per-stage limits apply at the method level",
			Consumes:   "the busiest route (GET /v1/issues or GET /v1/issues/{id}) across all tenants",
			Fixed:      none, PerTenant: perTenant(func(l Load) float64 { return l.HotMethodRPS })},
		{ID: "apigw.api-keys", Service: "API Gateway", Name: "API keys per account and Region",
			Scope: ScopeRegion, Default: 10000, Adjustable: No, Unit: "keys", URL: urlAPIGWREST,
			Source:   "an older copy (" + srcAPIGWArchive + ") says 500, adjustable",
			Consumes: "one key per tenant, every tier (internal/onboarding/apikeys)",
			Fixed:    none, PerTenant: perTenant(func(Load) float64 { return 1 })},
		{ID: "apigw.usage-plans", Service: "API Gateway", Name: "Usage plans per account and Region",
			Scope: ScopeRegion, Default: 300, Adjustable: Yes, Unit: "plans", URL: urlAPIGWREST, Source: srcAPIGWArchive,
			Consumes: "one plan per tier, shared by the tier's tenants (their own keys on it)",
			Fixed:    func(d Design) float64 { return float64(d.UsagePlans) }, PerTenant: perTenant(func(Load) float64 { return 0 })},
		{ID: "apigw.create-api-key", Service: "API Gateway", Name: "CreateApiKey rate",
			Scope: ScopeAccount, Default: 5, Adjustable: No, Unit: "requests/s", URL: urlAPIGW,
			Consumes: "one call per onboarding, at the busiest hour's onboarding rate",
			Fixed:    none, PerTenant: perTenant(func(l Load) float64 { return l.OnboardingsPeakRPS })},
		{ID: "apigw.control-plane-total", Service: "API Gateway", Name: "Control-plane operations, total (burst 40)",
			Scope: ScopeAccount, Default: 10, Adjustable: No, Unit: "requests/s", URL: urlAPIGW,
			Consumes: "3 calls per onboarding (GetApiKeys, CreateApiKey, CreateUsagePlanKey), 2 per tier change",
			Fixed:    none, PerTenant: perTenant(func(l Load) float64 { return 3 * l.OnboardingsPeakRPS })},
		{ID: "apigw.resources-per-api", Service: "API Gateway", Name: "Resources per API",
			Scope: ScopeAPI, Default: 300, Adjustable: Yes, Unit: "resources", URL: urlAPIGWREST,
			Consumes: "one per path segment of the route table; no tenant adds any",
			Fixed:    func(d Design) float64 { return float64(d.APIResources) }, PerTenant: perTenant(func(Load) float64 { return 0 })},
		{ID: "apigw.regional-apis", Service: "API Gateway", Name: "Regional APIs per Region",
			Scope: ScopeRegion, Default: 600, Adjustable: No, Unit: "APIs", URL: urlAPIGWREST,
			Consumes: "one API for every tenant (Platinum stacks add none)",
			Fixed:    func(Design) float64 { return 1 }, PerTenant: perTenant(func(Load) float64 { return 0 })},
	}
}

// lambdaQuotas are the Lambda quotas the design consumes.
func lambdaQuotas() []Quota {
	return []Quota{
		{ID: "lambda.concurrency", Service: "Lambda", Name: "Concurrent executions",
			Scope: ScopeRegion, Default: 1000, Adjustable: Yes, Unit: "executions", URL: urlLambda,
			Source:   "new accounts start lower; raised to tens of thousands",
			Consumes: "requests/s × handler duration + authorizer invocations/s × authorizer duration (one authorizer call per signed-in user per result-cache TTL)",
			Fixed:    none, PerTenant: perTenant(func(l Load) float64 { return l.Concurrency })},
		{ID: "lambda.invocations", Service: "Lambda", Name: "Synchronous invocation requests (10 × concurrency quota)",
			Scope: ScopeRegion, Default: 10000, Adjustable: Yes, Unit: "invocations/s", URL: urlLambda, Source: srcLambdaArchive,
			Consumes: "one invocation per request plus the authorizer's; raised with the concurrency quota",
			Fixed:    none, PerTenant: perTenant(func(l Load) float64 { return l.RPS + l.AuthorizerRPS })},
		{ID: "lambda.scaling-rate", Service: "Lambda", Name: "Scaling rate per function (new environments per 10 s)",
			Scope: ScopeRegion, Default: 1000, Adjustable: No, Unit: "environments/10 s", URL: urlLambdaScaling,
			Consumes: "the busiest function's (issues) peak concurrency × the share of it that arrives within 10 s",
			Fixed:    none, PerTenant: perTenant(func(l Load) float64 { return l.ScalingStep })},
	}
}

// cognitoQuotas are the Cognito quotas the design consumes.
func cognitoQuotas() []Quota {
	return []Quota{
		{ID: "cognito.user-pools", Service: "Cognito", Name: "User pools per account and Region",
			Scope: ScopeRegion, Default: 1000, Adjustable: Yes, Unit: "pools", URL: urlCognito, Source: srcCognitoArchive,
			Consumes:  "shared tenant pool + provider pool; one dedicated pool per Platinum tenant",
			Fixed:     func(d Design) float64 { return float64(d.PlatformPools) },
			PerTenant: onlySilo(func(_ Load, d Design) float64 { return float64(d.TenantPools) })},
		{ID: "cognito.users-per-pool", Service: "Cognito", Name: "Users per user pool (the shared pool)",
			Scope: ScopePool, Default: 40_000_000, Adjustable: Yes, Unit: "users", URL: urlCognito, Source: srcCognitoArchive,
			Consumes: "every seat of every pooled tenant is a user of the shared pool",
			Fixed:    none, PerTenant: onlyPooled(func(l Load) float64 { return l.Seats })},
		{ID: "cognito.user-authentication", Service: "Cognito", Name: "UserAuthentication category (InitiateAuth, token refresh)",
			Scope: ScopeRegion, Default: 120, Adjustable: Yes, Unit: "requests/s", URL: urlCognito, Source: srcCognitoArchive,
			Consumes: "one sign-in or refresh per signed-in user per ID-token lifetime (1 h), × the morning burst; all pools of the account share it",
			Fixed:    none, PerTenant: perTenant(func(l Load) float64 { return l.AuthRPS })},
		{ID: "cognito.user-read", Service: "Cognito", Name: "UserRead category (AdminGetUser)",
			Scope: ScopeRegion, Default: 120, Adjustable: Yes, Unit: "requests/s", URL: urlCognito, Source: srcCognitoArchive,
			Consumes: "the authorizer's AdminGetUser once per session and authorizer environment per hour (edge.MFASessionTTL) for tenants enforcing MFA, plus one after each invitation",
			Fixed:    none, PerTenant: perTenant(func(l Load) float64 { return l.AdminGetUserRPS })},
		{ID: "cognito.user-creation", Service: "Cognito", Name: "UserCreation category (AdminCreateUser)",
			Scope: ScopeRegion, Default: 50, Adjustable: Yes, Unit: "requests/s", URL: urlCognito, Source: srcCognitoArchive,
			Consumes: "one AdminCreateUser per invited seat, at the busiest hour's rate",
			Fixed:    none, PerTenant: perTenant(func(l Load) float64 { return l.InvitesPeakRPS })},
		{ID: "cognito.default-email", Service: "Cognito", Name: "Email messages per day with Cognito's default email",
			Scope: ScopeAccount, Default: 50, Adjustable: No, Unit: "emails/day", URL: urlCognito, Source: srcCognitoArchive + "; applies only while pools use Cognito's default email, not SES",
			Consumes: "every invitation (AdminCreateUser emails a temporary password) and password reset; the pools configure no SES sender",
			Fixed:    none, PerTenant: perTenant(func(l Load) float64 { return l.EmailsPerDay })},
	}
}

// dynamoDBQuotas are the DynamoDB quotas the design consumes.
func dynamoDBQuotas() []Quota {
	return []Quota{
		{ID: "dynamodb.tables", Service: "DynamoDB", Name: "Tables per account and Region",
			Scope: ScopeRegion, Default: 2500, Adjustable: Yes, Unit: "tables", URL: urlDynamo, Source: srcDynamoArchive,
			Consumes:  "pooled + control tables; one table per Platinum tenant",
			Fixed:     func(d Design) float64 { return float64(d.PlatformTables) },
			PerTenant: onlySilo(func(_ Load, d Design) float64 { return float64(d.TenantTables) })},
		{ID: "dynamodb.table-write", Service: "DynamoDB", Name: "On-demand throughput per table, writes (pooled table + its GSIs)",
			Scope: ScopeTable, Default: 40000, Adjustable: Yes, Unit: "WRU/s", URL: urlDynamo, Source: srcDynamoArchive,
			Consumes: "pooled tenants' writes at the mix's cost per request (transactions 2 units per item, 6 GSI entries per issue write); Platinum writes its own table",
			Fixed:    none, PerTenant: onlyPooled(func(l Load) float64 { return l.WRU })},
		{ID: "dynamodb.table-read", Service: "DynamoDB", Name: "On-demand throughput per table, reads (pooled table + its GSIs)",
			Scope: ScopeTable, Default: 40000, Adjustable: Yes, Unit: "RRU/s", URL: urlDynamo, Source: srcDynamoArchive,
			Consumes: "pooled tenants' reads at the mix's cost per request, plus the authorizer's directory read",
			Fixed:    none, PerTenant: onlyPooled(func(l Load) float64 { return l.RRU })},
		{ID: "dynamodb.gsis-per-table", Service: "DynamoDB", Name: "Global secondary indexes per table",
			Scope: ScopeTable, Default: 20, Adjustable: Yes, Unit: "indexes", URL: urlDynamo, Source: srcDynamoArchive,
			Consumes: "gsi1..gsi8 of schema.App (each Platinum table has the same eight)",
			Fixed:    func(d Design) float64 { return float64(d.PooledGSIs) }, PerTenant: perTenant(func(Load) float64 { return 0 })},
	}
}

// cloudFormationQuotas are the CloudFormation quotas the design consumes.
func cloudFormationQuotas() []Quota {
	return []Quota{
		{ID: "cfn.stacks", Service: "CloudFormation", Name: "Stacks per account and Region",
			Scope: ScopeRegion, Default: 2000, Adjustable: Yes, Unit: "stacks", URL: urlCFN, Source: srcCFNArchive,
			Consumes:  "IssueTracker-Platform + CDKToolkit; one IssueTracker-Tenant-<id> per Platinum tenant",
			Fixed:     func(Design) float64 { return 1 + bootstrapStacks },
			PerTenant: onlySilo(func(Load, Design) float64 { return 1 })},
		{ID: "cfn.resources-per-stack", Service: "CloudFormation", Name: "Resources per template (largest platform template)",
			Scope: ScopeStack, Default: 500, Adjustable: No, Unit: "resources", URL: urlCFN, Source: srcCFNArchive + "; split with nested stacks",
			Consumes: "the largest of the platform's templates (the stack and its nested stacks: API routes by group, alarms); grows with functions and, in the routes' nested stacks, with routes; not with tenants",
			Fixed:    func(d Design) float64 { return float64(d.PlatformResources) }, PerTenant: perTenant(func(Load) float64 { return 0 })},
		{ID: "cfn.outputs-per-stack", Service: "CloudFormation", Name: "Outputs per template (platform stack)",
			Scope: ScopeStack, Default: 200, Adjustable: No, Unit: "outputs", URL: urlCFN, Source: srcCFNArchive,
			Consumes: "the platform's outputs",
			Fixed:    func(d Design) float64 { return float64(d.PlatformOutputs) }, PerTenant: perTenant(func(Load) float64 { return 0 })},
	}
}

// iamQuotas are the IAM and STS quotas the design consumes.
func iamQuotas() []Quota {
	return []Quota{
		{ID: "iam.roles", Service: "IAM", Name: "Roles per account",
			Scope: ScopeAccount, Default: 1000, Adjustable: Yes, Unit: "roles", URL: urlIAM, Source: srcIAMArchive + "; up to 5,000",
			Consumes:  "platform roles (one per function, pipeline, tenant access, pools' SMS roles) + 5 CDK bootstrap roles; one SMS role per Platinum pool",
			Fixed:     func(d Design) float64 { return float64(d.PlatformRoles + bootstrapRoles) },
			PerTenant: onlySilo(func(_ Load, d Design) float64 { return float64(d.TenantRoles) })},
		{ID: "sts.assume-role", Service: "STS", Name: "AssumeRole request rate",
			Scope: ScopeRegion, Adjustable: No, Unit: "requests/s", URL: urlSTS, Unpublished: true,
			Source:   "AWS documents that IAM and STS throttle per account and that the rates cannot be raised, but publishes no number",
			Consumes: "one AssumeRole per tenant per execution environment per hour (tenant-scoped credentials, internal/tenantcreds)",
			Fixed:    none, PerTenant: perTenant(func(l Load) float64 { return l.AssumeRolePerSec })},
	}
}

// otherQuotas are the S3, EventBridge and CodeBuild quotas the design consumes.
func otherQuotas() []Quota {
	return []Quota{
		{ID: "s3.buckets", Service: "S3", Name: "General purpose buckets per account",
			Scope: ScopeAccount, Default: 10000, Adjustable: Yes, Unit: "buckets", URL: urlS3,
			Consumes: "exports + access-log buckets + the CDK staging bucket; no tenant adds any",
			Fixed:    func(d Design) float64 { return float64(d.PlatformBuckets + bootstrapBuckets) }, PerTenant: perTenant(func(Load) float64 { return 0 })},
		{ID: "events.rules-per-bus", Service: "EventBridge", Name: "Rules per event bus",
			Scope: ScopeRegion, Default: 300, Adjustable: Yes, Unit: "rules", URL: urlEvents, Source: srcEventsArchive,
			Consumes: "the platform bus's rules (deploy, destroy, outcomes); no tenant adds any",
			Fixed:    func(d Design) float64 { return float64(d.EventRules) }, PerTenant: perTenant(func(Load) float64 { return 0 })},
		{ID: "events.put-events", Service: "EventBridge", Name: "PutEvents rate",
			Scope: ScopeRegion, Default: 10000, Adjustable: Yes, Unit: "requests/s", URL: urlEvents, Source: srcEventsArchive,
			Consumes: "two events per lifecycle run (requested, outcome) at the busiest hour's onboarding rate",
			Fixed:    none, PerTenant: perTenant(func(l Load) float64 { return 2 * l.OnboardingsPeakRPS })},
		{ID: "codebuild.concurrent-builds", Service: "CodeBuild", Name: "Concurrently running builds",
			Scope: ScopeRegion, Default: 20, Adjustable: Yes, Unit: "builds", URL: urlCodeBuild, Source: srcCodeBuildArch,
			Consumes: "one build (cdk deploy) per Platinum onboarding for the build's duration",
			Fixed:    none, PerTenant: onlySilo(func(l Load, _ Design) float64 { return l.BuildSlots })},
	}
}

// limit is a quota's value in force: the applied value when one is given.
func (q Quota) limit(applied map[string]float64, d Design) float64 {
	if v, ok := applied[q.ID]; ok {
		return v
	}
	if q.FromDesign != nil {
		return q.FromDesign(d)
	}
	return q.Default
}

// binds reports whether the quota can bind (it has a published number).
func (q Quota) binds() bool { return !q.Unpublished }

var inf = math.Inf(1)
