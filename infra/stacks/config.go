// Package stacks builds the two kinds of IssueTracker stacks: the platform
// stack (control plane and pooled application plane) and one stack per
// Platinum tenant. The CDK app in infra/ and onboarding (SynthTenant) both
// call it, so a tenant stack synthesized in-process is the one `cdk deploy`
// deploys.
package stacks

import (
	"fmt"
	"maps"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/crossaccount"
	"github.com/issuetracker/issuetracker/constructs/identity"
	"github.com/issuetracker/issuetracker/constructs/waf"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// Offline defaults: synth needs an account and region for ARNs and names, and
// none is available without credentials. Deploys take them from the CLI.
const (
	DefaultAccount = "123456789012"
	DefaultRegion  = "us-east-1"
)

// PlatformStackName is the name of the platform stack of the first cell
// (schema.DefaultCell).
const PlatformStackName = "IssueTracker-Platform"

// PlatformStackNameOf is the name of cell's platform stack: PlatformStackName
// for the first cell (a deployed platform keeps its stack), else
// "IssueTracker-Platform-<cell>".
func PlatformStackNameOf(cell string) string {
	if cell == "" || cell == schema.DefaultCell {
		return PlatformStackName
	}
	return PlatformStackName + "-" + cell
}

// TenantAccountRoleName is the role a Platinum tenant's own account gives
// the platform (constructs/crossaccount): named from the cell's prefix.
func TenantAccountRoleName(prefix string) string { return prefix + "-provisioning" }

// tenantAccountRoles are the roles the platform assumes in its tenants'
// own accounts, as "tenant=arn,..." in tenant order (sorted), or "".
func (c Config) tenantAccountRoles() string {
	var out []string
	for _, t := range slices.Sorted(maps.Keys(c.TenantAccounts)) {
		out = append(out, t+"="+crossaccount.RoleARN(c.TenantAccounts[t], TenantAccountRoleName(c.Prefix)))
	}
	return strings.Join(out, ",")
}

// tenantAccountsContext is TenantAccounts as the tenantAccounts context value.
func (c Config) tenantAccountsContext() string {
	var out []string
	for _, t := range slices.Sorted(maps.Keys(c.TenantAccounts)) {
		out = append(out, t+"="+c.TenantAccounts[t])
	}
	return strings.Join(out, ",")
}

var accountPattern = regexp.MustCompile(`^[0-9]{12}$`)

// bucketPattern is an S3 bucket name (lowercase, digits, dots, hyphens).
var bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// CellTag is the tag naming the cell of every platform and tenant stack.
const CellTag = "issuetracker:cell"

// TenantStackName is the name of a Platinum tenant's stack in the first
// cell (schema.DefaultCell).
func TenantStackName(tenantID string) string {
	return schema.TenantStackName(schema.DefaultCell, tenantID)
}

// TenantStackNameOf is the name of a Platinum tenant's stack in cell
// (schema.TenantStackName: the first cell's names are those of a platform
// from before cells).
func TenantStackNameOf(cell, tenantID string) string { return schema.TenantStackName(cell, tenantID) }

var tenantIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$|^[a-z0-9]$`)

// ValidateTenantID checks that id can name a stack, a table and a Cognito
// domain: lowercase letters, digits and inner hyphens, at most 40 characters.
func ValidateTenantID(id string) error {
	if !tenantIDPattern.MatchString(id) {
		return fmt.Errorf("tenant id %q: want lowercase letters, digits and inner hyphens, 1-40 characters", id)
	}
	return nil
}

// Config is what varies between deployments. The zero value synthesizes.
type Config struct {
	// Account and Region of every stack. Default: DefaultAccount, DefaultRegion.
	Account, Region string
	// Prefix of physical names (tables, pools, topic). Default:
	// schema.DefaultPrefix. The stacks name things with the cell's prefix
	// (schema.CellPrefix): after the defaults Prefix holds that.
	Prefix string
	// Cell is the id of the cell this platform or tenant stack belongs to
	// (docs/scale.md, "Cells"). Default: schema.DefaultCell, whose names
	// are those of a platform from before cells.
	Cell string
	// basePrefix is Prefix as given, before the cell's part.
	basePrefix string
	// Directory says the deployment has the global tenant directory
	// (IssueTracker-Directory; -c directory=true): the functions of
	// envvars.ReadsDirectory get its table, this cell's id and API URL,
	// and their grants on it (internal/access.Directory). The directory's
	// table is in the platform's account, with a replica in this cell's
	// Region. Default: none, the platform is one cell.
	Directory bool
	// Cells are the platform's cells in this account and Region, this one
	// included, each with its API's public URL (the ApiUrl output of its
	// stack, or its custom domain): -c cells=cell-1=https://...,cell-2=https://....
	// With Directory, this cell's tenants may move to the others (the
	// onboarding function gets envvars.MoveCells and grants on their
	// tables, usage plans and description parameter; the user-migration
	// trigger may sign users in at their shared pools: grantMoves) and the
	// web app's CSP lets it call their APIs (a registration placed in
	// another cell continues there). Default: none, no moves.
	Cells map[string]string
	// CellBuckets are the other cells' pooled attachments buckets (their
	// AttachmentsBucketName output; generated names): -c
	// cellBuckets=cell-1=name,.... A tenant moving to a cell named here
	// takes its files along (the tenant access role may write its prefix
	// there); to another cell its files stay in this cell's bucket.
	CellBuckets map[string]string
	// TenantAccounts puts Platinum tenants in AWS accounts of their own:
	// tenant id -> account id. Such a tenant's stack is synthesized with
	// that account in its env; the account must be bootstrapped with
	// `cdk bootstrap --trust <platform account>`, and its stack holds the
	// role the platform assumes there (TenantAccountRoleName). Default:
	// every tenant in the platform's account.
	TenantAccounts map[string]string
	// SharedPoolID and SharedClientID are the platform's shared tenant pool
	// and its app client, for the user-migration trigger a tenant stack in
	// the tenant's own account deploys there (context sharedPoolId,
	// sharedClientId; the platform's provisioning pipeline passes them).
	// Without them such a stack has no trigger.
	SharedPoolID, SharedClientID string
	// WebOrigin is the web app's origin: CORS, OAuth callback URLs, links in
	// mails. Default: https:// and WebDomain, or the web distribution's domain
	// (never localhost).
	WebOrigin string
	// WebDomain is the web app's custom domain (app.example.com), served with
	// WebCertificateArn (ACM, us-east-1). Default: the distribution's domain.
	WebDomain, WebCertificateArn string
	// WebACLArn is a CLOUDFRONT-scoped AWS WAF web ACL for the web
	// distribution. Default: none.
	WebACLArn string
	// WebAssetsDir is the built web app. Default: web/dist under RepoRoot.
	WebAssetsDir string
	// AlarmEmails subscribe to the alert topic. Default: none.
	AlarmEmails []string
	// MailFrom is the From of the platform's mail (verification codes,
	// invitations), sent with SES. Default: DefaultMailFrom.
	MailFrom string
	// SESIdentity is the verified SES identity (domain or address) the
	// functions may send from. Default: MailDomain, else MailFrom's domain.
	SESIdentity string
	// MailDomain is the domain the platform verifies as its SES identity
	// (Easy DKIM, 2048-bit), sending with the mail configuration set, and
	// MailFromDomain its custom MAIL FROM (bounces return there, so SPF
	// and DMARC align). Defaults: MailFrom's domain, and "bounce." + it.
	MailDomain, MailFromDomain string
	// Google enables Google sign-in on the shared tenant pool. Default: nil.
	Google *identity.Google
	// TenantMFA is the MFA policy of dedicated (Platinum) pools. Default: optional.
	TenantMFA identity.MFA
	// RepoRoot is the module root holding functions/. Default: found from the
	// working directory.
	RepoRoot string
	// FunctionDirs overrides a function's folder (relative to RepoRoot).
	FunctionDirs map[string]string
	// Nag runs the cdk-nag AwsSolutions checks on every stack.
	Nag bool
	// NoWAF leaves the API without its AWS WAF web ACL. Default: false (on).
	NoWAF bool
	// WAFRateLimit is how many requests one source IP may send per five
	// minutes before WAF blocks it. Default: waf.DefaultRateLimit.
	WAFRateLimit float64
	// DownloadPublicKey is the PEM public key of the attachment download
	// URLs (docs/deploy.md, "Attachment downloads"); its private key is put
	// in the stack's DownloadKey secret by the deployer, never in a
	// template. With it the pooled bucket is served by a CloudFront
	// distribution (nosniff, signed URLs); without it downloads are S3
	// presigned GETs, and synth warns. Default: none.
	DownloadPublicKey string
	// DownloadNextPublicKey is the next download key during a rotation: the
	// key groups trust both keys, the platform has a private-key secret for
	// each, and DownloadSignWithNext says which one the attachments
	// function signs with (the current one by default). docs/deploy.md,
	// "Rotating the download key". Default: none.
	DownloadNextPublicKey string
	DownloadSignWithNext  bool
}

// downloadKeys are the download public keys the key groups trust, the
// current one first, and the index of the one that signs. It panics on a
// next key without a current one, or a signer without its key.
func (c Config) downloadKeys() (keys []string, signer int) {
	if c.DownloadPublicKey == "" {
		if c.DownloadNextPublicKey != "" || c.DownloadSignWithNext {
			panic("downloadNextPublicKey/downloadSigner=next need downloadPublicKey (the current key)")
		}
		return nil, 0
	}
	keys = []string{c.DownloadPublicKey}
	if c.DownloadNextPublicKey != "" {
		keys = append(keys, c.DownloadNextPublicKey)
	}
	if c.DownloadSignWithNext {
		if c.DownloadNextPublicKey == "" {
			panic("downloadSigner=next needs downloadNextPublicKey")
		}
		signer = 1
	}
	return keys, signer
}

// WAFProps are the web ACL settings of this deployment for an ACL named
// name (the API's; a web distribution's, with waf.NewForCloudFront in a
// us-east-1 stack), or nil when WAF is off.
func (c Config) WAFProps(name string) *waf.Props {
	if c.NoWAF {
		return nil
	}
	return &waf.Props{Name: name, RateLimit: c.WAFRateLimit}
}

func (c Config) withDefaults() Config {
	if c.Account == "" {
		c.Account = DefaultAccount
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if c.Prefix == "" {
		c.Prefix = schema.DefaultPrefix
	}
	if c.Cell == "" {
		c.Cell = schema.DefaultCell
	}
	if err := schema.ValidateCell(c.Cell); err != nil {
		panic(err)
	}
	if c.basePrefix == "" { // once: the defaults are applied again by nested calls
		c.basePrefix = c.Prefix
		c.Prefix = schema.CellPrefix(c.Prefix, c.Cell)
	}
	if c.TenantMFA == "" {
		c.TenantMFA = identity.MFAOptional
	}
	if c.MailFrom == "" {
		c.MailFrom = DefaultMailFrom
	}
	return c
}

func (c Config) names() schema.Names { return schema.Names{Prefix: c.Prefix} }

// directoryTable is the global tenant directory's table, named from the
// base prefix (one for every cell; NewDirectoryStack).
func (c Config) directoryTable() string { return schema.Names{Prefix: c.basePrefix}.Directory() }

// peers are the other cells of Cells, sorted, with their prefixes.
func (c Config) peers() []cells.Peer {
	var out []cells.Peer
	for _, id := range slices.Sorted(maps.Keys(c.Cells)) {
		if id != c.Cell {
			out = append(out, cells.Peer{ID: id, Prefix: schema.CellPrefix(c.basePrefix, id), Files: c.CellBuckets[id]})
		}
	}
	return out
}

// peerAPIOrigins are the other cells' API origins (scheme and host).
func (c Config) peerAPIOrigins() []string {
	var out []string
	for _, p := range c.peers() {
		u, _ := url.Parse(c.Cells[p.ID]) // checked by ParseCells
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out
}

// ParseCells reads the cells context value: "cell=https-url,...".
func ParseCells(v string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range splitList(v) {
		id, raw, _ := strings.Cut(kv, "=")
		u, err := url.Parse(raw)
		if schema.ValidateCell(id) != nil || err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("cells %q: want cell=https://api-url,... (each cell's ApiUrl)", kv)
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("cells: %s twice", id)
		}
		out[id] = raw
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// corsOrigins are the browser origins allowed to call the API: the web app's.
func (c Config) corsOrigins() []string { return []string{c.WebOrigin} }

func (c Config) env() *awscdk.Environment {
	return &awscdk.Environment{Account: jsii.String(c.Account), Region: jsii.String(c.Region)}
}

// domainPrefix is a hosted UI domain prefix, unique per account and region.
func (c Config) domainPrefix(part string) string {
	return strings.ToLower(fmt.Sprintf("%s-%s-%s", c.Prefix, part, c.Account))
}

// ConfigFromContext reads the configuration from CDK context (-c key=value or
// cdk.json) and the environment:
//
//	account, region      else CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION, else offline defaults
//	prefix               physical name prefix
//	cell                 the cell id (default cell-1: the names of a platform from before cells)
//	tenantAccounts       Platinum tenants in accounts of their own: tenant=account,...
//	cells                the platform's cells in this account and Region: cell=api-url,...
//	cellBuckets          the other cells' attachments buckets (files move with a tenant): cell=bucket,...
//	webOrigin            web app origin (default: the web distribution's, or https://webDomain)
//	webDomain, webCertificateArn   the web app's custom domain and its ACM certificate (us-east-1)
//	webAclArn            a CLOUDFRONT-scoped WAF web ACL for the web distribution
//	alarmEmails          comma-separated
//	mailFrom, sesIdentity  the platform mail's From and its verified SES identity
//	mailDomain, mailFromDomain  the SES domain identity (DKIM) and its MAIL FROM domain
//	googleClientId, googleSecretName   both, to enable Google sign-in
//	tenantMfa            optional | required
//	nag                  "false" disables cdk-nag
//	waf                  "false" leaves the API without its WAF web ACL
//	wafRateLimit         requests per source IP per 5 minutes
//	downloadPublicKey    the attachment download key: a PEM, or the path of a .pem file
//	downloadNextPublicKey  the next download key during a rotation (same forms)
//	downloadSigner       current (default) | next: the key the attachments function signs with
func ConfigFromContext(app awscdk.App) Config {
	get := func(k string) string {
		if v, ok := app.Node().TryGetContext(jsii.String(k)).(string); ok {
			return strings.TrimSpace(v)
		}
		return ""
	}
	or := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	c := Config{
		Account:      or(get("account"), os.Getenv("CDK_DEFAULT_ACCOUNT")),
		Region:       or(get("region"), os.Getenv("CDK_DEFAULT_REGION")),
		Prefix:       get("prefix"),
		Cell:         get("cell"),
		WebOrigin:    get("webOrigin"),
		SharedPoolID: get("sharedPoolId"), SharedClientID: get("sharedClientId"),
		WebDomain: get("webDomain"), WebCertificateArn: get("webCertificateArn"), WebACLArn: get("webAclArn"),
		TenantMFA: identity.MFA(get("tenantMfa")),
		MailFrom:  get("mailFrom"), SESIdentity: get("sesIdentity"),
		MailDomain: get("mailDomain"), MailFromDomain: get("mailFromDomain"),
		Nag:       get("nag") != "false",
		NoWAF:     get("waf") == "false",
		Directory: get("directory") == "true",
	}
	if v := get("wafRateLimit"); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n < 10 {
			panic(fmt.Sprintf("wafRateLimit %q: want a number of requests per 5 minutes, at least 10", v))
		}
		c.WAFRateLimit = n
	}
	if v := get("downloadPublicKey"); v != "" {
		c.DownloadPublicKey = readPEM(v)
	}
	if v := get("downloadNextPublicKey"); v != "" {
		c.DownloadNextPublicKey = readPEM(v)
	}
	switch v := get("downloadSigner"); v {
	case "", "current":
	case "next":
		c.DownloadSignWithNext = true
	default:
		panic(fmt.Sprintf("downloadSigner %q: want current or next", v))
	}
	c.AlarmEmails = splitList(get("alarmEmails"))
	cellList, err := ParseCells(get("cells"))
	if err != nil {
		panic(err.Error())
	}
	c.Cells = cellList
	for _, kv := range splitList(get("cellBuckets")) {
		id, bucket, _ := strings.Cut(kv, "=")
		if schema.ValidateCell(id) != nil || !bucketPattern.MatchString(bucket) {
			panic(fmt.Sprintf("cellBuckets %q: want cell=bucket-name,... (each cell's AttachmentsBucketName)", kv))
		}
		if c.CellBuckets == nil {
			c.CellBuckets = map[string]string{}
		}
		c.CellBuckets[id] = bucket
	}
	for _, kv := range splitList(get("tenantAccounts")) {
		tenant, account, _ := strings.Cut(kv, "=")
		if ValidateTenantID(tenant) != nil || !accountPattern.MatchString(account) {
			panic(fmt.Sprintf("tenantAccounts %q: want tenant=account (a 12-digit account id),...", kv))
		}
		if c.TenantAccounts == nil {
			c.TenantAccounts = map[string]string{}
		}
		c.TenantAccounts[tenant] = account
	}
	if id, secret := get("googleClientId"), get("googleSecretName"); id != "" && secret != "" {
		c.Google = &identity.Google{ClientID: id, ClientSecretName: secret}
	}
	return c
}

// TenantsFromContext returns the tenants to synthesize and whether the
// platform stack is wanted: -c tenant=acme gives that tenant's stack alone
// (what `cdk deploy` of one tenant needs, without building the functions);
// -c tenants=a,b,c gives the platform and those tenants.
func TenantsFromContext(app awscdk.App) (tenants []string, platform bool, err error) {
	get := func(k string) string {
		v, _ := app.Node().TryGetContext(jsii.String(k)).(string)
		return strings.TrimSpace(v)
	}
	if one := get("tenant"); one != "" {
		if err := ValidateTenantID(one); err != nil {
			return nil, false, err
		}
		return []string{one}, false, nil
	}
	tenants = splitList(get("tenants"))
	for _, t := range tenants {
		if err := ValidateTenantID(t); err != nil {
			return nil, false, err
		}
	}
	return tenants, true, nil
}

// DirectoryFromContext says whether to synthesize the directory stack
// (-c directory=true) and its replica Regions (-c directoryReplicas=eu-west-1,...).
func DirectoryFromContext(app awscdk.App) (bool, []string) {
	get := func(k string) string {
		v, _ := app.Node().TryGetContext(jsii.String(k)).(string)
		return strings.TrimSpace(v)
	}
	return get("directory") == "true", splitList(get("directoryReplicas"))
}

// readPEM is v if it is a PEM, the PEM public key of v's base64 body (one
// line: how the provisioning pipeline passes it on a command line), else
// the content of the file v names.
func readPEM(v string) string {
	if strings.HasPrefix(v, "-----BEGIN") {
		return v
	}
	if publicKeyBody.MatchString(v) {
		return "-----BEGIN PUBLIC KEY-----\n" + v + "\n-----END PUBLIC KEY-----"
	}
	b, err := os.ReadFile(v)
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(b)), "-----BEGIN") {
		panic(fmt.Sprintf("downloadPublicKey %q: want a PEM public key or the path of a .pem file", v))
	}
	return strings.TrimSpace(string(b))
}

var publicKeyBody = regexp.MustCompile(`^MII[A-Za-z0-9+/]+=*$`)

// pemBody is a PEM's base64 body on one line.
func pemBody(pem string) string {
	var b strings.Builder
	for _, l := range strings.Split(pem, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "-----") {
			b.WriteString(l)
		}
	}
	return b.String()
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
