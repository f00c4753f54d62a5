package stacks

import (
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/api"
	"github.com/issuetracker/issuetracker/constructs/datastore"
	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/constructs/identity"
	"github.com/issuetracker/issuetracker/constructs/monitoring"
	"github.com/issuetracker/issuetracker/constructs/provisioning"
	"github.com/issuetracker/issuetracker/constructs/streamconsumer"
	"github.com/issuetracker/issuetracker/constructs/tenantaccess"
	"github.com/issuetracker/issuetracker/constructs/webapp"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// AuthorizerFunction is the folder name of the Lambda authorizer.
const AuthorizerFunction = "authorizer"

// OnboardingFunction is the folder name of the function the platform bus
// invokes with the provisioning pipeline's outcomes.
const OnboardingFunction = "onboarding"

// lifecycleRunners are the functions that run tenant lifecycle steps:
// registration and Root's actions start runs, onboarding resumes them.
var lifecycleRunners = []string{string(routes.FnRegistration), string(routes.FnTenants), OnboardingFunction}

// Environment variables the platform gives every function. The first five
// are the names internal/app and internal/authorizer read (client ids are
// comma-separated lists there; the platform has one client per pool).
const (
	EnvTablePrefix         = "ITR_TABLE_PREFIX"
	EnvTenantPoolID        = "ITR_TENANT_POOL_ID"
	EnvTenantClientID      = "ITR_TENANT_CLIENT_IDS"
	EnvProviderPoolID      = "ITR_PROVIDER_POOL_ID"
	EnvProviderClientID    = "ITR_PROVIDER_CLIENT_IDS"
	EnvTenantAccessRoleARN = "ITR_TENANT_ACCESS_ROLE_ARN"
	EnvTenantSessionTag    = "ITR_TENANT_SESSION_TAG"
	EnvUsagePlanParameters = "ITR_USAGE_PLAN_PARAMETER_PREFIX"
	EnvEventBus            = "ITR_EVENT_BUS"
	// EnvCursorKeySecret names the list cursor key's secret; internal/app
	// (app.EnvCursorKeySecret) reads it, test/infra checks they agree.
	EnvCursorKeySecret = "ITR_CURSOR_KEY_SECRET_ARN"
)

// FunctionNames are the functions of the platform: every function of the
// route table, then the onboarding function and the authorizer.
func FunctionNames() []string {
	var out []string
	for _, f := range routes.Functions() {
		out = append(out, string(f))
	}
	return append(out, OnboardingFunction, AuthorizerFunction)
}

// Platform is the platform stack and the parts tests and other stacks use.
type Platform struct {
	awscdk.Stack
	Config       Config
	Pooled       *datastore.Table
	Control      *datastore.Table
	TenantPool   *identity.Pool
	ProviderPool *identity.Pool
	Functions    map[string]*gofunction.Function
	TenantAccess *tenantaccess.TenantAccess
	API          *api.API
	Monitoring   *monitoring.Monitoring
	Provisioning *provisioning.Provisioning
	Exports      *Exports
	Web          *webapp.WebApp
	// OutcomesDLQ keeps provisioning outcomes the onboarding function could not take.
	OutcomesDLQ awssqs.IQueue
	// CursorKey is the HMAC key of list cursors, one random value per
	// deployment; the route functions read it on their first list.
	CursorKey awssecretsmanager.Secret
	// BillingParts are Stripe's secrets and the billing schedules.
	BillingParts *Billing
	// StreamAnalytics consumes the pooled table's change stream.
	StreamAnalytics *streamconsumer.Consumer
	// StreamActivity is its second reader (watchers, inbox, notification
	// mail); MailSchedule runs its mail job every minute.
	StreamActivity *streamconsumer.Consumer
	MailSchedule   awsevents.Rule
}

// NewPlatformStack defines IssueTracker-Platform. It builds every function
// with the local Go toolchain (cached by source hash).
func NewPlatformStack(scope constructs.Construct, cfg Config) *Platform {
	cfg = cfg.withDefaults()
	st := awscdk.NewStack(scope, jsii.String(PlatformStackName), &awscdk.StackProps{
		Env:         cfg.env(),
		Description: jsii.String("IssueTracker platform: control plane, pooled application plane, API"),
	})
	awscdk.Tags_Of(st).Add(jsii.String("project"), jsii.String("issuetracker"), nil)
	p := &Platform{Stack: st, Config: cfg, Functions: map[string]*gofunction.Function{}}
	names := cfg.names()
	p.newWeb(&cfg) // first: its origin is the web origin below

	p.Pooled = datastore.New(st, "PooledTable", datastore.PooledProps(names))
	p.Control = datastore.New(st, "ControlTable", datastore.ControlProps(names))

	callback := []string{cfg.WebOrigin + "/auth/callback"}
	logout := []string{cfg.WebOrigin + "/"}
	p.TenantPool = identity.New(st, "TenantPool", &identity.Props{
		PoolName: cfg.Prefix + "-tenants", Kind: identity.Tenants,
		DomainPrefix: cfg.domainPrefix("tenants"), CallbackURLs: callback, LogoutURLs: logout,
		Google: cfg.Google,
	})
	p.ProviderPool = identity.New(st, "ProviderPool", &identity.Props{
		PoolName: cfg.Prefix + "-provider", Kind: identity.Provider,
		DomainPrefix: cfg.domainPrefix("provider"), FeaturePlan: awscognito.FeaturePlan_PLUS, CallbackURLs: []string{cfg.WebOrigin + "/admin/auth/callback"}, LogoutURLs: logout,
	})

	env := map[string]string{
		EnvTablePrefix:         cfg.Prefix,
		EnvTenantPoolID:        *p.TenantPool.UserPool.UserPoolId(),
		EnvTenantClientID:      *p.TenantPool.Client.UserPoolClientId(),
		EnvProviderPoolID:      *p.ProviderPool.UserPool.UserPoolId(),
		EnvProviderClientID:    *p.ProviderPool.Client.UserPoolClientId(),
		EnvTenantSessionTag:    tenantaccess.DefaultTagKey,
		EnvUsagePlanParameters: "/" + cfg.Prefix + "/usage-plans/",
	}
	root, err := rootOf(cfg)
	if err != nil {
		panic(err)
	}
	var assumers []awsiam.IRole
	for _, name := range FunctionNames() {
		var timeout awscdk.Duration
		if name == OnboardingFunction {
			timeout = awscdk.Duration_Minutes(jsii.Number(2)) // not behind API Gateway: a whole resumed run
		}
		fn := gofunction.New(st, "Fn-"+name, &gofunction.Props{
			Name: name, RepoRoot: root, Dir: cfg.FunctionDirs[name],
			FunctionName: cfg.Prefix + "-" + name,
			Environment:  env, Timeout: timeout,
		})
		p.Functions[name] = fn
		assumers = append(assumers, fn.Role)
		if name == AuthorizerFunction {
			p.Control.Table.GrantReadData(fn.Role)
		} else {
			p.Control.Table.GrantReadWriteData(fn.Role)
		}
	}
	p.TenantAccess = tenantaccess.New(st, "TenantAccess", &tenantaccess.Props{
		PooledTable: p.Pooled.Table, Names: names, Assumers: assumers,
	})
	for _, fn := range p.Functions {
		fn.Function.AddEnvironment(jsii.String(EnvTenantAccessRoleARN), p.TenantAccess.Role.RoleArn(), nil)
	}
	// The offboarding job (tenants function) finds ALL of a tenant's items by
	// paging through the pooled table (or the tenant's own table) with the
	// tenant's key prefix as a filter (internal/tenantdata). Scan has no
	// leading key for the tenant policy to check, so it is granted here, read
	// only; the deletes still run through the tenant-scoped role.
	if fn, ok := p.Functions[string(routes.FnTenants)]; ok {
		fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("OffboardingReadsTenantItems"),
			Actions:   jsii.Strings("dynamodb:Scan"),
			Resources: &[]*string{p.Pooled.Table.TableArn(), st.FormatArn(&awscdk.ArnComponents{Service: jsii.String("dynamodb"), Resource: jsii.String("table"), ResourceName: jsii.String(names.Silo("*"))})},
		}))
	}
	p.grantUserAdmin()
	p.wireMail()
	p.addCursorKey()

	// Offboarding runs in the tenants function (Root's request, retries) and
	// in the onboarding function (resumed after a stack event).
	p.Exports = newExports(st)
	for _, name := range offboarders {
		if fn, ok := p.Functions[name]; ok {
			p.Exports.grantWrite(fn.Role)
			fn.Function.AddEnvironment(jsii.String(EnvExportBucket), p.Exports.Bucket.BucketName(), nil)
			fn.Function.AddEnvironment(jsii.String(EnvExportKMSKey), p.Exports.Key.KeyArn(), nil)
		}
	}

	p.Provisioning = provisioning.New(st, "Provisioning", &provisioning.Props{
		SourceDir: root, BusName: cfg.Prefix,
		Context: map[string]string{"prefix": cfg.Prefix, "webOrigin": cfg.WebOrigin, "tenantMfa": string(cfg.TenantMFA)},
	})
	for _, fn := range p.Functions {
		fn.Function.AddEnvironment(jsii.String(EnvEventBus), p.Provisioning.Bus.EventBusName(), nil)
	}
	p.wireLifecycle()
	p.wireBilling()

	byRoute := map[routes.Function]awslambda.IFunction{}
	for _, f := range routes.Functions() {
		byRoute[f] = p.Functions[string(f)].Function
	}
	p.API = api.New(st, "Api", &api.Props{
		Name: cfg.Prefix, Functions: byRoute, Authorizer: p.Functions[AuthorizerFunction].Function,
		CORSOrigins: []string{cfg.WebOrigin},
	})
	for _, name := range lifecycleRunners {
		if fn, ok := p.Functions[name]; ok {
			p.API.GrantKeyManagement(fn.Role)
		}
	}
	p.grantBillingKeys()

	p.Monitoring = monitoring.New(st, "Monitoring", &monitoring.Props{Prefix: cfg.Prefix, AlarmEmails: cfg.AlarmEmails})
	for _, name := range FunctionNames() {
		fn := p.Functions[name]
		p.Monitoring.WatchFunction(name, fn.Function, fn.Timeout)
	}
	p.Monitoring.WatchAPI(cfg.Prefix, p.API.RestAPI)
	var tierNames []string
	for _, t := range tiers.All() {
		tierNames = append(tierNames, string(t.Name))
	}
	p.Monitoring.WatchTiers(tierNames)
	if p.OutcomesDLQ != nil {
		p.Monitoring.WatchQueue("outcomes-dlq", p.OutcomesDLQ,
			"A tenant stack outcome could not be delivered to the onboarding function: replay it from the queue, or retry the onboarding (it asks CloudFormation again)")
	}
	p.StreamAnalytics = analyticsConsumer(st, p.Pooled, root, cfg.Prefix+"-"+StreamAnalyticsFunction, p.Monitoring)
	p.StreamActivity = activityConsumer(st, p.Pooled, root, cfg.Prefix+"-"+StreamActivityFunction, p.Monitoring)
	p.wireNotificationMail()
	if b := p.BillingParts; b != nil {
		p.Monitoring.WatchQueue("billing-jobs-dlq", b.JobsDLQ,
			"A billing job (hourly dunning and usage, or the monthly close) could not be delivered to the billing function: run it again (docs/billing.md)")
	}
	var logGroups []awslogs.ILogGroup
	for _, name := range FunctionNames() {
		if name != AuthorizerFunction && name != OnboardingFunction {
			logGroups = append(logGroups, p.Functions[name].LogGroup)
		}
	}
	p.Monitoring.WatchTenantUsage(logGroups)
	p.Monitoring.WatchTable("app", p.Pooled.Table)
	p.Monitoring.WatchTable("control", p.Control.Table)

	out := func(id string, v *string) { awscdk.NewCfnOutput(st, jsii.String(id), &awscdk.CfnOutputProps{Value: v}) }
	p.publishWeb()
	out("ApiUrl", p.API.URL())
	out("TenantUserPoolId", p.TenantPool.UserPool.UserPoolId())
	out("TenantClientId", p.TenantPool.Client.UserPoolClientId())
	out("ProviderUserPoolId", p.ProviderPool.UserPool.UserPoolId())
	out("ProviderClientId", p.ProviderPool.Client.UserPoolClientId())
	out("AlertTopicArn", p.Monitoring.Topic.TopicArn())
	out("EventBusName", p.Provisioning.Bus.EventBusName())
	out("ExportsBucketName", p.Exports.Bucket.BucketName())
	out("ProvisioningStateMachineArn", p.Provisioning.StateMachine.StateMachineArn())

	suppressPlatform(p)
	return p
}

// grantUserAdmin lets the functions that manage users do so in the shared
// pool, and in dedicated pools, which carry the tenant-pool tag.
func (p *Platform) grantUserAdmin() {
	actions := jsii.Strings("cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminUpdateUserAttributes",
		"cognito-idp:AdminDisableUser", "cognito-idp:AdminEnableUser", "cognito-idp:AdminDeleteUser",
		"cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminRemoveUserFromGroup", "cognito-idp:AdminListGroupsForUser",
		"cognito-idp:AdminSetUserPassword", "cognito-idp:ListUsers")
	dedicated := p.Stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cognito-idp"), Resource: jsii.String("userpool"), ResourceName: jsii.String("*")})
	for _, name := range append([]string{string(routes.FnUsers)}, lifecycleRunners...) {
		fn, ok := p.Functions[name]
		if !ok {
			continue
		}
		fn.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: actions, Resources: &[]*string{p.TenantPool.UserPool.UserPoolArn()},
		}))
		fn.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: actions, Resources: &[]*string{dedicated},
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:ResourceTag/" + TenantPoolTag: "true"}},
		}))
	}
	// The authorizer reads (only) whether a user's sign-ins are challenged
	// for MFA, for tenants that require it.
	if fn, ok := p.Functions[AuthorizerFunction]; ok {
		read := jsii.Strings("cognito-idp:AdminGetUser")
		fn.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: read, Resources: &[]*string{p.TenantPool.UserPool.UserPoolArn()},
		}))
		fn.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: read, Resources: &[]*string{dedicated},
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:ResourceTag/" + TenantPoolTag: "true"}},
		}))
	}
}

// offboarders are the functions that run offboarding steps.
var offboarders = []string{string(routes.FnTenants), OnboardingFunction}

// TenantPoolTag marks dedicated tenant pools, so platform functions may
// administer them without knowing their ids in advance.
const TenantPoolTag = "issuetracker:tenant-pool"

func rootOf(cfg Config) (string, error) {
	if cfg.RepoRoot != "" {
		return filepath.Abs(cfg.RepoRoot)
	}
	return gofunction.FindRepoRoot(".")
}

func isPublic(methodAndPath string) bool {
	for _, r := range routes.All() {
		if r.Method+" "+r.Path == methodAndPath {
			return r.Access.Kind == routes.Public
		}
	}
	return false
}

// addCursorKey creates the list cursor key (internal/list signs every
// cursor with it) and lets each route function read it, and only them.
func (p *Platform) addCursorKey() {
	p.CursorKey = awssecretsmanager.NewSecret(p.Stack, jsii.String("CursorKey"), &awssecretsmanager.SecretProps{
		Description: jsii.String("HMAC-SHA256 key of the API's list cursors (internal/list)"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength: jsii.Number(64), ExcludePunctuation: jsii.Bool(true), IncludeSpace: jsii.Bool(false),
		},
	})
	for _, f := range routes.Functions() {
		fn := p.Functions[string(f)]
		p.CursorKey.GrantRead(fn.Role, nil)
		fn.Function.AddEnvironment(jsii.String(EnvCursorKeySecret), p.CursorKey.SecretArn(), nil)
	}
}
