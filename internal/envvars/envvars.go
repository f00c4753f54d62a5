// Package envvars is the environment contract between the CDK app and the
// functions: it names every ITR_* variable the runtime reads, and says which
// of them the platform must set for each function (For). The platform stack
// sets exactly For(fn) on function fn; the runtime reads the names from here
// and, in Lambda, refuses to start when one of For(fn) is missing (Check), so
// a mismatch fails a test or a cold start, never a request.
// Plain Go, no AWS imports.
package envvars

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/issuetracker/issuetracker/internal/routes"
)

// Set by the platform stack (infra/stacks).
const (
	// TablePrefix prefixes the physical table names (schema.Names).
	TablePrefix = "ITR_TABLE_PREFIX"
	// TenantAccessRoleARN is the role assumed, tagged with the caller's
	// tenant, to read and write tenant data (tenantcreds).
	TenantAccessRoleARN = "ITR_TENANT_ACCESS_ROLE_ARN"
	// TenantSessionTag is the session tag that carries the tenant id.
	TenantSessionTag = "ITR_TENANT_SESSION_TAG"
	// TenantPoolID is the shared user pool of pooled tenants.
	TenantPoolID = "ITR_TENANT_POOL_ID"
	// TenantClientIDs and ProviderClientIDs are comma-separated app client
	// ids, the tokens' audiences; ProviderPoolID is the root users' pool.
	TenantClientIDs   = "ITR_TENANT_CLIENT_IDS"
	ProviderPoolID    = "ITR_PROVIDER_POOL_ID"
	ProviderClientIDs = "ITR_PROVIDER_CLIENT_IDS"
	// UsagePlanParameterPrefix is the SSM path holding each tier's usage plan id.
	UsagePlanParameterPrefix = "ITR_USAGE_PLAN_PARAMETER_PREFIX"
	// EventBus is the platform bus: lifecycle runs and Platinum stacks.
	EventBus = "ITR_EVENT_BUS"
	// ExportBucket and ExportKMSKey receive offboarded tenants' exports.
	ExportBucket = "ITR_EXPORT_BUCKET"
	ExportKMSKey = "ITR_EXPORT_KMS_KEY_ARN"
	// AttachmentsBucket is the pooled attachments bucket (a Platinum
	// tenant's own is named by schema.Names.SiloFiles).
	AttachmentsBucket = "ITR_ATTACHMENTS_BUCKET"
	// CORSOrigins are the comma-separated browser origins allowed to call
	// the API (the web app); "*" allows any.
	CORSOrigins = "ITR_CORS_ORIGINS"
	// CursorKeySecretARN is the Secrets Manager secret holding the HMAC key
	// of list cursors (internal/list).
	CursorKeySecretARN = "ITR_CURSOR_KEY_SECRET_ARN"
	// MailSender ("ses" in AWS, "smtp" locally), MailFrom (the From
	// address) and WebBaseURL (links in mails) configure internal/mail.
	MailSender = "ITR_MAIL_SENDER"
	MailFrom   = "ITR_MAIL_FROM"
	// MailConfigurationSet is the SES configuration set every mail is sent
	// with: it publishes bounces and complaints (the suppression list).
	MailConfigurationSet = "ITR_MAIL_CONFIGURATION_SET"
	WebBaseURL           = "ITR_WEB_BASE_URL"
	// APIBaseURL is the API's public URL (links to it in mails: the
	// notification mail's one-click unsubscribe).
	APIBaseURL = "ITR_API_BASE_URL"
	// BillingProvider turns billing on ("stripe"): paid pooled tiers then
	// wait for their first payment at registration (billing.Admission).
	BillingProvider = "ITR_BILLING_PROVIDER"
	// BillingStripe is BillingProvider's one value.
	BillingStripe = "stripe"
	// StripeAPIKeySecretARN and StripeWebhookSecretARN name the Secrets
	// Manager secrets holding Stripe's API key and the webhook's signing
	// secret (read by the billing function only).
	StripeAPIKeySecretARN  = "ITR_STRIPE_API_KEY_SECRET_ARN"
	StripeWebhookSecretARN = "ITR_STRIPE_WEBHOOK_SECRET_ARN"
	// WebhookQueueURL is the SQS queue of webhook delivery attempts
	// (internal/webhook/sqsqueue): the activity consumers queue first
	// attempts, the webhook-delivery function retries, the comments
	// function redeliveries. Locally the queue is in-process
	// (webhook.MemQueue) and this is unset.
	WebhookQueueURL = "ITR_WEBHOOK_QUEUE_URL"
)

// Read only outside AWS (the local platform, tests); never set by the stack.
const (
	// CognitoIssuerBase replaces https://cognito-idp.<region>.amazonaws.com
	// (cognito-local).
	CognitoIssuerBase = "ITR_COGNITO_ISSUER_BASE"
	// DynamoDBEndpoint, CognitoEndpoint and S3Endpoint point the SDK at the
	// local services.
	DynamoDBEndpoint = "ITR_DYNAMODB_ENDPOINT"
	CognitoEndpoint  = "ITR_COGNITO_ENDPOINT"
	S3Endpoint       = "ITR_S3_ENDPOINT"
	// CognitoLocalRoot is where cognito-local is installed, for the preload
	// that keeps a refreshed session's auth_time (localcloud's
	// cognito-authtime.cjs reads it; set only on cognito-local's process).
	CognitoLocalRoot = "ITR_COGNITO_LOCAL_ROOT"
	// SQSEndpoint points the SDK's SQS client at the local cloud's queues
	// (the template mode's function processes send webhook attempts there).
	SQSEndpoint = "ITR_SQS_ENDPOINT"
	// NotifyWindow is the notification mail's batching window of the
	// activity stream function (a Go duration; AWS: notify's default).
	// make dev's template mode shortens it as the in-process mode does.
	NotifyWindow = "ITR_NOTIFY_WINDOW"
	// LocalLifecycleURL is where make dev's template mode runs the tenant
	// lifecycle for the lifecycle functions: their runs and Platinum
	// stacks (internal/onboarding/localstacks); in AWS the onboarding
	// function and the provisioning pipeline do.
	LocalLifecycleURL = "ITR_LOCAL_LIFECYCLE_URL"
	// EventsEndpoint points the SDK's EventBridge client at the local
	// cloud's bus (make dev's template mode): the lifecycle functions put
	// their run requests there, and the template's rules route them.
	EventsEndpoint = "ITR_EVENTS_ENDPOINT"
	// MetricsLog receives the EMF metric lines outside Lambda.
	MetricsLog = "ITR_METRICS_LOG"
	// CursorKey is the cursor HMAC key itself (at least 32 bytes).
	CursorKey = "ITR_CURSOR_KEY"
	// SMTPAddr is the SMTP server's host:port (mailpit).
	SMTPAddr = "ITR_SMTP_ADDR"
	// BillingGrace is the grace period after a failed payment (a Go
	// duration; billing.DefaultGrace when unset).
	BillingGrace = "ITR_BILLING_GRACE"
	// MigrationSettle is the local platform's tier-migration settle time
	// (a Go duration; 2 s when unset): the write freeze lasts about this
	// plus 1 s, longer for a browser test that must meet it.
	MigrationSettle = "ITR_MIGRATION_SETTLE"
	// OnboardingLease is how long a local onboarding run owns its tenant
	// without progress before the platform resumes it (a Go duration;
	// devstack.OnboardingLease, 3 min, when unset). `make chaos` shortens
	// it to see a run that died with a killed platform resumed.
	OnboardingLease = "ITR_ONBOARDING_LEASE"
	// StripeAPIKey and StripeWebhookSecret are the secrets themselves,
	// StripeAPIBase points the client at stripe-mock.
	StripeAPIKey        = "ITR_STRIPE_API_KEY"
	StripeWebhookSecret = "ITR_STRIPE_WEBHOOK_SECRET"
	StripeAPIBase       = "ITR_STRIPE_API_BASE"
	// AttachmentsDownloadBase re-bases presigned GETs on a download
	// origin: the local gateway's /files, which adds nosniff in front of
	// the local S3 (AWS uses the CloudFront variables below instead).
	AttachmentsDownloadBase = "ITR_ATTACHMENTS_DOWNLOAD_BASE"
	// WebhookAllowLoopback ("true") lets webhooks reach loopback
	// addresses (a receiver on this machine); never set in AWS.
	WebhookAllowLoopback = "ITR_WEBHOOK_ALLOW_LOOPBACK"
)

// Read by the developer CLI (cmd/issuetracker), not by functions.
const (
	// DevState moves the local platform's state folder (default .local/dev).
	DevState = "ITR_DEV_STATE"
	// WebDir is the built web app the local gateway serves.
	WebDir = "ITR_WEB_DIR"
	// PlatformFile is the local platform description `login` reads.
	PlatformFile = "ITR_PLATFORM_FILE"
	// APIURL is the API `login --workspace` asks (default: the local gateway).
	APIURL = "ITR_API_URL"
	// LocalTierLimits raises or lowers the local gateway's usage plans for
	// a run (load tests; gateway.ParseTierLimits), never the deployed ones.
	LocalTierLimits = "ITR_LOCAL_TIER_LIMITS"
	// DebugAddr serves the local platform's expvar and pprof (debugvars).
	DebugAddr = "ITR_DEBUG_ADDR"
	// DevMode is make dev's platform mode: "template" (the synthesized
	// template's functions as processes; default) or "in-process".
	DevMode = "ITR_DEV_MODE"
)

// TenantAccountRoles are the roles the onboarding function assumes in
// Platinum tenants' own AWS accounts: "tenant=role-arn,...". Set by the
// platform stack only when a tenant has an account of its own
// (infra/stacks Config.TenantAccounts); unset, every tenant stack is in
// the platform's account.
const TenantAccountRoles = "ITR_TENANT_ACCOUNT_ROLES"

// TenantDataRoles are the data roles of Platinum tenants' own AWS accounts
// (constructs/crossaccount DataRole): "tenant=role-arn,...". Set by the
// platform stack, when a tenant has an account of its own, on the
// functions that act as the tenant (ActsAsTenant): internal/tenantcreds
// reaches those tenants' tables and buckets by assuming that role from
// the tenant access role's session (a second hop).
const TenantDataRoles = "ITR_TENANT_DATA_ROLES"

// TenantAccountsHopRoleARN is the tenant access role, set (with
// TenantDataRoles) on the platform's functions that read tenants' tables
// with their own role rather than as the tenant (ReadsTenantTables) when
// the cell has tenants in accounts of their own: they take the two hops
// for those tenants only (tenantcreds.Provider.OwnAccountsOnly); their
// own grants cover the tables of the platform's account.
const TenantAccountsHopRoleARN = "ITR_TENANT_ACCOUNTS_HOP_ROLE_ARN"

// ReadsTenantTables are the platform's functions (by their folder under
// functions/) that read tenants' tables with their own role, not as a
// request of the tenant: the webhook delivery (deliveries, endpoints, the
// admins to mail) and the activity function's notification mail job
// (pending mail, preferences, users). The platform stack gives them
// TenantAccountsHopRoleARN and TenantDataRoles when the cell has tenants
// in accounts of their own, and the tenant access role trusts them.
var ReadsTenantTables = []string{"stream-activity", "webhook-delivery"}

// PlatformRoleARN is set on the functions a Platinum tenant's stack deploys
// in an account of its own: the role of the platform's account that
// function assumes to reach the platform's side. Each function has its own
// role there (infra/stacks): the change-stream consumers reach the control
// table and the webhook queue (tenantaccount.go); the user-migration
// trigger reads the shared pool's users and the registry (usermigration.go,
// docs/migration.md "A Platinum tenant in its own account"). Unset, the
// function is in the platform's account and uses its own role.
//
// TenantPoolRoles is set on the platform's trigger when tenants have
// accounts of their own: "tenant=role-arn,...", the role each such tenant
// stack gives the platform to read the tenant's pool (the source of a
// downgrade).
const (
	PlatformRoleARN = "ITR_PLATFORM_ROLE_ARN"
	TenantPoolRoles = "ITR_TENANT_POOL_ROLES"
)

// The pooled attachments bucket's download distribution (AWS, when the
// deployment has a download key; constructs/filestore): its https origin,
// the CloudFront public key id of its key group, and the Secrets Manager
// secret holding the matching PEM private key. Set together on the
// functions that store files; unset, downloads are presigned S3 GETs.
const (
	AttachmentsCloudFrontBase      = "ITR_ATTACHMENTS_CLOUDFRONT_BASE"
	AttachmentsCloudFrontKeyPairID = "ITR_ATTACHMENTS_CLOUDFRONT_KEY_PAIR_ID"
	AttachmentsCloudFrontKeySecret = "ITR_ATTACHMENTS_CLOUDFRONT_KEY_SECRET_ARN"
)

// CloudFrontDownloads are the download distribution's variables.
var CloudFrontDownloads = []string{AttachmentsCloudFrontBase, AttachmentsCloudFrontKeyPairID, AttachmentsCloudFrontKeySecret}

// StoresFiles reports whether fn serves attachments as the tenant (and so
// gets CloudFrontDownloads when the deployment has them).
func StoresFiles(fn routes.Function) bool {
	groups, _ := needsOf(fn)
	return slices.Contains(groups, storesFiles)
}

// The global tenant directory (internal/cells, docs/scale.md "Cells"). Set
// by the platform stack only when the deployment has one (infra/stacks
// Config.Directory, -c directory=true), and then on the functions of
// ReadsDirectory only. Unset, the platform is one cell: the workspace
// lookup and the authorizer answer from this cell's registry alone.
const (
	// DirectoryTable is the directory's table (schema.Names.Directory of
	// the deployment's base prefix).
	DirectoryTable = "ITR_DIRECTORY_TABLE"
	// CellID is this platform's cell (schema.DefaultCell, "cell-2", ...).
	CellID = "ITR_CELL_ID"
	// CellAPIURL is this cell's public API URL, without a trailing slash,
	// written into the directory entries of the tenants placed here (the
	// other cells point callers at it).
	CellAPIURL = "ITR_CELL_API_URL"
)

// MoveCells are the other cells a tenant of this cell may move to, in the
// same account and Region: "cell=prefix,..." (internal/cells.Peer; each
// cell's tables, usage plan parameters and description parameter are named
// from its prefix). Set by the platform stack on the onboarding function
// when the deployment has a directory and other cells (infra/stacks
// Config.Cells); unset, a move answers unknown_cell.
const MoveCells = "ITR_MOVE_CELLS"

// TenantStackPrefix names the Platinum tenant stacks of this cell
// (schema.TenantStackPrefix: "IssueTracker-<cell>-Tenant-"). Set by the
// platform stack of a cell other than schema.DefaultCell on the function
// that deploys tenant stacks; unset, the first cell's names.
const TenantStackPrefix = "ITR_TENANT_STACK_PREFIX"

// ReadsDirectory are the functions that read the directory, and what each
// needs of it: the workspace lookup and registration (placement, the
// slug's claim across cells), the authorizer (a tenant the directory
// places in another cell is refused) and the onboarding function (a move
// between cells ends with cells.Directory.Switch; offboarding closes the
// entry: cells.Directory.Close).
var ReadsDirectory = map[routes.Function][]string{
	routes.FnRegistration: {CellAPIURL, CellID, DirectoryTable},
	routes.FnAuthorizer:   {CellID, DirectoryTable},
	routes.FnOnboarding:   {CellAPIURL, CellID, DirectoryTable},
}

// Optional are the variables the platform stack sets only when configured:
// no contract requires them.
var Optional = append([]string{TenantAccountRoles, TenantDataRoles, TenantAccountsHopRoleARN, PlatformRoleARN, TenantPoolRoles, DirectoryTable, CellID, CellAPIURL, MoveCells, TenantStackPrefix}, CloudFrontDownloads...)

// CheckDirectory fails when fn's environment names the directory by half
// (some of ReadsDirectory[fn] set, others not): a function that reads the
// directory must know its cell, and the other way round.
func CheckDirectory(fn routes.Function, lookup func(string) (string, bool)) error {
	var set, unset []string
	for _, n := range ReadsDirectory[fn] {
		if v, ok := lookup(n); ok && v != "" {
			set = append(set, n)
		} else {
			unset = append(unset, n)
		}
	}
	if len(set) > 0 && len(unset) > 0 {
		return fmt.Errorf("function %s: %s set without %s (internal/envvars ReadsDirectory)", fn, strings.Join(set, ", "), strings.Join(unset, ", "))
	}
	return nil
}

// Deployed are the variables the platform stack may set; Local the ones it
// never sets.
var (
	Deployed = []string{TablePrefix, TenantAccessRoleARN, TenantSessionTag, TenantPoolID, TenantClientIDs,
		ProviderPoolID, ProviderClientIDs, UsagePlanParameterPrefix, EventBus, ExportBucket, ExportKMSKey, AttachmentsBucket, CORSOrigins,
		CursorKeySecretARN, MailSender, MailFrom, MailConfigurationSet, WebBaseURL, BillingProvider, StripeAPIKeySecretARN, StripeWebhookSecretARN, WebhookQueueURL}
	Local = []string{CognitoIssuerBase, DynamoDBEndpoint, CognitoEndpoint, S3Endpoint, MetricsLog, CursorKey, SMTPAddr,
		BillingGrace, MigrationSettle, OnboardingLease, StripeAPIKey, StripeWebhookSecret, StripeAPIBase, AttachmentsDownloadBase, DevState, WebDir, PlatformFile, APIURL,
		LocalTierLimits, DebugAddr, DevMode, WebhookAllowLoopback, SQSEndpoint, NotifyWindow, LocalLifecycleURL, EventsEndpoint}
)

// OnConsumers are set by the platform stack on a change-stream consumer
// (beyond its contract in needs, which tenant stacks meet too): the control
// table's prefix (each tenant's current home), the API's URL for the
// unsubscribe links of stream-activity's mails, the webhook queue.
var OnConsumers = []string{TablePrefix, APIBaseURL, WebhookQueueURL}

// What a function does decides what it needs: a group of variables per
// thing it does (groupVars).
type group uint8

const (
	answersBrowsers group = iota // an HTTP function behind the API
	tables                       // reads or writes a table
	tenantData                   // as the tenant (ABAC)
	sharedPool                   // pooled tenants' users
	verifiesTokens
	startsRuns      // puts lifecycle run requests on the bus
	managesKeys     // tenants' API keys on the tier plans
	offboards       // deletes the tenant's files too
	storesFiles     // attachments, as the tenant
	lists           // signs list cursors (every route function: core.Boot needs it)
	sendsMail       // verification codes, invitations
	findsWorkspaces // the public workspace lookup names the shared pool's client
	admitsBilling   // admits registrations: paid tiers wait for a payment
	chargesStripe
	queuesWebhooks // redelivers webhook attempts
)

// groupVars are the variables of each group: an array of slice literals of
// constants, static data (no code at initialisation; issue 19).
var groupVars = [...][]string{
	answersBrowsers: {CORSOrigins},
	tables:          {TablePrefix},
	tenantData:      {TenantAccessRoleARN, TenantSessionTag},
	sharedPool:      {TenantPoolID},
	verifiesTokens:  {TenantClientIDs, ProviderPoolID, ProviderClientIDs},
	startsRuns:      {EventBus},
	managesKeys:     {UsagePlanParameterPrefix},
	offboards:       {ExportBucket, ExportKMSKey, AttachmentsBucket},
	storesFiles:     {AttachmentsBucket},
	lists:           {CursorKeySecretARN},
	sendsMail:       {MailSender, MailFrom, MailConfigurationSet, WebBaseURL},
	findsWorkspaces: {TenantPoolID, TenantClientIDs},
	admitsBilling:   {BillingProvider},
	chargesStripe:   {StripeAPIKeySecretARN, StripeWebhookSecretARN},
	queuesWebhooks:  {WebhookQueueURL},
}

// needs is what each function needs in AWS, where lifecycle runs happen in
// the onboarding function (the API functions request them on the bus): it
// mails the new admin's invitation, registration mails verification codes
// and users mails invitations. The workspace function changes branding
// through the tenant lifecycle, which is built with the shared pool. Every
// route function signs list cursors (core.Boot refuses to start without
// the key). A slice, not a map: static data, where a map literal this size
// is built by the package's initialisation in every function (issue 19);
// TestNeedsNamesEachFunctionOnce keeps one entry per function.
var needs = []fnNeeds{
	{routes.FnMeta, []group{answersBrowsers, lists}},
	{routes.FnIssues, []group{answersBrowsers, lists, tables, tenantData}},
	{routes.FnComments, []group{answersBrowsers, lists, tables, tenantData, queuesWebhooks}},
	{routes.FnTeams, []group{answersBrowsers, lists, tables, tenantData}},
	{routes.FnUsers, []group{answersBrowsers, lists, tables, tenantData, sharedPool, sendsMail}},
	{routes.FnWorkspace, []group{answersBrowsers, lists, tables, sharedPool}},
	{routes.FnAnalytics, []group{answersBrowsers, lists, tables, tenantData}},
	{routes.FnAttachments, []group{answersBrowsers, lists, tables, tenantData, storesFiles}},
	{routes.FnRegistration, []group{answersBrowsers, lists, tables, startsRuns, sendsMail, findsWorkspaces, admitsBilling}},
	{routes.FnTenants, []group{answersBrowsers, lists, tables, tenantData, startsRuns, managesKeys, admitsBilling}},
	// The shared pool's client: a tenant moving to another cell names it
	// as its FormerPool (the target pool's trigger signs users in there).
	{routes.FnOnboarding, []group{tables, tenantData, sharedPool, findsWorkspaces, startsRuns, managesKeys, offboards, sendsMail, admitsBilling}},
	// Stripe's checkout and webhook, the hourly and monthly jobs: a
	// payment starts a held onboarding run (an event), a plan change moves
	// the tenant's API key, notices and usage thresholds are mailed.
	{routes.FnBilling, []group{answersBrowsers, lists, tables, tenantData, sharedPool, startsRuns, managesKeys, sendsMail, admitsBilling, chargesStripe}},
	{routes.FnAuthorizer, []group{tables, tenantData, sharedPool, verifiesTokens}},
	// The pool it serves comes in each event.
	{routes.FnPreSignUp, []group{}},
	// Reads the registry (a tenant by its pool's issuer, its FormerPool)
	// and authenticates users in the shared pool with its client.
	{routes.FnUserMigration, []group{tables, findsWorkspaces}},
	// The stream consumers, in the platform stack and in every Platinum
	// tenant stack (OnConsumers adds what only the platform's use): the
	// control table's prefix (the tenants' homes); stream-activity queues
	// webhook attempts. A template that drops one stops the consumer's
	// cold start instead of defaulting it.
	{routes.FnStreamAnalytics, []group{tables}},
	{routes.FnStreamActivity, []group{tables, queuesWebhooks}},
}

type fnNeeds struct {
	fn     routes.Function
	groups []group
}

// needsOf are fn's groups in needs; ok is false for a function it does
// not name.
func needsOf(fn routes.Function) (groups []group, ok bool) {
	for _, n := range needs {
		if n.fn == fn {
			return n.groups, true
		}
	}
	return nil, false
}

// ActsAsTenant reports whether fn reads or writes tenant data as the tenant
// (and so may assume the tenant access role).
func ActsAsTenant(fn routes.Function) bool {
	names, _ := For(fn)
	return slices.Contains(names, TenantAccessRoleARN)
}

// For returns the variables the platform must set for function fn, sorted.
// ok is false for a function the contract does not know.
func For(fn routes.Function) (names []string, ok bool) {
	groups, ok := needsOf(fn)
	if !ok {
		return nil, false
	}
	for _, g := range groups {
		names = append(names, groupVars[g]...)
	}
	slices.Sort(names)
	return slices.Compact(names), true
}

// Missing returns the variables of For(fn) that lookup does not find (or
// finds empty).
func Missing(fn routes.Function, lookup func(string) (string, bool)) ([]string, error) {
	names, ok := For(fn)
	if !ok {
		return nil, fmt.Errorf("envvars: no contract for function %q", fn)
	}
	var out []string
	for _, n := range names {
		if v, ok := lookup(n); !ok || v == "" {
			out = append(out, n)
		}
	}
	return out, nil
}

// Check fails when this process's environment lacks a variable that the
// platform must set for fn. Lambda mains call it at cold start.
func Check(fn routes.Function) error {
	missing, err := Missing(fn, os.LookupEnv)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("function %s: the platform stack did not set %s (internal/envvars)", fn, strings.Join(missing, ", "))
	}
	return CheckDirectory(fn, os.LookupEnv)
}

// Get reads a variable, or def when it is unset or empty.
func Get(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// List reads a comma-separated variable, without empty items.
func List(name string) []string {
	var out []string
	for _, p := range strings.Split(os.Getenv(name), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseTenantRoles reads "tenant=role-arn,..." (TenantAccountRoles,
// TenantPoolRoles, TenantDataRoles): tenant id -> the ARN of a role in its own account.
func ParseTenantRoles(v string) (map[string]string, error) {
	out := map[string]string{}
	for _, pair := range strings.Split(v, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		tenant, arn, ok := strings.Cut(pair, "=")
		if !ok || tenant == "" || !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":role/") {
			return nil, fmt.Errorf("tenant account role %q: want tenant=arn:aws:iam::<account>:role/<name>", pair)
		}
		out[tenant] = arn
	}
	return out, nil
}
