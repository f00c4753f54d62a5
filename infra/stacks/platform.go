package stacks

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/api"
	"github.com/issuetracker/issuetracker/constructs/datastore"
	"github.com/issuetracker/issuetracker/constructs/filestore"
	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/constructs/identity"
	"github.com/issuetracker/issuetracker/constructs/monitoring"
	"github.com/issuetracker/issuetracker/constructs/provisioning"
	"github.com/issuetracker/issuetracker/constructs/streamconsumer"
	"github.com/issuetracker/issuetracker/constructs/tenantaccess"
	"github.com/issuetracker/issuetracker/constructs/waf"
	"github.com/issuetracker/issuetracker/constructs/webapp"
	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/envvars"
	itrmail "github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// AuthorizerFunction is the folder name of the Lambda authorizer.
const AuthorizerFunction = string(routes.FnAuthorizer)

// OnboardingFunction is the folder name of the function the platform bus
// invokes with the provisioning pipeline's outcomes.
const OnboardingFunction = string(routes.FnOnboarding)

// ObservabilityStackID is the construct id of the platform's nested stack
// of alarms and dashboard.
const ObservabilityStackID = "Observability"

// MaxTemplateResources is the headroom kept under CloudFormation's 500
// resources per template (the API's methods live in the Routes<Group>
// nested stacks, constructs/api).
const MaxTemplateResources = 470

// FunctionNames are the functions of the platform: every function of the
// route table, then the onboarding function and the authorizer.
func FunctionNames() []string {
	var out []string
	for _, f := range routes.Functions() {
		out = append(out, string(f))
	}
	return append(out, OnboardingFunction, AuthorizerFunction, UserMigrationFunction)
}

// UserMigrationFunction is the folder name of the tenant pools'
// user-migration trigger (the shared pool's, and every tenant stack's pool's).
const UserMigrationFunction = string(routes.FnUserMigration)

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
	// TenantConsumerRoles are the roles the stream consumers of each
	// tenant in an AWS account of its own assume here, by tenant and
	// consumer (tenantaccount.go); empty without such tenants.
	TenantConsumerRoles map[string]map[string]awsiam.Role
	API                 *api.API
	// CellDescription is this cell's API and shared pool for the other
	// cells' moves (wireMoves); nil without the directory.
	CellDescription awsssm.StringParameter
	// WAF is the web ACL in front of the API stage; nil when turned off.
	WAF        *waf.WebACL
	Monitoring *monitoring.Monitoring
	// Observability is the nested stack holding Monitoring.
	Observability awscdk.NestedStack
	Provisioning  *provisioning.Provisioning
	Exports       *Exports
	// Files is the pooled attachments bucket (each tenant under its prefix).
	Files *filestore.FileStore
	// Downloads serves Files' downloads (nil without DownloadPublicKey);
	// DownloadKey is the signing key's secret (the PEM private key) and
	// DownloadPublicKey its public key in the key group, which trusts
	// DownloadPublicKeys (the current key, and the next one during a
	// rotation, each with its secret in DownloadKeys).
	Downloads          *filestore.Downloads
	DownloadKey        awssecretsmanager.Secret
	DownloadPublicKey  awscloudfront.PublicKey
	DownloadKeys       []awssecretsmanager.Secret
	DownloadPublicKeys []awscloudfront.PublicKey
	Web                *webapp.WebApp
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
	// UploadSweep runs the attachments function's upload sweep.
	UploadSweep awsevents.Rule
	// Collaboration is the nested stack of the webhook parts and the mail
	// schedule.
	Collaboration awscdk.NestedStack
	Webhooks      *Webhooks
	// MailEvents publishes SES bounces and complaints to the activity function.
	MailEvents *MailEvents
	// MailIdentity is the mail domain's SES identity (DKIM, MAIL FROM).
	MailIdentity awsses.EmailIdentity
}

// NewPlatformStack defines IssueTracker-Platform. It builds every function
// with the local Go toolchain (cached by source hash). Each step below adds
// one part and the grants that part gives; they run in this order because
// later parts use earlier ones (functions need the pools' ids, the tenant
// access role trusts the functions' roles, the API routes to the functions).
func NewPlatformStack(scope constructs.Construct, cfg Config) *Platform {
	p := newPlatform(scope, cfg.withDefaults())
	p.addTables()
	p.addUserPools()
	p.addFunctions()
	attachUserMigration(p.Stack, p.TenantPool, userMigrationArn(p.Stack, p.Config.Prefix))
	p.addExports()
	p.addFiles()
	p.scheduleUploadSweep()
	p.addTenantAccess()
	p.addProvisioning()
	p.wireLifecycle()
	p.wireMaintenance()
	p.wireBilling()
	p.addAPI()
	p.addWAF()
	p.addCursorKey()
	p.grant()
	p.setEnvironment()
	p.wireMoves()
	p.addMonitoring()
	p.addOutputs()
	suppressPlatform(p)
	return p
}

func newPlatform(scope constructs.Construct, cfg Config) *Platform {
	st := awscdk.NewStack(scope, jsii.String(PlatformStackNameOf(cfg.Cell)), &awscdk.StackProps{
		Env:         cfg.env(),
		Description: jsii.String("IssueTracker platform, " + cfg.Cell + ": control plane, pooled application plane, API"),
	})
	awscdk.Tags_Of(st).Add(jsii.String("project"), jsii.String("issuetracker"), nil)
	awscdk.Tags_Of(st).Add(jsii.String(CellTag), jsii.String(cfg.Cell), nil)
	p := &Platform{Stack: st, Config: cfg, Functions: map[string]*gofunction.Function{}}
	p.newWeb(&cfg) // first: its origin is the web origin of everything below
	return p
}

// addTables adds the pooled application table and the control table.
func (p *Platform) addTables() {
	names := p.Config.names()
	p.Pooled = datastore.New(p.Stack, "PooledTable", datastore.PooledProps(names))
	p.Control = datastore.New(p.Stack, "ControlTable", datastore.ControlProps(names))
}

// addUserPools adds the shared tenant pool and the provider (root) pool.
func (p *Platform) addUserPools() {
	cfg := p.Config
	logout := []string{cfg.WebOrigin + "/"}
	var google *identity.Google
	if cfg.Google != nil {
		g := *cfg.Google
		if g.RepoRoot == "" {
			root, err := rootOf(cfg)
			if err != nil {
				panic(err)
			}
			g.RepoRoot = root
		}
		if g.TriggerName == "" {
			g.TriggerName = cfg.Prefix + "-" + string(routes.FnPreSignUp)
		}
		google = &g
	}
	p.TenantPool = identity.New(p.Stack, "TenantPool", &identity.Props{
		PoolName: cfg.Prefix + "-tenants", Kind: identity.Tenants,
		DomainPrefix: cfg.domainPrefix("tenants"), CallbackURLs: []string{cfg.WebOrigin + "/auth/callback"}, LogoutURLs: logout,
		Google: google,
	})
	p.ProviderPool = identity.New(p.Stack, "ProviderPool", &identity.Props{
		PoolName: cfg.Prefix + "-provider", Kind: identity.Provider,
		DomainPrefix: cfg.domainPrefix("provider"), FeaturePlan: awscognito.FeaturePlan_PLUS,
		CallbackURLs: []string{cfg.WebOrigin + "/admin/auth/callback"}, LogoutURLs: logout,
	})
}

// addFunctions builds every function. What each may do (grant) and its
// environment (setEnvironment) come once every part exists.
func (p *Platform) addFunctions() {
	cfg := p.Config
	root, err := rootOf(cfg)
	if err != nil {
		panic(err)
	}
	for _, name := range FunctionNames() {
		var timeout awscdk.Duration
		if name == OnboardingFunction {
			timeout = awscdk.Duration_Minutes(jsii.Number(2)) // not behind API Gateway: a whole resumed run
		}
		fn := gofunction.New(p.Stack, "Fn-"+name, &gofunction.Props{
			Name: name, RepoRoot: root, Dir: cfg.FunctionDirs[name],
			FunctionName: cfg.Prefix + "-" + name, Timeout: timeout,
		})
		p.Functions[name] = fn
	}
}

// addTenantAccess adds the role through which the functions that act as a
// tenant read and write its data, tagged with the caller's tenant (ABAC).
// Only they may assume it (envvars.ActsAsTenant).
func (p *Platform) addTenantAccess() {
	var assumers []awsiam.IRole
	for _, name := range FunctionNames() {
		if envvars.ActsAsTenant(routes.Function(name)) {
			assumers = append(assumers, p.Functions[name].Role)
		}
	}
	p.TenantAccess = tenantaccess.New(p.Stack, "TenantAccess", &tenantaccess.Props{
		PooledTable: p.Pooled.Table, Files: p.Files.Bucket, Names: p.Config.names(), Assumers: assumers,
		RoleName: p.Config.tenantAccessRoleName(),
	})
}

// addFiles adds the pooled attachments bucket; its access logs go to the
// exports' log bucket. Tenant sessions reach their own prefix of it only
// (addTenantAccess).
//
// With a download key (Config.DownloadPublicKey) a CloudFront distribution
// serves the bucket's downloads: the attachments function signs its URLs
// with the private key in the signing key's secret, and presigned S3 GETs
// of the bucket are refused, so no download lacks nosniff. During a
// rotation (Config.DownloadNextPublicKey) the key group trusts both keys
// and each has its secret; the function reads only the signer's.
func (p *Platform) addFiles() {
	p.Files = filestore.New(p.Stack, "Files", &filestore.Props{
		CORSOrigins: p.Config.corsOrigins(), AccessLogs: p.Exports.AccessLogs, AccessLogsPrefix: "attachments/",
	})
	if p.Config.DownloadPublicKey == "" {
		awscdk.Annotations_Of(p.Files.Bucket).AddWarningV2(jsii.String("issuetracker:downloadKey"), jsii.String(
			"No downloadPublicKey: attachment downloads are S3 presigned GETs, without X-Content-Type-Options: nosniff (docs/deploy.md, \"Attachment downloads\")."), nil)
		return
	}
	keys, signer := p.Config.downloadKeys()
	var group awscloudfront.KeyGroup
	p.DownloadPublicKeys, group = filestore.NewSigningKeys(p.Stack, "DownloadSigning", keys...)
	for _, k := range keys {
		fp := filestore.KeyFingerprint(k)
		// Named by the key: it stays while its key is in the group, and
		// goes (deleted, after Secrets Manager's recovery window) with the
		// deploy that removes the key, taking the old private key along.
		p.DownloadKeys = append(p.DownloadKeys, awssecretsmanager.NewSecret(p.Stack, jsii.String("DownloadKey"+fp), &awssecretsmanager.SecretProps{
			SecretName:    jsii.String(DownloadKeySecretName(p.Config.Prefix, k)),
			Description:   jsii.String("PEM private key of the attachment download key " + fp + " (CloudFront key group); the deployer puts it, only the attachments function reads it while it signs with this key"),
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		}))
	}
	p.DownloadKey, p.DownloadPublicKey = p.DownloadKeys[signer], p.DownloadPublicKeys[signer]
	p.Downloads = p.Files.AddDownloads("Downloads", &filestore.DownloadsProps{KeyGroup: group, DenyPresignedGets: true, LogsPrefix: "cloudfront/"})
	// Platinum stacks of this account trust the same key group (key
	// groups are few per account; docs/deploy.md).
	awsssm.NewStringParameter(p.Stack, jsii.String("DownloadKeyGroupParameter"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(DownloadKeyGroupParameter(p.Config.Prefix)), StringValue: group.KeyGroupId(),
		Description: jsii.String("The attachment download key group: Platinum tenant stacks of this account trust it"),
	})
	suppressDownloads(p.Downloads, p.DownloadKeys...)
	for _, name := range FunctionNames() {
		if envvars.StoresFiles(routes.Function(name)) {
			p.DownloadKey.GrantRead(p.Functions[name].Role, nil)
		}
	}
}

// UploadSweepRule runs the attachments function's upload sweep.
const UploadSweepRule = "UploadSweepSchedule"

// UploadSweepMinutes is how often the sweep runs: an upload never
// confirmed gives its reservation back (and its object, if any, goes)
// within attachment.PendingTTL and this.
const UploadSweepMinutes = 15

// scheduleUploadSweep runs the attachments function's
// {"job": "sweep-uploads"} (filewire.SweepUploads) every
// UploadSweepMinutes: the uploads of every active tenant that were never
// confirmed in time are released. (A request refused for quota sweeps
// its own tenant first too.)
func (p *Platform) scheduleUploadSweep() {
	fn := p.Functions[string(routes.FnAttachments)]
	p.UploadSweep = awsevents.NewRule(p.Stack, jsii.String(UploadSweepRule), &awsevents.RuleProps{
		Description: jsii.String("Every 15 minutes: the attachments function releases uploads never confirmed in time"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(UploadSweepMinutes))),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn.Function, &awseventstargets.LambdaFunctionProps{
			Event:         awsevents.RuleTargetInput_FromObject(map[string]any{"job": attachment.JobSweepUploads}),
			RetryAttempts: jsii.Number(2),
		})},
	})
}

// DownloadKeySecretName is the secret holding the private half of the
// download key publicKeyPEM: <prefix>/downloads/private-key-<fingerprint>
// (filestore.KeyFingerprint).
func DownloadKeySecretName(prefix, publicKeyPEM string) string {
	return prefix + "/downloads/private-key-" + filestore.KeyFingerprint(publicKeyPEM)
}

// DownloadKeyGroupParameter is the SSM parameter holding the platform's
// download key group id.
func DownloadKeyGroupParameter(prefix string) string { return "/" + prefix + "/downloads/key-group-id" }

// downloadEnvironment is the download distribution's part of a file
// storing function's environment (internal/envvars.CloudFrontDownloads).
func (p *Platform) downloadEnvironment() map[string]*string {
	if p.Downloads == nil {
		return nil
	}
	return map[string]*string{
		envvars.AttachmentsCloudFrontBase:      p.Downloads.Base(),
		envvars.AttachmentsCloudFrontKeyPairID: p.DownloadPublicKey.PublicKeyId(),
		envvars.AttachmentsCloudFrontKeySecret: p.DownloadKey.SecretArn(),
	}
}

// addExports adds the bucket where offboarding archives each tenant's data.
func (p *Platform) addExports() { p.Exports = newExports(p.Stack) }

// addProvisioning adds the pipeline that deploys Platinum tenants' stacks.
func (p *Platform) addProvisioning() {
	root, err := rootOf(p.Config)
	if err != nil {
		panic(err)
	}
	cfg := p.Config
	ctx := map[string]string{"prefix": cfg.basePrefix, "cell": cfg.Cell, "webOrigin": cfg.WebOrigin, "tenantMfa": string(cfg.TenantMFA)}
	if cfg.DownloadPublicKey != "" {
		ctx["downloadPublicKey"] = pemBody(cfg.DownloadPublicKey)
	}
	if cfg.DownloadNextPublicKey != "" {
		ctx["downloadNextPublicKey"] = pemBody(cfg.DownloadNextPublicKey)
	}
	if cfg.DownloadSignWithNext {
		ctx["downloadSigner"] = "next"
	}
	var accounts []string
	if len(cfg.TenantAccounts) > 0 {
		ctx["tenantAccounts"] = cfg.tenantAccountsContext()
		// The user-migration trigger of a tenant stack in its own account
		// reads the shared pool (usermigration.go).
		ctx["sharedPoolId"], ctx["sharedClientId"] = *p.TenantPool.UserPool.UserPoolId(), *p.TenantPool.Client.UserPoolClientId()
		for _, t := range slices.Sorted(maps.Keys(cfg.TenantAccounts)) {
			accounts = append(accounts, cfg.TenantAccounts[t])
		}
	}
	p.Provisioning = provisioning.New(p.Stack, "Provisioning", &provisioning.Props{
		SourceDir: root, BusName: cfg.Prefix, Context: ctx, TrustingAccounts: accounts,
		StackNamePrefix: schema.TenantStackPrefix(cfg.Cell),
	})
	p.grantTenantAccounts()
	p.addCrossAccountUserMigration()
	p.TenantConsumerRoles = map[string]map[string]awsiam.Role{}
	p.grantTenantAccountData()
}

// grantTenantAccounts lets the onboarding function assume the role of
// each Platinum tenant's own account (constructs/crossaccount), and tells
// it which (envvars.TenantAccountRoles: awsstacks follows those tenants'
// stacks with the assumed role's credentials).
func (p *Platform) grantTenantAccounts() {
	roles := p.Config.tenantAccountRoles()
	if roles == "" {
		return
	}
	arns := roleARNs(roles)
	fn := p.Functions[OnboardingFunction].Function
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{Actions: jsii.Strings("sts:AssumeRole"), Resources: &arns}))
	fn.AddEnvironment(jsii.String(envvars.TenantAccountRoles), jsii.String(roles), nil)
}

// addAPI adds the REST API over the route table.
func (p *Platform) addAPI() {
	byRoute := map[routes.Function]awslambda.IFunction{}
	for _, f := range routes.Functions() {
		byRoute[f] = p.Functions[string(f)].Function
	}
	p.API = api.New(p.Stack, "Api", &api.Props{
		Name: p.Config.Prefix, Functions: byRoute, Authorizer: p.Functions[AuthorizerFunction].Function,
		CORSOrigins: p.Config.corsOrigins(),
	})
}

// addWAF puts the AWS WAF web ACL in front of the API stage.
func (p *Platform) addWAF() {
	props := p.Config.WAFProps(p.Config.Prefix + "-api")
	if props == nil {
		return
	}
	p.WAF = waf.New(p.Stack, "Waf", props)
	p.WAF.Associate("ApiStage", p.API.Stage.StageArn())
}

// setEnvironment gives each function exactly the variables the runtime
// requires of it (internal/envvars.For), from the parts built above.
func (p *Platform) setEnvironment() {
	values := map[string]*string{
		envvars.TablePrefix:              jsii.String(p.Config.Prefix),
		envvars.TenantAccessRoleARN:      p.TenantAccess.Role.RoleArn(),
		envvars.TenantSessionTag:         jsii.String(p.TenantAccess.TagKey),
		envvars.TenantPoolID:             p.TenantPool.UserPool.UserPoolId(),
		envvars.TenantClientIDs:          p.TenantPool.Client.UserPoolClientId(),
		envvars.ProviderPoolID:           p.ProviderPool.UserPool.UserPoolId(),
		envvars.ProviderClientIDs:        p.ProviderPool.Client.UserPoolClientId(),
		envvars.UsagePlanParameterPrefix: jsii.String(p.API.ParameterPrefix()),
		envvars.EventBus:                 p.Provisioning.Bus.EventBusName(),
		envvars.ExportBucket:             p.Exports.Bucket.BucketName(),
		envvars.ExportKMSKey:             p.Exports.Key.KeyArn(),
		envvars.AttachmentsBucket:        p.Files.Bucket.BucketName(),
		envvars.CORSOrigins:              jsii.String(strings.Join(p.Config.corsOrigins(), ",")),
		envvars.CursorKeySecretARN:       p.CursorKey.SecretArn(),
		envvars.MailSender:               jsii.String(itrmail.SenderSES),
		envvars.MailFrom:                 jsii.String(p.Config.MailFrom),
		envvars.MailConfigurationSet:     jsii.String(MailConfigurationSetName(p.Config.Prefix)),
		envvars.WebBaseURL:               jsii.String(p.Config.WebOrigin),
		envvars.BillingProvider:          jsii.String(billing.ProviderStripe),
		envvars.StripeAPIKeySecretARN:    p.BillingParts.APIKey.SecretArn(),
		envvars.StripeWebhookSecretARN:   p.BillingParts.WebhookSecret.SecretArn(),
		envvars.WebhookQueueURL:          webhookQueueURL(p.Stack, p.Config.Prefix),
	}
	for _, name := range FunctionNames() {
		vars, ok := envvars.For(routes.Function(name))
		if !ok {
			panic(fmt.Sprintf("function %s has no environment contract in internal/envvars", name))
		}
		for _, v := range vars {
			value, ok := values[v]
			if !ok {
				panic(fmt.Sprintf("function %s needs %s, which the platform stack does not provide", name, v))
			}
			p.Functions[name].Function.AddEnvironment(jsii.String(v), value, nil)
		}
		if envvars.StoresFiles(routes.Function(name)) {
			env := p.downloadEnvironment()
			for _, v := range slices.Sorted(maps.Keys(env)) {
				p.Functions[name].Function.AddEnvironment(jsii.String(v), env[v], nil)
			}
		}
	}
	if !p.Config.Directory {
		return
	}
	cell := map[string]*string{
		envvars.DirectoryTable: jsii.String(p.Config.directoryTable()),
		envvars.CellID:         jsii.String(p.Config.Cell),
		envvars.CellAPIURL:     p.API.BaseURL(),
	}
	for _, fn := range slices.Sorted(maps.Keys(envvars.ReadsDirectory)) {
		for _, v := range envvars.ReadsDirectory[fn] {
			p.Functions[string(fn)].Function.AddEnvironment(jsii.String(v), cell[v], nil)
		}
	}
}

// addMonitoring adds alarms and the dashboard over every part, in a nested
// stack of their own: CloudFormation takes at most 500 resources per
// template, and the API's methods alone are near 300 of the platform's
// (TestEveryTemplateStaysUnderTheResourceLimit keeps the headroom). The
// nested stack deploys and rolls back with the platform; CDK passes the
// functions', tables' and queues' names in as parameters.
func (p *Platform) addMonitoring() {
	p.Observability = awscdk.NewNestedStack(p.Stack, jsii.String(ObservabilityStackID), &awscdk.NestedStackProps{
		Description: jsii.String("IssueTracker platform: alarms, alert topic and dashboard"),
	})
	m := monitoring.New(p.Observability, "Monitoring", &monitoring.Props{Prefix: p.Config.Prefix, AlarmEmails: p.Config.AlarmEmails})
	p.Monitoring = m
	for _, name := range FunctionNames() {
		fn := p.Functions[name]
		m.WatchFunction(name, fn.Function, fn.Timeout)
	}
	if t := p.TenantPool.LinkTrigger; t != nil {
		m.WatchFunction(string(routes.FnPreSignUp), t.Function, t.Timeout)
	}
	m.WatchAPI(p.Config.Prefix, p.API.RestAPI)
	var tierNames []string
	for _, t := range tiers.All() {
		tierNames = append(tierNames, string(t.Name))
	}
	m.WatchTiers(tierNames)
	if p.OutcomesDLQ != nil {
		m.WatchQueue("outcomes-dlq", p.OutcomesDLQ,
			"A tenant stack outcome could not be delivered to the onboarding function: replay it from the queue, or retry the onboarding (it asks CloudFormation again)")
	}
	p.StreamAnalytics = analyticsConsumer(p.Stack, p.Pooled, p.root(), p.Config.Prefix+"-"+StreamAnalyticsFunction, p.Config.Prefix, m, nil)
	p.StreamActivity = activityConsumer(p.Stack, p.Pooled, p.Files.Bucket, p.root(), p.Config.Prefix+"-"+StreamActivityFunction, p.Config.Prefix, m, nil)
	p.addCollaboration()
	p.wireNotificationMail()
	p.grantTenantAccountTables()
	p.wireTrackerMaintenance()
	p.addMailEvents()
	p.addMailIdentity()
	if b := p.BillingParts; b != nil {
		m.WatchQueue("billing-jobs-dlq", b.JobsDLQ,
			"A billing job (hourly dunning and usage, or the monthly close) could not be delivered to the billing function: run it again (docs/billing.md)")
	}
	var logGroups []awslogs.ILogGroup
	for _, name := range FunctionNames() {
		if name != AuthorizerFunction && name != OnboardingFunction && name != UserMigrationFunction {
			logGroups = append(logGroups, p.Functions[name].LogGroup)
		}
	}
	m.WatchTenantUsage(logGroups)
	m.WatchTable("app", p.Pooled.Table)
	m.WatchTable("control", p.Control.Table)
	p.grantAlarmReads()
}

// grantAlarmReads lets the tenants function read the states of this
// deployment's alarms (Root's platform health page: internal/health/cwalarms);
// constructs/monitoring names every alarm "<prefix>-<name>".
func (p *Platform) grantAlarmReads() {
	fn := p.Functions[string(routes.FnTenants)].Function
	suppress(fn.Role(), why{"AwsSolutions-IAM5",
		"Root's health page lists every alarm of this deployment: constructs/monitoring names them all '<prefix>-...', so the name prefix is the narrowest resource that covers them (DescribeAlarms only: it reads states, it changes nothing).",
		[]string{`/^Resource::arn:.*:cloudwatch:.*:alarm:.*-\*$/`}})
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("cloudwatch:DescribeAlarms"),
		Resources: jsii.Strings(*p.Stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"),
			ResourceName: jsii.String(p.Config.Prefix + "-*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})),
	}))
}

// addOutputs adds what deployers and the web app need to know, and
// publishes the web app with a config.json made of them.
func (p *Platform) addOutputs() {
	p.publishWeb()
	out := func(id string, v *string) {
		awscdk.NewCfnOutput(p.Stack, jsii.String(id), &awscdk.CfnOutputProps{Value: v})
	}
	out("CellId", jsii.String(p.Config.Cell))
	out("ApiUrl", p.API.URL())
	out("TenantUserPoolId", p.TenantPool.UserPool.UserPoolId())
	out("TenantClientId", p.TenantPool.Client.UserPoolClientId())
	out("ProviderUserPoolId", p.ProviderPool.UserPool.UserPoolId())
	out("ProviderClientId", p.ProviderPool.Client.UserPoolClientId())
	out("AlertTopicArn", p.Monitoring.Topic.TopicArn())
	out("EventBusName", p.Provisioning.Bus.EventBusName())
	out("ExportsBucketName", p.Exports.Bucket.BucketName())
	out("AttachmentsBucketName", p.Files.Bucket.BucketName())
	if p.Downloads != nil {
		out("AttachmentsDownloadDomain", p.Downloads.Distribution.DistributionDomainName())
		out("AttachmentsDownloadKeySecretArn", p.DownloadKey.SecretArn())
	}
	out("ProvisioningStateMachineArn", p.Provisioning.StateMachine.StateMachineArn())
}

// root is the repository root the functions are built from.
func (p *Platform) root() string {
	root, err := rootOf(p.Config)
	if err != nil {
		panic(err)
	}
	return root
}

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
// cursor with it); the functions that list may read it (grant).
func (p *Platform) addCursorKey() {
	p.CursorKey = awssecretsmanager.NewSecret(p.Stack, jsii.String("CursorKey"), &awssecretsmanager.SecretProps{
		Description: jsii.String("HMAC-SHA256 key of the API's list cursors (internal/list)"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength: jsii.Number(64), ExcludePunctuation: jsii.Bool(true), IncludeSpace: jsii.Bool(false),
		},
	})
}

// roleARNs are the role ARNs of a "tenant=role-arn,..." list (read strictly
// by envvars.ParseTenantRoles where the functions read it).
func roleARNs(roles string) []*string {
	var arns []*string
	for _, pair := range strings.Split(roles, ",") {
		_, arn, _ := strings.Cut(pair, "=")
		arns = append(arns, jsii.String(arn))
	}
	return arns
}
