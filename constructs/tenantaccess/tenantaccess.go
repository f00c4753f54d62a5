// Package tenantaccess defines the role through which functions read and
// write tenant data (ABAC). A function assumes it with a session tag naming
// the tenant; the role's policy only lets that session touch items whose
// partition key starts with the tenant's prefix in the pooled table
// (dynamodb:LeadingKeys) and the tenant's own silo table (name pattern), and
// only the objects under the tenant's prefix of the pooled attachments
// bucket and in the tenant's own bucket (name pattern). A bug in a handler
// cannot read another tenant's items or files. Only the functions
// given as Assumers may assume it; the platform gives the functions no
// direct grant on application tables, except the offboarding job's
// read-only Scan (infra/stacks).
package tenantaccess

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// DefaultTagKey is the session tag that carries the tenant id.
const DefaultTagKey = "TenantId"

// DataActions are the item-level actions tenant sessions may use. No Scan:
// no request path scans, and a Scan has no leading key to check.
var DataActions = []string{
	"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
	"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
	"dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
}

// ObjectActions are what tenant sessions do on attachment objects: upload
// (presigned PUT), read (HEAD, the first bytes, presigned GET) and delete.
// Listing is granted apart, under the tenant's prefix only.
var ObjectActions = []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}

// Props configures the TenantAccess role.
type Props struct {
	// PooledTable is the shared application table. Required.
	PooledTable awsdynamodb.ITable
	// Files is the pooled attachments bucket; nil: no object access.
	// Platinum tenants' own buckets are named Names.SiloFiles(tenant).
	Files awss3.IBucket
	// Names gives the silo table name pattern. Default: schema.Names{}.
	Names schema.Names
	// TagKey is the session tag key. Default: DefaultTagKey.
	TagKey string
	// Assumers are the execution roles of the functions that serve tenant
	// requests. They may call sts:AssumeRole and sts:TagSession on this role
	// and nothing else of it. Required (at least one).
	Assumers []awsiam.IRole
	// RoleName is the physical role name. Default: generated.
	RoleName string
	// MaxSessionDuration. Default: one hour.
	MaxSessionDuration awscdk.Duration
}

// TenantAccess is the tenant-scoped data role.
type TenantAccess struct {
	constructs.Construct
	Role   awsiam.Role
	TagKey string
}

// trustConditions admit the principals arns, with exactly one session tag,
// key, that names a tenant.
func trustConditions(arns []*string, key string) *map[string]interface{} {
	return &map[string]interface{}{
		"ArnEquals":                 map[string]interface{}{"aws:PrincipalArn": arns},
		"StringLike":                map[string]interface{}{"aws:RequestTag/" + key: "?*"},
		"ForAllValues:StringEquals": map[string]interface{}{"aws:TagKeys": []string{key}},
	}
}

// TrustAlso lets the roles arns assume this role too, under the same
// conditions as the Assumers (exactly one session tag naming a tenant), in
// a trust statement of their own (sid). Their own policies must allow it:
// this grants nothing on their side, so a role of a nested stack, which
// this role's stack would otherwise reference back, can be trusted.
func (a *TenantAccess) TrustAlso(sid string, arns ...*string) {
	a.Role.AssumeRolePolicy().AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String(sid), Actions: jsii.Strings("sts:AssumeRole", "sts:TagSession"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAccountRootPrincipal()}, Conditions: trustConditions(arns, a.TagKey),
	}))
}

// New defines the role. It panics when PooledTable is nil.
func New(scope constructs.Construct, id string, props *Props) *TenantAccess {
	if props == nil || props.PooledTable == nil || len(props.Assumers) == 0 {
		panic(fmt.Sprintf("tenantaccess %s: PooledTable and Assumers are required", id))
	}
	p := *props
	if p.TagKey == "" {
		p.TagKey = DefaultTagKey
	}
	if p.MaxSessionDuration == nil {
		p.MaxSessionDuration = awscdk.Duration_Hours(jsii.Number(1))
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	tag := fmt.Sprintf("${aws:PrincipalTag/%s}", p.TagKey)

	// Only the given roles, and only with exactly one tenant session tag.
	arns := make([]*string, len(p.Assumers))
	for i, r := range p.Assumers {
		arns[i] = r.RoleArn()
	}
	trusted := awsiam.NewPrincipalWithConditions(awsiam.NewAccountRootPrincipal(), trustConditions(arns, p.TagKey)).WithSessionTags()
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		RoleName:           optString(p.RoleName),
		AssumedBy:          trusted,
		Description:        jsii.String("Tenant-scoped data access (ABAC on the " + p.TagKey + " session tag)"),
		MaxSessionDuration: p.MaxSessionDuration,
	})
	for _, r := range p.Assumers {
		r.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("sts:AssumeRole", "sts:TagSession"),
			Resources: &[]*string{role.RoleArn()},
		}))
	}

	stack := awscdk.Stack_Of(c)
	pooled := p.PooledTable.TableArn()
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PooledTableOwnItemsOnly"),
		Actions:   jsii.Strings(DataActions...),
		Resources: &[]*string{pooled, jsii.String(*pooled + "/index/*")},
		Conditions: &map[string]interface{}{
			"ForAllValues:StringLike": map[string]interface{}{
				"dynamodb:LeadingKeys": []string{schema.TenantKeyPrefix(tag) + "*"},
			},
			// ForAllValues is true on an empty set: require the key.
			"Null": map[string]interface{}{"dynamodb:LeadingKeys": "false"},
		},
	}))
	silo := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("dynamodb"),
		Resource:     jsii.String("table"),
		ResourceName: jsii.String(p.Names.Silo(tag)),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("OwnSiloTableOnly"),
		Actions:   jsii.Strings(DataActions...),
		Resources: &[]*string{silo, jsii.String(*silo + "/index/*")},
	}))
	if p.Files != nil {
		grantFiles(role, p, tag)
	}
	return &TenantAccess{Construct: c, Role: role, TagKey: p.TagKey}
}

// grantFiles lets a tenant session reach the objects under its prefix of
// the pooled bucket (attachment.TenantPrefix), and list that prefix only
// (offboarding deletes it page by page); and its own bucket whole.
func grantFiles(role awsiam.Role, p Props, tag string) {
	prefix := attachment.TenantPrefix(tag)
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PooledFilesOwnPrefixOnly"),
		Actions:   jsii.Strings(ObjectActions...),
		Resources: &[]*string{p.Files.ArnForObjects(jsii.String(prefix + "*"))},
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PooledFilesListOwnPrefixOnly"),
		Actions:   jsii.Strings("s3:ListBucket"),
		Resources: &[]*string{p.Files.BucketArn()},
		// StringLike fails when s3:prefix is absent: no listing of the bucket.
		Conditions: &map[string]interface{}{"StringLike": map[string]interface{}{"s3:prefix": []string{prefix + "*"}}},
	}))
	own := "arn:" + *awscdk.Aws_PARTITION() + ":s3:::" + p.Names.SiloFiles(tag)
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("OwnFilesBucketOnly"),
		Actions:   jsii.Strings(append([]string{"s3:ListBucket"}, ObjectActions...)...),
		Resources: jsii.Strings(own, own+"/*"),
	}))
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return jsii.String(s)
}
