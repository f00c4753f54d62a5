package stacks

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/internal/access"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/stackevents"
)

// Least privilege: each function may do what it does and nothing more. In
// AWS the API functions only request lifecycle runs (an event); the
// onboarding function runs them, so it alone creates users and API keys,
// deploys tenant stacks and offboards. test/infra compares every function's
// grants with an explicit allow-list.
var (
	// adminsUsers create, change and delete people in the user pools.
	adminsUsers = []routes.Function{routes.FnUsers, routes.FnOnboarding}
	// createsKeys create and delete tenants' API keys; functions that
	// manage keys (envvars) otherwise only move keys between tier plans.
	createsKeys = []routes.Function{routes.FnOnboarding}
	// deploysStacks request Platinum tenant stacks and read their state.
	deploysStacks = []routes.Function{routes.FnOnboarding}
)

// grant gives each function its permissions, beyond its own logs and
// traces (gofunction) and the tenant access role (addTenantAccess).
func (p *Platform) grant() {
	for _, name := range FunctionNames() {
		fn, f := routes.Function(name), p.Functions[name]
		vars, _ := envvars.For(fn)
		p.grantControl(f, fn)
		if p.Config.Directory {
			p.grantTable(f, p.directoryArn(), access.Directory(fn))
		}
		if slices.Contains(adminsUsers, fn) {
			p.grantUserAdmin(f, userAdminActions...)
		}
		if fn == routes.FnUserMigration {
			// Looks a moving user up and checks their password in the pool
			// they come from (the shared pool or a tenant's own).
			p.grantUserAdmin(f, "cognito-idp:AdminGetUser", "cognito-idp:AdminInitiateAuth")
		}
		if fn == routes.FnAuthorizer {
			// Whether a user's sign-ins are challenged for MFA, for
			// tenants that require it; whether a root user is still
			// enabled in the provider pool.
			p.grantUserAdmin(f, "cognito-idp:AdminGetUser")
			f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("cognito-idp:AdminGetUser"),
				Resources: &[]*string{p.ProviderPool.UserPool.UserPoolArn()},
			}))
		}
		if slices.Contains(vars, envvars.EventBus) {
			p.grantEvents(f, fn)
		}
		if slices.Contains(vars, envvars.UsagePlanParameterPrefix) {
			p.API.GrantPlanKeys(f.Role)
			if slices.Contains(createsKeys, fn) {
				p.API.GrantTenantKeys(f.Role)
			}
		}
		if slices.Contains(deploysStacks, fn) {
			p.grantStackStatus(f)
		}
		if slices.Contains(vars, envvars.ExportBucket) {
			p.grantOffboarding(f)
		}
		if slices.Contains(vars, envvars.CursorKeySecretARN) {
			p.CursorKey.GrantRead(f.Role, nil)
		}
		if slices.Contains(vars, envvars.MailSender) {
			p.grantMail(f)
		}
	}
}

// grantControl gives fn its access to the control table (internal/access):
// each grant on the item kinds it names only (dynamodb:LeadingKeys).
func (p *Platform) grantControl(f *gofunction.Function, fn routes.Function) {
	p.grantTable(f, p.Control.Table.TableArn(), access.Control(fn))
}

// directoryArn is the global tenant directory's table in this cell's
// Region (its replica there) and the platform's account.
func (p *Platform) directoryArn() *string {
	return p.Stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("dynamodb"), Resource: jsii.String("table"),
		ResourceName: jsii.String(p.Config.directoryTable())})
}

// grantTable gives f grants on the table table: each on the item kinds it
// names only (dynamodb:LeadingKeys).
func (p *Platform) grantTable(f *gofunction.Function, table *string, grants []access.Grant) {
	for _, g := range grants {
		res := table
		if g.Index != "" {
			res = jsii.String(*res + "/index/" + g.Index)
		}
		cond := map[string]any{
			"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": g.Keys},
			// ForAllValues holds on an empty set: require the key.
			"Null": map[string]any{"dynamodb:LeadingKeys": "false"},
		}
		if w := g.Writable(); w != nil {
			// Only these attributes (and the item's key, and the write
			// token), and no answer that would return the others.
			cond["ForAllValues:StringEquals"] = map[string]any{"dynamodb:Attributes": append([]string{schema.PK, schema.SK}, w...)}
			cond["StringEqualsIfExists"] = map[string]any{"dynamodb:ReturnValues": []string{"NONE", "UPDATED_OLD", "UPDATED_NEW"}}
		}
		var actions []string
		for _, a := range g.Actions {
			actions = append(actions, "dynamodb:"+a)
		}
		f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings(actions...), Resources: &[]*string{res}, Conditions: &cond,
		}))
	}
}

var userAdminActions = []string{"cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminUpdateUserAttributes",
	"cognito-idp:AdminDisableUser", "cognito-idp:AdminEnableUser", "cognito-idp:AdminDeleteUser",
	"cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminRemoveUserFromGroup", "cognito-idp:AdminListGroupsForUser",
	"cognito-idp:AdminSetUserPassword", "cognito-idp:ListUsers"}

// grantUserAdmin allows actions in the shared tenant pool and in dedicated
// (Platinum) pools, which carry the tenant-pool tag: their ids are not known
// when the platform is deployed. Only this cell's dedicated pools (their
// stack's cell tag): cells in one account do not reach each other's.
func (p *Platform) grantUserAdmin(f *gofunction.Function, actions ...string) {
	dedicated := p.Stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cognito-idp"), Resource: jsii.String("userpool"), ResourceName: jsii.String("*")})
	f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings(actions...), Resources: &[]*string{p.TenantPool.UserPool.UserPoolArn()},
	}))
	f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings(actions...), Resources: &[]*string{dedicated},
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/" + TenantPoolTag: "true", "aws:ResourceTag/" + CellTag: p.Config.Cell}},
	}))
}

// grantEvents lets fn put on the platform bus only the events it sends: the
// API functions request lifecycle runs; the onboarding function requests
// tenant stacks. Neither can forge the provisioning pipeline's outcomes.
func (p *Platform) grantEvents(f *gofunction.Function, fn routes.Function) {
	source, types := stackevents.SourceLifecycle, []string{stackevents.DetailTypeRunRequested}
	if slices.Contains(deploysStacks, fn) {
		source, types = stackevents.SourceOnboarding, []string{stackevents.DetailTypeDeployRequested, stackevents.DetailTypeDestroyRequested}
	}
	f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("events:PutEvents"), Resources: &[]*string{p.Provisioning.Bus.EventBusArn()},
		Conditions: &map[string]any{"StringEquals": map[string]any{"events:source": source, "events:detail-type": types}},
	}))
}

// grantStackStatus lets fn read the tenant stacks' state and outputs, and
// nothing else of CloudFormation.
func (p *Platform) grantStackStatus(f *gofunction.Function) {
	if prefix := schema.TenantStackPrefix(p.Config.Cell); prefix != schema.TenantStackPrefix(schema.DefaultCell) {
		// The names of this cell's tenant stacks (the first cell's are
		// awsstacks' default: its functions' environment is unchanged).
		f.Function.AddEnvironment(jsii.String(envvars.TenantStackPrefix), jsii.String(prefix), nil)
	}
	f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("cloudformation:DescribeStacks"),
		Resources: &[]*string{p.Stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("cloudformation"), Resource: jsii.String("stack"), ResourceName: jsii.String(TenantStackNameOf(p.Config.Cell, "*") + "/*"),
		})},
	}))
}

// grantOffboarding lets the function that offboards find ALL of a tenant's
// items and archive them. It pages through the pooled table (or the
// tenant's own table) with the tenant's key prefix as a filter
// (internal/tenantdata): Scan has no leading key for the tenant policy to
// check, so it is granted here, read only; the deletes still run through the
// tenant-scoped role. Exports are written, never read or deleted.
func (p *Platform) grantOffboarding(f *gofunction.Function) {
	f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("OffboardingReadsTenantItems"),
		Actions: jsii.Strings("dynamodb:Scan"),
		Resources: &[]*string{p.Pooled.Table.TableArn(), p.Stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("dynamodb"), Resource: jsii.String("table"), ResourceName: jsii.String(p.Config.names().Silo("*"))})},
	}))
	p.Exports.grantWrite(f.Role)
}

// TenantPoolTag marks dedicated tenant pools, so platform functions may
// administer them without knowing their ids in advance.
const TenantPoolTag = "issuetracker:tenant-pool"
