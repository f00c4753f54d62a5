// Package schema is the one definition of the DynamoDB tables: key schema,
// indexes and TTL. The CDK datastore construct, the local cloud and the
// stores all read it. Plain data, no AWS imports (internal/dynamo turns it
// into CreateTable input).
package schema

import (
	"fmt"
	"github.com/issuetracker/issuetracker/internal/text"
	"strings"
	"time"
)

// AttrType is a DynamoDB key attribute type.
type AttrType string

const (
	String AttrType = "S"
	Number AttrType = "N"
)

// Attr is a key attribute.
type Attr struct {
	Name string
	Type AttrType
}

// Index is a global secondary index; all indexes project all attributes.
type Index struct {
	Name         string
	PartitionKey Attr
	SortKey      Attr
}

// Table is a table definition without a name: one definition serves the
// pooled table and every Platinum tenant's silo table.
type Table struct {
	// ID is the construct / logical id stem ("App", "Control").
	ID           string
	PartitionKey Attr
	SortKey      Attr
	Indexes      []Index
	// TTLAttribute holds an epoch-seconds expiry (idempotency records, caches).
	TTLAttribute string
	// Stream is what the table's DynamoDB stream carries; "" publishes none.
	// The change consumers (internal/changes) need new and old images.
	Stream StreamView
}

// StreamView is a DynamoDB stream view type.
type StreamView string

// NewAndOldImages is the view the change consumers read: each record has
// the item before and after the write.
const NewAndOldImages StreamView = "NEW_AND_OLD_IMAGES"

// Attribute names shared by every table.
const (
	PK        = "pk"
	SK        = "sk"
	GSI1PK    = "gsi1pk"
	GSI1SK    = "gsi1sk"
	GSI2PK    = "gsi2pk"
	GSI2SK    = "gsi2sk"
	GSI3PK    = "gsi3pk"
	GSI3SK    = "gsi3sk"
	GSI4PK    = "gsi4pk"
	GSI4SK    = "gsi4sk"
	GSI5PK    = "gsi5pk"
	GSI5SK    = "gsi5sk"
	GSI6PK    = "gsi6pk"
	GSI6SK    = "gsi6sk"
	GSI7PK    = "gsi7pk"
	GSI7SK    = "gsi7sk"
	GSI8PK    = "gsi8pk"
	GSI8SK    = "gsi8sk"
	GSI9PK    = "gsi9pk"
	GSI9SK    = "gsi9sk"
	ExpiresAt = "expires_at"

	GSI1 = "gsi1"
	GSI2 = "gsi2"
	GSI3 = "gsi3"
	GSI4 = "gsi4"
	GSI5 = "gsi5"
	GSI6 = "gsi6"
	GSI7 = "gsi7"
	GSI8 = "gsi8"
	GSI9 = "gsi9"
)

func s(n string) Attr { return Attr{Name: n, Type: String} }

// App holds tenant data: issues, comments, teams, users, labels. Every
// partition key of the table and of its indexes starts with the tenant id.
var App = Table{
	ID:           "App",
	PartitionKey: s(PK),
	SortKey:      s(SK),
	Indexes: []Index{
		{Name: GSI1, PartitionKey: s(GSI1PK), SortKey: s(GSI1SK)},
		{Name: GSI2, PartitionKey: s(GSI2PK), SortKey: s(GSI2SK)},
		{Name: GSI3, PartitionKey: s(GSI3PK), SortKey: s(GSI3SK)},
		// gsi4: issues by due date (docs/data-model.md).
		{Name: GSI4, PartitionKey: s(GSI4PK), SortKey: s(GSI4SK)},
		// gsi5, gsi6: issues by owner (assignee or team) and by status, in
		// update order, so a filtered list reads only matching issues
		// (docs/data-model.md). AWS adds one GSI per table update.
		{Name: GSI5, PartitionKey: s(GSI5PK), SortKey: s(GSI5SK)},
		{Name: GSI6, PartitionKey: s(GSI6PK), SortKey: s(GSI6SK)},
		// gsi7: issues by project; gsi8 (sparse): sub-issues by parent. Both
		// in update order like gsi1, so a project's or a parent's issues are
		// one Query per page (docs/data-model.md).
		{Name: GSI7, PartitionKey: s(GSI7PK), SortKey: s(GSI7SK)},
		{Name: GSI8, PartitionKey: s(GSI8PK), SortKey: s(GSI8SK)},
		// gsi9 (sparse): a cycle's issues, in update order, so a cycle's
		// issues are one Query per page (docs/data-model.md).
		{Name: GSI9, PartitionKey: s(GSI9PK), SortKey: s(GSI9SK)},
	},
	TTLAttribute: ExpiresAt,
	// One change stream, many consumers (docs/changes.md): analytics now,
	// notifications, webhooks and tier migration later.
	Stream: NewAndOldImages,
}

// Control is the control plane: tenant registry, slugs, API keys, usage,
// configuration and the provider's audit log.
var Control = Table{
	ID:           "Control",
	PartitionKey: s(PK),
	SortKey:      s(SK),
	Indexes: []Index{
		{Name: GSI1, PartitionKey: s(GSI1PK), SortKey: s(GSI1SK)},
		// gsi2: the provider's tenants table, one partition per sort order
		// and one for search (ControlTenantRows; docs/data-model.md).
		{Name: GSI2, PartitionKey: s(GSI2PK), SortKey: s(GSI2SK)},
	},
	TTLAttribute: ExpiresAt,
}

// Directory is the global tenant directory (docs/scale.md, "Cells"): which
// cell holds a tenant, where its API and user pool are, and how many
// tenants of each tier each cell holds (placement reads them). One table
// for every cell, replicated to each Region that has a cell; reads are by
// key only (a sign-in, an authorizer miss, a registration).
var Directory = Table{
	ID:           "Directory",
	PartitionKey: s(PK),
	SortKey:      s(SK),
}

// Keys of the directory table.
const (
	// DirectoryTenant is a tenant's entry: pk "TENANT#<id>", sk DirectoryEntry.
	DirectoryTenant = "TENANT#"
	DirectoryEntry  = "ENTRY"
	// DirectoryCells is the one partition of the cells' tenant counts: sk
	// "<cell>#<tier>", attribute "tenants". Registration and moves update
	// them in the entry's own transaction.
	DirectoryCells = "CELLS"
)

// Partition key prefixes of the control table: each kind of control item
// has its own, so IAM can grant a function one kind and not another
// (dynamodb:LeadingKeys; internal/access says which function may do what).
const (
	// ControlTenant: a tenant's record (sk "META"), lifecycle state (sk
	// "ONBOARDING") and email verification: "TENANT#<id>".
	ControlTenant = "TENANT#"
	// ControlIssuer: a dedicated user pool's issuer and its tenant: "ISSUER#<iss>".
	ControlIssuer = "ISSUER#"
	// ControlAudit: a tenant's audit log: "AUDIT#<tenant>".
	ControlAudit = "AUDIT#"
	// ControlRate: a fixed-window counter: "RATE#<scope>#<key>".
	ControlRate = "RATE#"
	// ControlTenantList is the gsi1 partition that lists every tenant.
	ControlTenantList = "TENANTS"
	// ControlTenantRows starts the gsi2 partitions of the provider's
	// tenants table: "TENANTROWS#<order>" (name, created, tier, status,
	// users, mrr) and "TENANTROWS#search". A tenant's row items sit in its
	// own partition ("TENANT#<id>", sk "ROW#<order>").
	ControlTenantRows = "TENANTROWS#"
	// ControlSettings holds the platform's system settings (registration
	// open or closed): pk "SETTINGS", sk "SYSTEM".
	ControlSettings = "SETTINGS"
	// ControlSuppressed is an address the platform does not mail again
	// (a permanent bounce or a complaint reported by SES):
	// "SUPPRESSED#<lower-case address>", sk "SUPPRESSED".
	ControlSuppressed = "SUPPRESSED#"
	// ControlSuppressionList is the gsi1 partition that lists the
	// suppressed addresses (Root's list; gsi1sk is the address).
	ControlSuppressionList = "SUPPRESSIONS"
	// ControlRootIdempotency and ControlPublicIdempotency: Idempotency-Key
	// records of Root's and of anonymous callers' POSTs ("ROOT#IDEM#<user>#<key>",
	// "PUBLIC#IDEM#<address>#<key>"); tenant users' live in the tenant's table.
	ControlRootIdempotency   = "ROOT#IDEM#"
	ControlPublicIdempotency = "PUBLIC#IDEM#"
	// ControlUsage: a tenant's metered usage (months, weeks, storage,
	// active users, notices sent): "USAGE#<tenant>"; ControlUsageMonth is
	// the gsi1 partition of one month's usage items ("USAGEMONTH#<yyyy-mm>").
	ControlUsage      = "USAGE#"
	ControlUsageMonth = "USAGEMONTH#"
	// ControlBillingCustomer maps a Stripe customer to its tenant
	// ("BILLINGCUSTOMER#<id>"); ControlBillingEvent claims a Stripe event
	// once ("BILLINGEVENT#<id>"); ControlBillingClose holds the monthly
	// closes; ControlBillingAccounts is the gsi1 partition listing every
	// tenant's billing account (the account itself is in TENANT#<id>).
	ControlBillingCustomer = "BILLINGCUSTOMER#"
	ControlBillingEvent    = "BILLINGEVENT#"
	ControlBillingClose    = "BILLINGCLOSE"
	ControlBillingAccounts = "BILLING"
	// ControlStatusDeletionJobs is the one partition of the heartbeats of
	// the running status-deletion jobs (internal/project): sk
	// "<tenant>#<project>#<status>", the last progress time and position.
	// The periodic job of the issues function (trackerwire.Maintain)
	// resumes, as the tenant, the jobs whose heartbeat went stale.
	ControlStatusDeletionJobs = "JOBS#STATUSDEL"
	// ControlRootSessions is when a provider (root) user's sessions ended
	// (signed out everywhere): "ROOTSESSIONS#<sub>", sk "SESSIONS"; the
	// authorizer refuses a root token of a session signed in before it.
	ControlRootSessions = "ROOTSESSIONS#"
)

// BrandingAttributes are the only attributes of a tenant record that a
// branding change writes: the function that serves branding may write
// these and nothing else of a tenant (not its tier, status or keys).
var BrandingAttributes = []string{"branding", "updated_at", "version"}

// Names are the physical table names of one deployment. Prefix separates
// deployments and test runs ("issuetracker" by default).
type Names struct{ Prefix string }

// DefaultPrefix is the prefix of the deployed platform and of `make dev`.
const DefaultPrefix = "issuetracker"

// DefaultCell is the id of the first cell (docs/scale.md, "Cells"): its
// physical names are the platform's names from before cells, so a
// deployed platform becomes cell-1 without replacing a table or a pool.
const DefaultCell = "cell-1"

var cellPattern = text.Lazy(`^[a-z][a-z0-9-]{0,14}[a-z0-9]$`)

// ValidateCell checks a cell id: lowercase letters, digits and inner
// hyphens, 2-16 characters, starting with a letter ("cell-2", "eu1").
func ValidateCell(cell string) error {
	if !cellPattern.Regexp().MatchString(cell) {
		return fmt.Errorf("cell id %q: want lowercase letters, digits and inner hyphens, 2-16 characters, starting with a letter", cell)
	}
	return nil
}

// TenantStackPrefix is how the Platinum tenant stacks of cell are named:
// "IssueTracker-Tenant-" in DefaultCell (the stacks deployed before cells
// keep their names), "IssueTracker-<cell>-Tenant-" in any other, so the
// stack a move deploys for a tenant in another cell of the same account
// and Region never has the name of its stack in the cell it leaves
// (which stays for the grace period). A cell id is lowercase and a tenant
// id cannot start with the capital of "Tenant", so no name of one cell is
// a name of another, and a cell's name pattern (prefix + "*") matches its
// own tenants' stacks only.
func TenantStackPrefix(cell string) string {
	if cell == "" || cell == DefaultCell {
		return "IssueTracker-Tenant-"
	}
	return "IssueTracker-" + cell + "-Tenant-"
}

// TenantStackName is the stack of Platinum tenant tenantID in cell.
func TenantStackName(cell, tenantID string) string { return TenantStackPrefix(cell) + tenantID }

// CellPrefix is the physical name prefix of cell in a deployment of
// prefix: the prefix itself for DefaultCell (names unchanged), else
// "<prefix>-<cell>" ("issuetracker-cell-2-app", "issuetracker-cell-2-tenants").
// Every name of a cell (tables, pools, functions, bus, alarms) derives from
// it, so two cells in one account never share a resource.
func CellPrefix(prefix, cell string) string {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if cell == "" || cell == DefaultCell {
		return prefix
	}
	return prefix + "-" + cell
}

func (n Names) prefix() string {
	if n.Prefix == "" {
		return DefaultPrefix
	}
	return n.Prefix
}

// App is the pooled application table.
func (n Names) App() string { return n.prefix() + "-app" }

// Control is the control-plane table.
func (n Names) Control() string { return n.prefix() + "-control" }

// Silo is the dedicated application table of a Platinum tenant.
func (n Names) Silo(tenantID string) string {
	return fmt.Sprintf("%s-tenant-%s", n.prefix(), tenantID)
}

// TenantKeyPrefix is how every partition key of the App table and of its
// indexes starts for a tenant ("T#<tenant>#..."). The tenant data access
// role's dynamodb:LeadingKeys condition is built from it, so a key that does
// not start with it is refused by IAM, not only by the code.
func TenantKeyPrefix(tenantID string) string { return TenantKeyPrefixStem + tenantID + "#" }

// TenantKeyPrefixStem is the constant part of TenantKeyPrefix.
const TenantKeyPrefixStem = "T#"

// Attachments is the pooled attachments bucket in the local cloud (in AWS
// the platform stack names it and passes ITR_ATTACHMENTS_BUCKET).
func (n Names) Attachments() string { return n.prefix() + "-attachments" }

// SiloFiles is the attachments bucket of a Platinum tenant's own stack, in
// AWS and locally: the tenant access role reaches it by this name.
func (n Names) SiloFiles(tenantID string) string { return n.prefix() + "-files-" + tenantID }

// ParseTenantKey splits a partition key built with TenantKeyPrefix into the
// tenant id and the rest ("T#acme#ISSUE#01H.." -> "acme", "ISSUE#01H..").
// Tenant ids hold no '#', so the first one after the stem ends the id.
func ParseTenantKey(pk string) (tenantID, rest string, ok bool) {
	if !strings.HasPrefix(pk, TenantKeyPrefixStem) {
		return "", "", false
	}
	tenantID, rest, ok = strings.Cut(pk[len(TenantKeyPrefixStem):], "#")
	if !ok || tenantID == "" {
		return "", "", false
	}
	return tenantID, rest, true
}

// Directory is the global tenant directory table, one for all cells of
// the deployment: it is named from the base prefix, not a cell's.
func (n Names) Directory() string { return n.prefix() + "-directory" }

// Exports is the bucket of offboarding archives in the local cloud (in AWS
// the platform stack names it and passes ITR_EXPORT_BUCKET).
func (n Names) Exports() string { return n.prefix() + "-exports" }

// UsagePlanParameterPrefix is the SSM path under which the platform stack
// of the cell whose prefix is prefix (CellPrefix) keeps each tier's usage
// plan id ("/issuetracker/usage-plans/"): the functions that manage API
// keys read it, and the other cells' moves too.
func UsagePlanParameterPrefix(prefix string) string { return "/" + prefix + "/usage-plans/" }

// TimeKeyLayout is how a time is written into a sort key: UTC with all nine
// digits of the fraction, so that text order is time order. (RFC3339Nano
// trims trailing zeros: "…:05.5Z" would sort after "…:05.50001Z", since 'Z'
// sorts after the digits.)
const TimeKeyLayout = "2006-01-02T15:04:05.000000000Z"

// TimeKey is t as a sort key's time (TimeKeyLayout).
func TimeKey(t time.Time) string { return t.UTC().Format(TimeKeyLayout) }
