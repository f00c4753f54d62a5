package stacks

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/crossaccount"
	"github.com/issuetracker/issuetracker/constructs/datastore"
	"github.com/issuetracker/issuetracker/constructs/filestore"
	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/constructs/identity"
	"github.com/issuetracker/issuetracker/constructs/monitoring"
	"github.com/issuetracker/issuetracker/constructs/streamconsumer"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Tenant is a Platinum tenant's stack.
type Tenant struct {
	awscdk.Stack
	TenantID string
	// Cell is the cell the tenant belongs to (its platform stack's).
	Cell string
	// Account is the tenant's own AWS account, "" in the platform's.
	Account string
	// ProvisioningAccess is the role the platform assumes in the tenant's
	// own account (nil in the platform's account).
	ProvisioningAccess *crossaccount.Access
	// DataAccess is the role through which the platform's functions reach
	// the tenant's table and bucket in its own account (nil in the
	// platform's account).
	DataAccess *crossaccount.Data
	Table      *datastore.Table
	Pool       *identity.Pool
	// Files is the tenant's own attachments bucket (Names.SiloFiles), and
	// Downloads its download distribution (nil without a download key).
	// DownloadPublicKey is the signing key in the key group of its own (a
	// tenant in its own account; nil in the platform's, whose key group it
	// trusts).
	Files             *filestore.FileStore
	Downloads         *filestore.Downloads
	DownloadPublicKey awscloudfront.PublicKey
	Monitoring        *monitoring.Monitoring
	// StreamAnalytics consumes the tenant table's change stream.
	StreamAnalytics *streamconsumer.Consumer
	// StreamActivity is the second reader: watchers and inbox (the
	// platform's mail job sends the tenant's notification mail).
	StreamActivity *streamconsumer.Consumer
	// UserMigration is the pool's user-migration trigger in the tenant's
	// own account, and PoolAccess the role the platform assumes to read
	// the pool (a downgrade's source); nil in the platform's account.
	UserMigration *gofunction.Function
	PoolAccess    awsiam.Role
}

// NewTenantStack defines IssueTracker-Tenant-<id> (in a cell other than
// the first, IssueTracker-<cell>-Tenant-<id>: TenantStackNameOf): the tenant's dedicated
// table, user pool and client, and its alarms, which notify the platform's
// alert topic. It has no dependency on the platform stack's outputs: names
// are derived from the prefix. It panics on an invalid tenant id.
func NewTenantStack(scope constructs.Construct, tenantID string, cfg Config) *Tenant {
	if err := ValidateTenantID(tenantID); err != nil {
		panic(err)
	}
	cfg = cfg.withDefaults()
	platformAccount := cfg.Account
	own := cfg.TenantAccounts[tenantID]
	if own == platformAccount {
		own = ""
	}
	if own != "" {
		// Its own account: the platform's SSM parameter and alert topic are
		// not there, so the web origin must be given.
		if cfg.WebOrigin == "" {
			panic(fmt.Sprintf("tenant %s in account %s: a tenant in its own account needs the webOrigin context", tenantID, own))
		}
		cfg.Account = own
	}
	st := awscdk.NewStack(scope, jsii.String(TenantStackNameOf(cfg.Cell, tenantID)), &awscdk.StackProps{
		Env:         cfg.env(),
		Description: jsii.String("IssueTracker Platinum tenant " + tenantID + " of " + cfg.Cell + ": dedicated table, user pool, attachments bucket, analytics consumer, alarms"),
	})
	tags := awscdk.Tags_Of(st)
	tags.Add(jsii.String("project"), jsii.String("issuetracker"), nil)
	tags.Add(jsii.String("issuetracker:tenant"), jsii.String(tenantID), nil)
	tags.Add(jsii.String("issuetracker:tier"), jsii.String(string(tiers.Platinum)), nil)
	tags.Add(jsii.String(CellTag), jsii.String(cfg.Cell), nil)

	t := &Tenant{Stack: st, TenantID: tenantID, Cell: cfg.Cell}
	t.Table = datastore.New(st, "Table", datastore.SiloProps(cfg.names(), tenantID))
	t.Pool = identity.New(st, "UserPool", &identity.Props{
		PoolName: cfg.names().Silo(tenantID), Kind: identity.Tenants, MFA: cfg.TenantMFA,
		DomainPrefix: cfg.domainPrefix(tenantID), FeaturePlan: awscognito.FeaturePlan_PLUS,
		CallbackURLs: []string{webOrigin(st, cfg) + "/auth/callback"}, LogoutURLs: []string{webOrigin(st, cfg) + "/"},
	})
	awscdk.Tags_Of(t.Pool.UserPool).Add(jsii.String(TenantPoolTag), jsii.String("true"), nil)
	if own == "" {
		// Users moving in from the shared pool (a tier migration).
		attachUserMigration(st, t.Pool, userMigrationArn(st, cfg.Prefix))
	}
	// Named: the platform's tenant access role reaches it by name pattern.
	// Offboarding empties it before the stack is destroyed; a bucket still
	// holding files makes the deletion fail rather than lose them.
	t.Files = filestore.New(st, "Files", &filestore.Props{
		BucketName: cfg.names().SiloFiles(tenantID), CORSOrigins: []string{webOrigin(st, cfg)},
		AccessLogsPrefix: "attachments/", RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})

	t.addDownloads(cfg, own != "")

	mon := &monitoring.Props{Prefix: cfg.Prefix + "-tenant-" + tenantID, Dashboard: jsii.Bool(false)}
	if own == "" {
		mon.Topic = monitoring.ImportTopic(st, "AlertTopic", cfg.Prefix)
	} else {
		// In its own account the alarms notify a topic of that account
		// (the platform's on-call subscribes with AlarmEmails).
		mon.AlarmEmails = cfg.AlarmEmails
	}
	t.Monitoring = monitoring.New(st, "Monitoring", mon)
	t.Monitoring.WatchTable("app", t.Table.Table)
	root, err := rootOf(cfg)
	if err != nil {
		panic(err)
	}
	// Names are generated: the tenant id would push a spelled-out name past 64 characters.
	var remote *ownAccount
	if own != "" {
		remote = &ownAccount{platformAccount: platformAccount, tenant: tenantID}
	}
	t.StreamAnalytics = analyticsConsumer(st, t.Table, root, "", cfg.Prefix, t.Monitoring, remote)
	t.StreamActivity = activityConsumer(st, t.Table, t.Files.Bucket, root, "", cfg.Prefix, t.Monitoring, remote)
	t.Monitoring.WatchTenant(tenantID)

	out := func(id string, v *string) { awscdk.NewCfnOutput(st, jsii.String(id), &awscdk.CfnOutputProps{Value: v}) }
	if own != "" {
		t.Account = own
		t.ProvisioningAccess = crossaccount.New(st, "ProvisioningAccess", &crossaccount.Props{
			RoleName: TenantAccountRoleName(cfg.Prefix), TrustedAccount: platformAccount, StackName: TenantStackNameOf(cfg.Cell, tenantID),
		})
		out("ProvisioningRoleArn", t.ProvisioningAccess.Role.RoleArn())
		t.addUserMigration(cfg, platformAccount, root)
		t.addDataAccess(cfg, platformAccount)
		out("DataRoleArn", t.DataAccess.Role.RoleArn())
	}
	out("CellId", jsii.String(cfg.Cell))
	out("TableName", t.Table.Table.TableName())
	out("UserPoolId", t.Pool.UserPool.UserPoolId())
	out("UserPoolClientId", t.Pool.Client.UserPoolClientId())
	out("HostedUIDomain", t.Pool.Domain.DomainName())
	out("AttachmentsBucketName", t.Files.Bucket.BucketName())
	// Onboarding records these on the tenant (onboarding.Platinum): the
	// attachments function signs the tenant's downloads for this
	// distribution, naming the stack's own key, or the platform's signing
	// key when the stack trusts the platform's key group.
	if t.Downloads != nil {
		out(onboarding.OutputDownloadDomain, t.Downloads.Distribution.DistributionDomainName())
	}
	if t.DownloadPublicKey != nil {
		out(onboarding.OutputDownloadKeyPairID, t.DownloadPublicKey.PublicKeyId())
	}

	suppressTenant(t)
	return t
}

// addDataAccess adds, in the tenant's own account, the data role the
// platform's tenant access role chains into for this tenant
// (crossaccount.NewData), and lets the provisioning role read the table
// whole for offboarding's archive (tenantaccount.go).
func (t *Tenant) addDataAccess(cfg Config, platformAccount string) {
	t.DataAccess = crossaccount.NewData(t.Stack, "DataAccess", &crossaccount.DataProps{
		RoleName: TenantDataRoleName(cfg.Prefix), TrustedAccount: platformAccount, TrustedRoleName: TenantAccessRoleName(cfg.Prefix),
		TenantID: t.TenantID, Table: t.Table.Table, Files: t.Files.Bucket,
	})
	t.ProvisioningAccess.GrantOffboardingScan(t.Table.Table)
}

// addDownloads gives the tenant's bucket its own download distribution
// (a distribution per tenant stack: the bucket may be in the tenant's own
// account, the stack deploys on its own, and one shared distribution would
// need an origin and a cache behaviour per tenant, 75 at most by default).
// In the platform's account it trusts the platform's key group (SSM); in
// its own account a key group of that account with the same public keys
// (both during a rotation), the signer's id in an output. Presigned GETs
// of the bucket are denied, as the pooled bucket's: the attachments
// function signs the tenant's downloads for this distribution (onboarding
// records its outputs on the tenant).
func (t *Tenant) addDownloads(cfg Config, ownAccount bool) {
	keys, signer := cfg.downloadKeys()
	if len(keys) == 0 {
		return
	}
	var group awscloudfront.IKeyGroup
	if ownAccount {
		var pubs []awscloudfront.PublicKey
		pubs, group = filestore.NewSigningKeys(t.Stack, "DownloadSigning", keys...)
		t.DownloadPublicKey = pubs[signer]
	} else {
		group = awscloudfront.KeyGroup_FromKeyGroupId(t.Stack, jsii.String("DownloadKeyGroup"),
			awsssm.StringParameter_ValueForStringParameter(t.Stack, jsii.String(DownloadKeyGroupParameter(cfg.Prefix)), nil))
	}
	t.Downloads = t.Files.AddDownloads("Downloads", &filestore.DownloadsProps{KeyGroup: group, DenyPresignedGets: true, LogsPrefix: "cloudfront/"})
	suppressDownloads(t.Downloads)
}

// SynthTenant synthesizes the stack of tenantID into outDir (created if
// needed) in this process, and returns the path of its CloudFormation
// template (<outDir>/IssueTracker-Tenant-<id>.template.json). Onboarding
// deploys it; the local deployer applies its tables and user pools. It needs
// node (the jsii runtime), not AWS credentials.
func SynthTenant(outDir, tenantID string, cfg Config) (path string, err error) {
	if err := ValidateTenantID(tenantID); err != nil {
		return "", err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(outDir)
	if err != nil {
		return "", err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synth tenant %s: %v", tenantID, r)
		}
	}()
	app, err := NewApp(cfg.RepoRoot, abs)
	if err != nil {
		return "", err
	}
	st := NewTenantStack(app, tenantID, cfg)
	if cfg.Nag {
		ApplyNag(app)
	}
	asm := app.Synth(nil)
	return *asm.GetStackByName(st.StackName()).TemplateFullPath(), nil
}
