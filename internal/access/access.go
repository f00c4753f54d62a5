// Package access says what each function may do on the control table: which
// DynamoDB actions on which kinds of control items, a kind being one of the
// partition-key prefixes of internal/schema (tenants, issuers, audit logs,
// rate windows). The platform stack grants exactly this, with
// dynamodb:LeadingKeys conditions (infra/stacks), and an integration test
// records every control-table call each function makes and checks that it
// is granted here (internal/app). Plain Go, no AWS imports.
//
// Why prefixes of one table, not one table per kind: the registry, issuer
// map and lifecycle state are written together in transactions, and IAM's
// LeadingKeys condition separates the kinds as well as tables would.
package access

import (
	"slices"
	"strings"

	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// Grant allows Actions ("GetItem", ...) on the items whose partition key
// matches one of Keys ("TENANT#*"; * matches any suffix), in the table or,
// with Index set, in that index of it.
type Grant struct {
	Actions []string
	Keys    []string
	Index   string
	// Attributes, when set, are the only non-key attributes a write may
	// name (dynamodb:Attributes).
	Attributes []string
}

// WriteToken is the attribute every conditional PutItem and UpdateItem
// carries (internal/awsx/owntoken.Attr: a retried write recognises its own
// earlier success by it); a grant limited to some attributes allows it too.
const WriteToken = "wtok"

// Writable are the non-key attributes g lets a write name: its Attributes
// and the write token (nil when g limits none).
func (g Grant) Writable() []string {
	if len(g.Attributes) == 0 {
		return nil
	}
	return append(slices.Clip(g.Attributes), WriteToken)
}

// The kinds of control items, as LeadingKeys patterns.
var (
	tenants   = schema.ControlTenant + "*"
	issuers   = schema.ControlIssuer + "*"
	audit     = schema.ControlAudit + "*"
	rates     = schema.ControlRate + "*"
	tenantIdx = schema.ControlTenantList
	rowsIdx   = schema.ControlTenantRows + "*"
	settings  = schema.ControlSettings
	rootIdem  = schema.ControlRootIdempotency + "*"
	anonIdem  = schema.ControlPublicIdempotency + "*"
	usageOf   = schema.ControlUsage + "*"
	usageIdx  = schema.ControlUsageMonth + "*"
	customers = schema.ControlBillingCustomer + "*"
	events    = schema.ControlBillingEvent + "*"
	closes    = schema.ControlBillingClose
	accounts  = schema.ControlBillingAccounts
	// suppressed are the addresses not to mail again (internal/mail/maildb).
	suppressed = schema.ControlSuppressed + "*"
	// suppressionIdx is gsi1's list of them (Root's suppression list).
	suppressionIdx = schema.ControlSuppressionList
	// statusDeletions are the heartbeats of running status deletions
	// (internal/project, projectdb.Heartbeats).
	statusDeletions = schema.ControlStatusDeletionJobs
	// rootSessions are when Root's sessions ended (tenant.RootSessions).
	rootSessions = schema.ControlRootSessions + "*"
)

// mails is what a function that sends mail reads first: whether the
// address is suppressed (mail.Suppressing).
var mails = Grant{Actions: []string{"GetItem"}, Keys: []string{suppressed}}

// idemMarker is the Update a write's transaction makes on the caller's
// Idempotency-Key record (internal/idempotency/txclaim): its state, if the
// token is still the request's.
func idemMarker(keys string) Grant {
	return Grant{Actions: []string{"UpdateItem"}, Keys: []string{keys}, Attributes: []string{"state", "token"}} // txclaim.AttrState, AttrToken
}

// metered is what every function serving tenants' users does for usage
// metering (internal/usage): its meter adds the process's counts to the
// tenant's usage items, claims a threshold notice once, and reads the
// tenant (its name and tier) to mail the notice.
var metered = []Grant{
	{Actions: []string{"UpdateItem", "PutItem"}, Keys: []string{usageOf}},
	{Actions: []string{"GetItem"}, Keys: []string{tenants}},
}

// with is fn's own grants and the metering ones.
func with(own ...Grant) []Grant { return append(slices.Clone(metered), own...) }

// verificationAttempt are the attributes a wrong verification code updates
// (onboardingdb.Verifications.CountAttempt).
var verificationAttempt = []string{"attempts", "salt"}

// rootSessionsEnd is what ending a root user's sessions writes
// (tenant.RootSessions).
var rootSessionsEnd = []string{"sessions_ended_at"}

// control is what each function does on the control table in AWS, where
// lifecycle runs happen in the onboarding function only (the API functions
// put a run request on the bus).
var control = map[routes.Function][]Grant{
	// Confirms the caller's tenant, and finds a Platinum tenant by its pool's issuer.
	// Reads when a root user's sessions ended (signed out everywhere), and
	// ends those of a root user the provider pool disabled.
	routes.FnAuthorizer: {
		{Actions: []string{"GetItem"}, Keys: []string{tenants, issuers, rootSessions}},
		{Actions: []string{"UpdateItem"}, Keys: []string{rootSessions}, Attributes: rootSessionsEnd},
	},
	// Reads the caller's tenant (tier limits, its pool); audits the Super
	// Admin's changes; reads the caller's audit log (the workspace's audit page).
	routes.FnUsers: with(
		Grant{Actions: []string{"GetItem"}, Keys: []string{tenants}},
		Grant{Actions: []string{"PutItem", "Query"}, Keys: []string{audit}},
		mails,
	),
	// Tenants' users' own data: metering only; and the status-deletion
	// jobs' heartbeats: a job's progress refreshes its own (PutItem), ends
	// with it (DeleteItem); the periodic job (trackerwire.Maintain) lists
	// them, takes a stale one over or hands it back (a conditional
	// UpdateItem of its time and runner only) and reads the tenant it runs as.
	routes.FnIssues: with(
		Grant{Actions: []string{"PutItem", "DeleteItem", "Query"}, Keys: []string{statusDeletions}},
		Grant{Actions: []string{"UpdateItem"}, Keys: []string{statusDeletions}, Attributes: []string{"at", "runner"}},
	),
	routes.FnComments:  metered,
	routes.FnTeams:     metered,
	routes.FnAnalytics: metered,
	// Attachments: metering, and the upload sweep's walk over the active
	// tenants (core.EachActiveTenant: the tenant list index).
	routes.FnAttachments: with(Grant{Actions: []string{"Query"}, Keys: []string{tenantIdx}, Index: schema.GSI1}),
	// Branding: reads the tenant, writes its branding and nothing else of it.
	routes.FnWorkspace: with(
		Grant{Actions: []string{"GetItem"}, Keys: []string{tenants}},
		Grant{Actions: []string{"UpdateItem"}, Keys: []string{tenants}, Attributes: schema.BrandingAttributes},
		Grant{Actions: []string{"PutItem"}, Keys: []string{audit}},
	),
	// Counts sign-ups, lookups and code mails per address; reads whether
	// sign-ups are open (the system settings); creates the
	// tenant with its lifecycle state and email verification, counts wrong
	// codes, replaces an unverified registration of the slug; answers a
	// registration's status and where a workspace signs in; keeps anonymous
	// callers' Idempotency-Key records.
	routes.FnRegistration: {
		{Actions: []string{"UpdateItem"}, Keys: []string{rates}},
		{Actions: []string{"UpdateItem"}, Keys: []string{tenants}, Attributes: verificationAttempt},
		{Actions: []string{"GetItem"}, Keys: []string{tenants, settings}},
		{Actions: []string{"PutItem"}, Keys: []string{tenants, audit, anonIdem}},
		{Actions: []string{"DeleteItem"}, Keys: []string{tenants, anonIdem}},
		mails,
		idemMarker(anonIdem),
	},
	// Root's administration: lists, reads, approves and changes tenants,
	// reads their audit and usage, reads and changes the system settings,
	// lists and lifts mail suppressions (audited); keeps Root's
	// Idempotency-Key records.
	routes.FnTenants: {
		// A lift reads the entry before deleting it (maildb.Lift).
		{Actions: []string{"GetItem", "DeleteItem"}, Keys: []string{suppressed}},
		{Actions: []string{"Query"}, Keys: []string{suppressionIdx}, Index: schema.GSI1},
		{Actions: []string{"GetItem"}, Keys: []string{tenants, settings}},
		{Actions: []string{"PutItem"}, Keys: []string{tenants, issuers, audit, rootIdem, settings}},
		{Actions: []string{"DeleteItem"}, Keys: []string{rootIdem}},
		idemMarker(rootIdem),
		{Actions: []string{"Query"}, Keys: []string{audit}},
		{Actions: []string{"Query"}, Keys: []string{tenantIdx}, Index: schema.GSI1},
		// The tenants table: a page of rows, then their tenants and usage.
		{Actions: []string{"Query"}, Keys: []string{rowsIdx}, Index: schema.GSI2},
		{Actions: []string{"BatchGetItem"}, Keys: []string{usageOf, tenants}},
		// Root signs out everywhere.
		{Actions: []string{"UpdateItem"}, Keys: []string{rootSessions}},
	},
	// Billing: the workspace's plan and usage, Stripe's checkout and
	// webhook (each event claimed once, its customer mapped to its tenant),
	// the hourly and monthly jobs (every account and tenant, seats, usage
	// notices, the monthly close); a payment or a failure changes the
	// tenant's status through its lifecycle (audited); checkouts of a
	// registration are counted; anonymous callers' Idempotency-Key records.
	routes.FnBilling: with(
		Grant{Actions: []string{"GetItem", "PutItem", "UpdateItem", "ConditionCheckItem"}, Keys: []string{tenants}},
		// The hourly job rewrites the tenants table's rows (beside each tenant).
		Grant{Actions: []string{"BatchWriteItem"}, Keys: []string{tenants}},
		Grant{Actions: []string{"GetItem", "PutItem", "UpdateItem", "DeleteItem"}, Keys: []string{customers, events}},
		Grant{Actions: []string{"PutItem", "Query"}, Keys: []string{closes}},
		Grant{Actions: []string{"BatchGetItem"}, Keys: []string{usageOf}},
		Grant{Actions: []string{"Query"}, Keys: []string{accounts, usageIdx, tenantIdx}, Index: schema.GSI1},
		Grant{Actions: []string{"PutItem", "Query"}, Keys: []string{audit}},
		Grant{Actions: []string{"UpdateItem"}, Keys: []string{rates}},
		Grant{Actions: []string{"PutItem", "DeleteItem"}, Keys: []string{anonIdem}},
		mails,
		idemMarker(anonIdem),
	),
	// The user-migration trigger: the tenant a pool belongs to (by its
	// issuer) or a sign-in names, and the pool its users come from.
	routes.FnUserMigration: {{Actions: []string{"GetItem"}, Keys: []string{tenants, issuers}}},
	// Runs onboarding and offboarding: the tenant and its state, a dedicated
	// pool's issuer (registered, then forgotten), the audit; the periodic
	// job (onboarding.Service.Maintain) lists the tenants to find the runs
	// that died and the old homes due for retirement.
	// A move between cells moves the tenant's billing account out (its
	// account and mrr row under TENANT#, put marked moved in the switch's
	// transaction) and deletes them with the customer lookup at the
	// retirement (billingdb.Mover).
	routes.FnOnboarding: {
		{Actions: []string{"GetItem"}, Keys: []string{tenants}},
		{Actions: []string{"PutItem"}, Keys: []string{tenants, issuers, audit}},
		{Actions: []string{"DeleteItem"}, Keys: []string{issuers, tenants, customers}},
		{Actions: []string{"Query"}, Keys: []string{tenantIdx}, Index: schema.GSI1},
		mails,
	},
}

// Control returns the grants of fn on the control table; none for a
// function that does not touch it.
func Control(fn routes.Function) []Grant { return control[fn] }

// The kinds of directory items (schema.Directory): a tenant's entry and the
// one partition of the cells' tenant counts.
var (
	dirEntries = schema.DirectoryTenant + "*"
	dirCounts  = schema.DirectoryCells
)

// directory is what each function does on the global tenant directory
// (internal/cells) when the deployment has one (envvars.ReadsDirectory).
// A transaction is authorized action by action: Register is a PutItem of
// the entry and an UpdateItem of a count, Remove a DeleteItem and an
// UpdateItem, Switch an UpdateItem of the entry and two of counts.
var directory = map[routes.Function][]Grant{
	// Where a tenant lives.
	routes.FnAuthorizer: {{Actions: []string{"GetItem"}, Keys: []string{dirEntries}}},
	// The workspace lookup and the slug's claim read entries; placement
	// reads the counts; a registration placed here registers its entry,
	// and removes it when the registration then fails.
	routes.FnRegistration: {
		{Actions: []string{"GetItem", "PutItem", "DeleteItem"}, Keys: []string{dirEntries}},
		{Actions: []string{"Query", "UpdateItem"}, Keys: []string{dirCounts}},
	},
	// A move between cells switches the entry and both cells' counts
	// (cells.Directory.Switch); a Platinum tenant's onboarding names its
	// own pool in its entry, a tier migration's switch the new tier and
	// pool and the cell's tier counts (cells.Directory.SetHome, which
	// reads the entry first); offboarding's tombstone closes the entry and
	// uncounts the tenant (cells.Directory.Close: GetItem, then one
	// transaction of two updates), and the slug stays claimed.
	routes.FnOnboarding: {
		{Actions: []string{"GetItem"}, Keys: []string{dirEntries}}, // a move's CellOf, before its switch; SetHome's read
		{Actions: []string{"UpdateItem"}, Keys: []string{dirEntries, dirCounts}},
	},
}

// moveTarget are the grants of the onboarding function on another cell's
// control table, the target of a move (onboarding.Machine placeInCell,
// switchCell, rollbackCell): the tenant's record there, read and written
// whole (a pooled target: no issuer item); its billing account and mrr
// row (TENANT#) and customer lookup, put in the switch (billingdb.Mover).
var moveTarget = []Grant{
	{Actions: []string{"GetItem", "PutItem"}, Keys: []string{tenants}},
	{Actions: []string{"PutItem"}, Keys: []string{customers}},
}

// MoveTarget are the onboarding function's grants on the control tables of
// the other cells it moves tenants to (infra/stacks wireMoves).
func MoveTarget() []Grant { return moveTarget }

// Directory returns the grants of fn on the global tenant directory; none
// for a function that does not read it.
func Directory(fn routes.Function) []Grant { return directory[fn] }

// AllowsDirectory is Allows on the directory table.
func AllowsDirectory(fn routes.Function, action, pk string) bool {
	return allows(directory[fn], action, "", pk, nil)
}

// Allows reports whether fn may do action ("GetItem") on the item with
// partition key pk, in the table (index "") or in an index of it, writing
// (or reading) the non-key attributes attrs.
func Allows(fn routes.Function, action, index, pk string, attrs []string) bool {
	return allows(control[fn], action, index, pk, attrs)
}

func allows(grants []Grant, action, index, pk string, attrs []string) bool {
	for _, g := range grants {
		if g.Index != index || !slices.Contains(g.Actions, action) || !slices.ContainsFunc(g.Keys, func(k string) bool { return match(k, pk) }) {
			continue
		}
		if w := g.Writable(); w != nil && slices.ContainsFunc(attrs, func(a string) bool { return !slices.Contains(w, a) }) {
			continue
		}
		return true
	}
	return false
}

func match(pattern, pk string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(pk, p)
	}
	return pattern == pk
}
