package crossaccount

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/tenantaccess"
)

// DataProps configures the data role of a tenant's own account.
type DataProps struct {
	// RoleName is the role's physical name: the platform computes its ARN
	// from the tenant's account and this name. Required.
	RoleName string
	// TrustedAccount is the platform's account, and TrustedRoleName its
	// tenant access role (constructs/tenantaccess), whose sessions alone
	// may assume this role. Required.
	TrustedAccount, TrustedRoleName string
	// TenantID is the tenant whose data this account holds: only a session
	// tagged with it (TagKey) may assume the role. Required.
	TenantID string
	// TagKey is the session tag. Default: tenantaccess.DefaultTagKey.
	TagKey string
	// Table is the tenant's table. Required.
	Table awsdynamodb.ITable
	// Files is the tenant's attachments bucket; nil: no object access.
	Files awss3.IBucket
}

// Data is the data role.
type Data struct {
	constructs.Construct
	Role awsiam.Role
}

// NewData defines the role through which the platform's functions reach a
// tenant's data in the tenant's own account: the second hop of
// internal/tenantcreds (role chaining), after the platform's tenant access
// role. It trusts only that role's sessions tagged with this tenant, and
// asks the same tag again on this session (sts:TagSession, one tag key);
// it allows tenantaccess.DataActions on the tenant's table and its
// indexes, and on its bucket what the tenant access role allows on a
// tenant's own bucket (listing and tenantaccess.ObjectActions). Sessions
// last an hour, the most role chaining gives.
func NewData(scope constructs.Construct, id string, props *DataProps) *Data {
	if props == nil || props.RoleName == "" || props.TrustedAccount == "" || props.TrustedRoleName == "" || props.TenantID == "" || props.Table == nil {
		panic(fmt.Sprintf("crossaccount %s: RoleName, TrustedAccount, TrustedRoleName, TenantID and Table are required", id))
	}
	key := props.TagKey
	if key == "" {
		key = tenantaccess.DefaultTagKey
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	trusted := awsiam.NewPrincipalWithConditions(awsiam.NewAccountPrincipal(jsii.String(props.TrustedAccount)), &map[string]interface{}{
		"ArnEquals": map[string]interface{}{"aws:PrincipalArn": RoleARN(props.TrustedAccount, props.TrustedRoleName)},
		"StringEquals": map[string]interface{}{
			"aws:PrincipalTag/" + key: props.TenantID,
			"aws:RequestTag/" + key:   props.TenantID,
		},
		"ForAllValues:StringEquals": map[string]interface{}{"aws:TagKeys": []string{key}},
	}).WithSessionTags()
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		RoleName:           jsii.String(props.RoleName),
		Description:        jsii.String("The IssueTracker platform's functions reach tenant " + props.TenantID + "'s data (second hop of its tenant access role)"),
		AssumedBy:          trusted,
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
	table := props.Table.TableArn()
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("OwnTableOnly"),
		Actions:   jsii.Strings(tenantaccess.DataActions...),
		Resources: &[]*string{table, jsii.String(*table + "/index/*")},
	}))
	if props.Files != nil {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("OwnFilesBucketOnly"),
			Actions:   jsii.Strings(append([]string{"s3:ListBucket"}, tenantaccess.ObjectActions...)...),
			Resources: &[]*string{props.Files.BucketArn(), props.Files.ArnForObjects(jsii.String("*"))},
		}))
	}
	return &Data{Construct: c, Role: role}
}

// GrantOffboardingScan lets the provisioning role read the tenant's table
// whole: offboarding archives every item of a Platinum tenant's table with
// a Scan (internal/tenantdata), which is no tenant action (no leading key
// for a tenant policy to check), so the platform's onboarding function
// runs it with this role's session. Scan of the table only, no index.
func (a *Access) GrantOffboardingScan(table awsdynamodb.ITable) {
	a.Role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("OffboardingReadsTheTenantsTable"),
		Actions:   jsii.Strings("dynamodb:Scan"),
		Resources: &[]*string{table.TableArn()},
	}))
}
