package stacks

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/crossaccount"
	"github.com/issuetracker/issuetracker/constructs/gofunction"
	"github.com/issuetracker/issuetracker/constructs/identity"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// The user-migration trigger (functions/usermigration,
// internal/cognito/usermigration) is one platform function serving every
// tenant pool: the shared pool (users moving back from a tenant's own pool)
// and each tenant stack's pool (users moving out of the shared pool). A
// pool names it by ARN, spelled from its physical name rather than
// referenced: the function's environment names the shared pool, so a
// reference back from that pool would be a cycle, and the tenant stacks
// take nothing from the platform stack's outputs.

// userMigrationArn is the trigger's ARN in stack's account and region.
func userMigrationArn(stack awscdk.Stack, prefix string) *string {
	return stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("lambda"), Resource: jsii.String("function"),
		ResourceName: jsii.String(prefix + "-" + UserMigrationFunction), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME})
}

// attachUserMigration makes pool call the trigger arn for users it does
// not know, and lets Cognito invoke the trigger for that pool only.
func attachUserMigration(stack awscdk.Stack, pool *identity.Pool, arn *string) {
	cfn := pool.UserPool.Node().DefaultChild().(awscognito.CfnUserPool)
	cfn.AddPropertyOverride(jsii.String("LambdaConfig.UserMigration"), arn)
	awslambda.NewCfnPermission(pool.Construct, jsii.String("UserMigrationInvoke"), &awslambda.CfnPermissionProps{
		Action: jsii.String("lambda:InvokeFunction"), FunctionName: arn,
		Principal: jsii.String("cognito-idp.amazonaws.com"), SourceArn: pool.UserPool.UserPoolArn(),
	})
}

// A Platinum tenant in its own AWS account (Config.TenantAccounts) has no
// platform function there, so its stack deploys the trigger itself (the
// same code, functions/usermigration), and two roles bridge the accounts:
//
//   - the platform's UserMigrationRoleName(prefix, tenant), one per such
//     tenant, which only roles of tenant stacks in that account may
//     assume (aws:PrincipalArn role/IssueTracker-Tenant-*: generated role
//     names start with the stack's name, truncated): AdminGetUser
//     and AdminInitiateAuth on the shared pool, GetItem of the tenant's
//     record and of issuer mappings in the control table. The trigger
//     assumes it (envvars.PlatformRoleARN, awsx/assumerole) for the upgrade's
//     source, the shared pool, and for the registry;
//   - the tenant stack's TenantPoolRoleName(prefix), which the platform
//     account may assume (its IAM policy gives that to the platform's
//     trigger only): AdminGetUser and AdminInitiateAuth on the tenant's
//     pool, the source of a downgrade (envvars.TenantPoolRoles).

// UserMigrationRoleName is the platform role a tenant account's trigger
// assumes.
func UserMigrationRoleName(prefix, tenantID string) string { return prefix + "-um-" + tenantID }

// TenantPoolRoleName is the role a tenant account gives the platform's
// trigger on the tenant's pool.
func TenantPoolRoleName(prefix string) string { return prefix + "-um-source" }

// controlTable is the platform's control table in account.
func controlTable(st awscdk.Stack, account, prefix string) *string {
	return jsii.String(fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/%s", *st.Partition(), *st.Region(), account, schema.Names{Prefix: prefix}.Control()))
}

// addCrossAccountUserMigration adds, for each tenant in an account of its
// own, the role its trigger assumes, and lets the platform's trigger read
// those tenants' pools through the role their stacks give it.
func (p *Platform) addCrossAccountUserMigration() {
	cfg := p.Config
	if len(cfg.TenantAccounts) == 0 {
		return
	}
	var sources []string
	var sourceARNs []*string
	for _, id := range slices.Sorted(maps.Keys(cfg.TenantAccounts)) {
		account := cfg.TenantAccounts[id]
		if account == cfg.Account {
			continue
		}
		role := awsiam.NewRole(p.Stack, jsii.String("UserMigrationAccess-"+id), &awsiam.RoleProps{
			RoleName:    jsii.String(UserMigrationRoleName(cfg.Prefix, id)),
			Description: jsii.String("The user-migration trigger of tenant " + id + " (account " + account + ") reads the shared pool's users and the tenant's record"),
			AssumedBy: awsiam.NewAccountPrincipal(jsii.String(account)).WithConditions(&map[string]any{
				"ArnLike": map[string]any{"aws:PrincipalArn": fmt.Sprintf("arn:%s:iam::%s:role/%s*", *p.Stack.Partition(), account, TenantStackNameOf(cfg.Cell, ""))},
			}),
			MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
		})
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("SharedPoolSignIn"),
			Actions:   jsii.Strings("cognito-idp:AdminGetUser", "cognito-idp:AdminInitiateAuth"),
			Resources: &[]*string{p.TenantPool.UserPool.UserPoolArn()},
		}))
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("TenantRecordAndIssuers"),
			Actions:   jsii.Strings("dynamodb:GetItem"),
			Resources: &[]*string{controlTable(p.Stack, cfg.Account, cfg.Prefix)},
			Conditions: &map[string]any{
				"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []string{schema.ControlTenant + id, schema.ControlIssuer + "*"}},
				"Null":                    map[string]any{"dynamodb:LeadingKeys": "false"},
			},
		}))
		arn := crossaccount.RoleARN(account, TenantPoolRoleName(cfg.Prefix))
		sources = append(sources, id+"="+arn)
		sourceARNs = append(sourceARNs, jsii.String(arn))
	}
	if len(sources) == 0 {
		return
	}
	fn := p.Functions[UserMigrationFunction].Function
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadTenantAccountPools"), Actions: jsii.Strings("sts:AssumeRole"), Resources: &sourceARNs,
	}))
	fn.AddEnvironment(jsii.String(envvars.TenantPoolRoles), jsii.String(strings.Join(sources, ",")), nil)
}

// addUserMigration deploys the pool's trigger in the tenant's own account
// (with the platform role it assumes) and the role the platform's trigger
// assumes to read the pool. Without the shared pool's id in the config
// (Config.SharedPoolID) there is none: users cannot move.
func (t *Tenant) addUserMigration(cfg Config, platformAccount, root string) {
	st := t.Stack
	t.PoolAccess = awsiam.NewRole(st, jsii.String("UserPoolAccess"), &awsiam.RoleProps{
		RoleName:           jsii.String(TenantPoolRoleName(cfg.Prefix)),
		Description:        jsii.String("The IssueTracker platform's user-migration trigger reads this tenant's pool (users moving to the shared pool)"),
		AssumedBy:          awsiam.NewAccountPrincipal(jsii.String(platformAccount)),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
	t.PoolAccess.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("TenantPoolSignIn"),
		Actions:   jsii.Strings("cognito-idp:AdminGetUser", "cognito-idp:AdminInitiateAuth"),
		Resources: &[]*string{t.Pool.UserPool.UserPoolArn()},
	}))
	if cfg.SharedPoolID == "" || cfg.SharedClientID == "" {
		return
	}
	platformRole := crossaccount.RoleARN(platformAccount, UserMigrationRoleName(cfg.Prefix, t.TenantID))
	t.UserMigration = gofunction.New(st, "UserMigration", &gofunction.Props{
		Name: UserMigrationFunction, RepoRoot: root,
		Description: "IssueTracker user-migration trigger of tenant " + t.TenantID + "'s pool: users move in from the platform's shared pool",
		Environment: map[string]string{
			envvars.TablePrefix: cfg.Prefix, envvars.TenantPoolID: cfg.SharedPoolID, envvars.TenantClientIDs: cfg.SharedClientID,
			envvars.PlatformRoleARN: platformRole,
		},
	})
	t.UserMigration.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("AssumePlatformUserMigrationRole"), Actions: jsii.Strings("sts:AssumeRole"), Resources: jsii.Strings(platformRole),
	}))
	attachUserMigration(st, t.Pool, t.UserMigration.Function.FunctionArn())
}
