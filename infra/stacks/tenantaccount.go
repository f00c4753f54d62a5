package stacks

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/crossaccount"
	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/constructs/streamconsumer"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// The data plane of a Platinum tenant in an AWS account of its own
// (docs/scale.md, "A Platinum tenant in its own AWS account"):
//
//   - the platform's functions reach its table and bucket through a data
//     role of that account (crossaccount.NewData), assumed from the
//     platform's tenant access role's session for that tenant (a second
//     hop, internal/tenantcreds, envvars.TenantDataRoles);
//   - its stack's change-stream consumers reach the platform's control
//     table and webhook queue through a role per consumer in the
//     platform's account (tenantConsumerAccess, envvars.PlatformRoleARN);
//   - offboarding reads its table whole through the provisioning role
//     (crossaccount.Access.GrantOffboardingScan).

// TenantAccessRoleName is the platform's tenant access role's physical
// name in a cell with tenants in accounts of their own: their data roles
// trust it by ARN. Without such tenants the name stays generated.
func TenantAccessRoleName(prefix string) string { return prefix + "-tenant-access" }

// TenantDataRoleName is the data role of a tenant's own account.
func TenantDataRoleName(prefix string) string { return prefix + "-tenant-data" }

// TenantConsumerRoleName is the execution role of a change-stream
// consumer (StreamAnalyticsFunction, StreamActivityFunction) in a
// tenant's own account: the platform's role for it trusts it by ARN.
func TenantConsumerRoleName(prefix, consumer string) string { return prefix + "-" + consumer }

// PlatformConsumerRoleName is the role in the platform's account that the
// consumer of a tenant in its own account assumes:
// <prefix>-<tenant>-<consumer>, or, past IAM's 64 characters, the tenant
// id's hash in its place.
func PlatformConsumerRoleName(prefix, tenant, consumer string) string {
	short := strings.TrimPrefix(consumer, "stream-")
	if name := prefix + "-" + tenant + "-" + short; len(name) <= 64 {
		return name
	}
	h := sha256.Sum256([]byte(tenant))
	return prefix + "-" + hex.EncodeToString(h[:6]) + "-" + short
}

// ownAccount is what a tenant stack in the tenant's own account knows of
// the platform: its account, and the tenant.
type ownAccount struct{ platformAccount, tenant string }

// tenantDataRoles are the data roles of the tenants in accounts of their
// own, as envvars.TenantDataRoles ("tenant=arn,..."), or "".
func (c Config) tenantDataRoles() string {
	var out []string
	for _, t := range slices.Sorted(maps.Keys(c.TenantAccounts)) {
		if c.TenantAccounts[t] == c.Account {
			continue
		}
		out = append(out, t+"="+crossaccount.RoleARN(c.TenantAccounts[t], TenantDataRoleName(c.Prefix)))
	}
	return strings.Join(out, ",")
}

// tenantAccessRoleName is the tenant access role's name: named when the
// cell has tenants in accounts of their own, else generated ("").
func (c Config) tenantAccessRoleName() string {
	if c.tenantDataRoles() == "" {
		return ""
	}
	return TenantAccessRoleName(c.Prefix)
}

// grantTenantAccountData lets the tenant access role take the second hop
// into exactly the data roles of the cell's tenants in accounts of their
// own (sts:AssumeRole, and sts:TagSession: the hop is tagged again), tells
// the functions that act as a tenant which (envvars.TenantDataRoles), and
// adds the roles those tenants' stream consumers assume here.
func (p *Platform) grantTenantAccountData() {
	roles := p.Config.tenantDataRoles()
	if roles == "" {
		return
	}
	arns := roleARNs(roles)
	p.TenantAccess.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("SecondHopToTenantAccounts"), Actions: jsii.Strings("sts:AssumeRole", "sts:TagSession"), Resources: &arns,
	}))
	for _, name := range FunctionNames() {
		if envvars.ActsAsTenant(routes.Function(name)) {
			p.Functions[name].Function.AddEnvironment(jsii.String(envvars.TenantDataRoles), jsii.String(roles), nil)
		}
	}
	for _, t := range slices.Sorted(maps.Keys(p.Config.TenantAccounts)) {
		if account := p.Config.TenantAccounts[t]; account != p.Config.Account {
			p.TenantConsumerRoles[t] = p.tenantConsumerAccess(t, account)
		}
	}
}

// tenantTableReaderRoleName is the execution role name of fn, one of
// envvars.ReadsTenantTables in a nested stack (the webhook delivery), in a
// cell with tenants in accounts of their own (the tenant access role
// trusts it by name); "" (generated) otherwise, so a deployed cell's role
// is not replaced.
func (c Config) tenantTableReaderRoleName(fn string) string {
	if fn != WebhookDeliveryFunction || c.tenantDataRoles() == "" {
		return ""
	}
	return c.Prefix + "-" + fn
}

// grantTenantAccountTables lets the platform's functions that read
// tenants' tables with their own role (envvars.ReadsTenantTables: the
// webhook delivery, the activity function's notification mail job) reach
// the tenants in accounts of their own as the API functions do: the tenant
// access role's session for the tenant, then its account's data role
// (tenantcreds.Provider.OwnAccountsOnly). They get the tenant access role
// (envvars.TenantAccountsHopRoleARN) and the data roles
// (envvars.TenantDataRoles), may assume the tenant access role (tagged),
// and it trusts them. Their own grants stay on the platform account's
// tables: a table of another account is not named by them. The tenant
// access role is named by ARN (it is named in such a cell): the webhook
// delivery function is in the Collaboration nested stack, which must not
// reference the parent's role back (the parent references its role).
func (p *Platform) grantTenantAccountTables() {
	roles := p.Config.tenantDataRoles()
	if roles == "" {
		return
	}
	access := crossaccount.RoleARN(p.Config.Account, TenantAccessRoleName(p.Config.Prefix))
	fns := map[string]*gofunction.Function{StreamActivityFunction: p.StreamActivity.Function, WebhookDeliveryFunction: p.Webhooks.Delivery}
	var arns []*string
	for _, name := range envvars.ReadsTenantTables {
		fn, ok := fns[name]
		if !ok {
			panic("stacks: envvars.ReadsTenantTables names " + name + ", which the platform stack does not wire")
		}
		arn := fn.Role.RoleArn()
		if n := p.Config.tenantTableReaderRoleName(name); n != "" {
			// In a nested stack: trusted by name, not by a reference (the
			// parent's tenant access role would wait for the nested
			// stack, which waits for the API, whose authorizer waits for
			// the tenant access role).
			arn = jsii.String(crossaccount.RoleARN(p.Config.Account, n))
		}
		fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("FirstHopToTenantAccounts"), Actions: jsii.Strings("sts:AssumeRole", "sts:TagSession"),
			Resources: jsii.Strings(access),
		}))
		for k, v := range map[string]string{envvars.TenantAccountsHopRoleARN: access, envvars.TenantDataRoles: roles,
			envvars.TenantSessionTag: p.TenantAccess.TagKey} {
			fn.Function.AddEnvironment(jsii.String(k), jsii.String(v), nil)
		}
		arns = append(arns, arn)
	}
	p.TenantAccess.TrustAlso("TenantAccountTableReaders", arns...)
}

// tenantConsumerAccess defines, for each change-stream consumer of tenant's
// stack in account, the role it assumes in the platform's account. Each
// trusts only that consumer's execution role (by ARN, in that account) and
// may do what the consumer does in the platform's account, for that tenant
// only: both read the tenant's record in the control table (each change's
// current home, changes.HomeOnly); the activity consumer also gives a
// purged issue's bytes back to the tenant's storage figure (its USAGE#
// item) and queues webhook first attempts on the platform's queue. It
// sends no mail: the platform's mail job sends the tenant's notification
// mail.
func (p *Platform) tenantConsumerAccess(tenant, account string) map[string]awsiam.Role {
	control := p.Control.Table.TableArn()
	leading := func(sid, action, key string) awsiam.PolicyStatement {
		return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String(sid), Actions: jsii.Strings(action), Resources: &[]*string{control},
			Conditions: &map[string]interface{}{
				"ForAllValues:StringEquals": map[string]interface{}{"dynamodb:LeadingKeys": []string{key}},
				"Null":                      map[string]interface{}{"dynamodb:LeadingKeys": "false"},
			},
		})
	}
	out := map[string]awsiam.Role{}
	for _, consumer := range []string{StreamAnalyticsFunction, StreamActivityFunction} {
		id := "TenantConsumer-" + tenant + "-" + consumer
		trusted := awsiam.NewPrincipalWithConditions(awsiam.NewAccountPrincipal(jsii.String(account)), &map[string]interface{}{
			"ArnEquals": map[string]interface{}{"aws:PrincipalArn": crossaccount.RoleARN(account, TenantConsumerRoleName(p.Config.Prefix, consumer))},
		})
		role := awsiam.NewRole(p.Stack, jsii.String(id), &awsiam.RoleProps{
			RoleName:           jsii.String(PlatformConsumerRoleName(p.Config.Prefix, tenant, consumer)),
			Description:        jsii.String("The " + consumer + " consumer of tenant " + tenant + "'s stack in account " + account + " reaches the platform"),
			AssumedBy:          trusted,
			MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
		})
		role.AddToPolicy(leading("ReadTheTenantsHome", "dynamodb:GetItem", schema.ControlTenant+tenant))
		if consumer == StreamActivityFunction {
			role.AddToPolicy(leading("MeterTheTenantsPurgedBytes", "dynamodb:UpdateItem", schema.ControlUsage+tenant))
			grantWebhookQueue(role, webhookQueueARN(p.Stack, p.Config.Prefix))
		}
		out[consumer] = role
	}
	return out
}

// reachesPlatform lets consumer c of a tenant stack in the tenant's own
// account assume its role in the platform's account, tells it which
// (envvars.PlatformRoleARN), and names its execution role so that role
// trusts it (TenantConsumerRoleName).
func reachesPlatform(c *streamconsumer.Consumer, consumer, prefix string, own *ownAccount) {
	c.Function.Role.Node().DefaultChild().(awsiam.CfnRole).SetRoleName(jsii.String(TenantConsumerRoleName(prefix, consumer)))
	arn := crossaccount.RoleARN(own.platformAccount, PlatformConsumerRoleName(prefix, own.tenant, consumer))
	c.Function.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReachThePlatform"), Actions: jsii.Strings("sts:AssumeRole"), Resources: jsii.Strings(arn),
	}))
	c.Function.Function.AddEnvironment(jsii.String(envvars.PlatformRoleARN), jsii.String(arn), nil)
}

// suppressDataAccess explains the data role's wildcards: the indexes of
// the tenant's own table and the objects of its own bucket, in an account
// that holds nothing of another tenant.
func suppressDataAccess(t *Tenant) {
	if t.DataAccess == nil {
		return
	}
	suppress(t.DataAccess.Role, why{"AwsSolutions-IAM5",
		"The tenant's own account holds this tenant's data only: the role reaches its table's indexes (index/*) and every object of its own attachments bucket (<bucket>/*), as the platform's tenant access role does for a tenant's own table and bucket; only the platform's tenant access role's sessions tagged with this tenant may assume it.",
		[]string{`/^Resource::<Table[0-9A-F]+\.Arn>\/index\/\*$/`, `/^Resource::<FilesBucket[0-9A-F]+\.Arn>\/\*$/`}})
}
