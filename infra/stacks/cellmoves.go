package stacks

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/tenantaccess"
	"github.com/issuetracker/issuetracker/internal/access"
	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/stackevents"
)

// A move between cells in AWS (docs/scale.md, "A move between cells in
// AWS"). The cells of one account and Region (Config.Cells) reach each
// other by grants on ARNs spelled from their prefixes, the pattern of the
// tenant stacks: no cell's template takes anything from another's. The
// source cell's onboarding function runs the move, so it is the one
// granted on the target's control table (the tenant's record), its usage
// plans (the tenant's key) and its description parameter (its API and
// shared pool, whose ids exist only once it is deployed); the copy,
// catch-up, drain and verify run as the tenant, so the tenant access role
// reaches the tenant's items (dynamodb:LeadingKeys) in the other cells'
// pooled tables too. After the switch the target pool's user-migration
// trigger signs each user in once at the source cell's shared pool, which
// carries SharedTenantPoolTag. Cells in different accounts need a role
// in each (not built).

// SharedTenantPoolTag marks a cell's shared tenant pool: the other cells'
// user-migration triggers may sign its users in (a moved tenant's
// FormerPool), and no other of its pools (the provider pool's Root users).
const SharedTenantPoolTag = "issuetracker:shared-tenant-pool"

// wireMoves publishes this cell's description and, when the deployment
// names other cells, lets this cell move tenants to them. Only with the
// directory (a platform of cells).
func (p *Platform) wireMoves() {
	if !p.Config.Directory {
		return
	}
	st := p.Stack
	desc, err := json.Marshal(cells.Description{ID: p.Config.Cell, Region: *st.Region(), APIURL: *p.API.BaseURL(),
		UserPoolID: *p.TenantPool.UserPool.UserPoolId(), ClientID: *p.TenantPool.Client.UserPoolClientId()})
	if err != nil {
		panic(err)
	}
	p.CellDescription = awsssm.NewStringParameter(st, jsii.String("CellDescription"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(cells.DescriptionParameter(p.Config.Prefix)),
		Description:   jsii.String("This cell's API and shared pool, read by the other cells' moves (internal/cells.Description)"),
		StringValue:   jsii.String(string(desc)),
	})
	awscdk.Tags_Of(p.TenantPool.UserPool).Add(jsii.String(SharedTenantPoolTag), jsii.String("true"), nil)
	peers := p.Config.peers()
	if len(peers) == 0 {
		return
	}
	onb := p.Functions[OnboardingFunction]
	onb.Function.AddEnvironment(jsii.String(envvars.MoveCells), jsii.String(cells.FormatPeers(peers)), nil)
	var params, appTables, siloTables, buses, tenantStacks, cellIDs []string
	tag := fmt.Sprintf("${aws:PrincipalTag/%s}", p.TenantAccess.TagKey)
	for _, peer := range peers {
		n := peer.Names()
		silo := *p.tableArn(n.Silo(tag))
		siloTables = append(siloTables, silo, silo+"/index/*")
		buses = append(buses, *st.FormatArn(&awscdk.ArnComponents{Service: jsii.String("events"), Resource: jsii.String("event-bus"), ResourceName: jsii.String(peer.Prefix)}))
		tenantStacks = append(tenantStacks, *st.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cloudformation"), Resource: jsii.String("stack"),
			ResourceName: jsii.String(schema.TenantStackName(peer.ID, "*") + "/*")}))
		p.grantTable(onb, p.tableArn(n.Control()), access.MoveTarget())
		params = append(params, p.parameterArn(cells.DescriptionParameter(peer.Prefix)),
			p.parameterArn(schema.UsagePlanParameterPrefix(peer.Prefix)+"*"))
		app := *p.tableArn(n.App())
		appTables = append(appTables, app, app+"/index/*")
		cellIDs = append(cellIDs, peer.ID)
	}
	gateway := func(path string) string {
		return fmt.Sprintf("arn:%s:apigateway:%s::%s", *st.Partition(), *st.Region(), path)
	}
	onb.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("MoveReadsOtherCells"), Actions: jsii.Strings("ssm:GetParameters"), Resources: jsii.Strings(params...),
	}))
	// The other cells' usage plan ids are only known once they are
	// deployed (their SSM parameters above): the tenant's key is put on a
	// plan of this Region. Keys themselves are GrantTenantKeys' (tagged).
	onb.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("MovePutsKeysOnOtherCellsPlans"), Actions: jsii.Strings("apigateway:POST"),
		Resources: jsii.Strings(gateway("/usageplans/*/keys")),
	}))
	onb.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("MoveReadsAndRemovesPlanKeys"), Actions: jsii.Strings("apigateway:GET", "apigateway:DELETE"),
		Resources: jsii.Strings(gateway("/usageplans/*/keys/*")),
	}))
	// A Platinum tenant's move (docs/scale.md, pieces 2 and 4): the other
	// cell's pipeline deploys the tenant's stack there on a request on that
	// cell's bus, sent with the conditions of this cell's own requests
	// (grantEvents); this cell follows that stack (its maintenance resumes
	// the move once it is deployed), and the copy, as the tenant, reaches
	// the stack's table, named from the session's TenantId tag.
	onb.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("MoveRequestsTenantStacksInOtherCells"), Actions: jsii.Strings("events:PutEvents"), Resources: jsii.Strings(buses...),
		Conditions: &map[string]any{"StringEquals": map[string]any{"events:source": stackevents.SourceOnboarding,
			"events:detail-type": []string{stackevents.DetailTypeDeployRequested, stackevents.DetailTypeDestroyRequested}}},
	}))
	onb.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("MoveFollowsTenantStacksInOtherCells"), Actions: jsii.Strings("cloudformation:DescribeStacks"), Resources: jsii.Strings(tenantStacks...),
	}))
	p.TenantAccess.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("OtherCellsOwnTenantTable"), Actions: jsii.Strings(tenantaccess.DataActions...), Resources: jsii.Strings(siloTables...),
	}))
	p.TenantAccess.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("OtherCellsPooledTablesOwnItemsOnly"), Actions: jsii.Strings(tenantaccess.DataActions...),
		Resources: jsii.Strings(appTables...),
		Conditions: &map[string]any{
			"ForAllValues:StringLike": map[string]any{"dynamodb:LeadingKeys": []string{schema.TenantKeyPrefix(tag) + "*"}},
			"Null":                    map[string]any{"dynamodb:LeadingKeys": "false"},
		},
	}))
	// A pooled tenant's files move to the cells whose bucket is named
	// (Config.CellBuckets): its own prefix there, as in this cell's bucket.
	prefix := attachment.TenantPrefix(tag)
	for _, peer := range peers {
		if peer.Files == "" {
			continue
		}
		bucket := "arn:" + *st.Partition() + ":s3:::" + peer.Files
		p.TenantAccess.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings(tenantaccess.ObjectActions...), Resources: jsii.Strings(bucket + "/" + prefix + "*"),
		}))
		p.TenantAccess.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("s3:ListBucket"), Resources: jsii.Strings(bucket),
			Conditions: &map[string]any{"StringLike": map[string]any{"s3:prefix": []string{prefix + "*"}}},
		}))
	}
	// A Platinum tenant's files move from its stack's bucket here
	// (tenantaccess OwnFilesBucketOnly) to its stack's bucket in the other
	// cell (docs/scale.md, piece 6): that bucket only, named from the
	// session's TenantId tag as the tenant stacks name it.
	var siloBuckets []string
	for _, peer := range peers {
		b := "arn:" + *st.Partition() + ":s3:::" + peer.Names().SiloFiles(tag)
		siloBuckets = append(siloBuckets, b, b+"/*")
	}
	p.TenantAccess.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("OtherCellsOwnFilesBucket"), Actions: jsii.Strings(append([]string{"s3:ListBucket"}, tenantaccess.ObjectActions...)...),
		Resources: jsii.Strings(siloBuckets...),
	}))
	// A move's retirement invites the tenant's users who never signed in
	// at the target cell into its pool (onboarding.Machine.moveUnmoved, the
	// downgrade's invitation): whose user the address is there
	// (AdminGetUser), then the user with a temporary password
	// (AdminCreateUser; AdminSetUserPassword for one invited by a previous
	// attempt). Only the other cells' shared and tenant stacks' pools, by
	// their tags; their users' other administration stays their cell's.
	for _, g := range []struct{ sid, poolTag string }{
		{"MoveInvitesUnmovedUsersIntoOtherCellsSharedPools", SharedTenantPoolTag},
		{"MoveInvitesUnmovedUsersIntoOtherCellsTenantPools", TenantPoolTag},
	} {
		onb.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(g.sid),
			Actions:   jsii.Strings("cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminSetUserPassword"),
			Resources: &[]*string{st.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cognito-idp"), Resource: jsii.String("userpool"), ResourceName: jsii.String("*")})},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"aws:ResourceTag/" + g.poolTag: "true", "aws:ResourceTag/" + CellTag: cellIDs,
			}},
		}))
	}
	// A moved tenant's users sign in once at their former cell's pool,
	// through this cell's trigger: a pooled tenant's at that cell's shared
	// pool, a Platinum tenant's (docs/scale.md, piece 5) at its stack's pool
	// there (TenantPoolTag; the new stack's pool calls this cell's trigger:
	// attachUserMigration). Only the other cells' pools, by their cell tag.
	for _, g := range []struct{ sid, poolTag string }{
		{"MovedUsersSignInAtTheirFormerCell", SharedTenantPoolTag},
		{"MovedUsersSignInAtTheirFormerCellsTenantPool", TenantPoolTag},
	} {
		p.Functions[UserMigrationFunction].Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(g.sid),
			Actions:   jsii.Strings("cognito-idp:AdminGetUser", "cognito-idp:AdminInitiateAuth"),
			Resources: &[]*string{st.FormatArn(&awscdk.ArnComponents{Service: jsii.String("cognito-idp"), Resource: jsii.String("userpool"), ResourceName: jsii.String("*")})},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"aws:ResourceTag/" + g.poolTag: "true", "aws:ResourceTag/" + CellTag: cellIDs,
			}},
		}))
	}
}

// tableArn is the ARN of the table name in this cell's account and Region.
func (p *Platform) tableArn(name string) *string {
	return p.Stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("dynamodb"), Resource: jsii.String("table"), ResourceName: jsii.String(name)})
}

// parameterArn is the ARN of the SSM parameter name ("/a/b").
func (p *Platform) parameterArn(name string) string {
	return *p.Stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ssm"), Resource: jsii.String("parameter"), ResourceName: jsii.String(name[1:])})
}
