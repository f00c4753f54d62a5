// Package crossaccount is the role a Platinum tenant's own AWS account
// gives the platform's account: the platform's provisioning code path
// (internal/onboarding/awsstacks, in the onboarding function) assumes it
// with STS to follow the tenant stack that the provisioning pipeline
// deployed there. The pipeline itself deploys through the account's CDK
// bootstrap roles, which trust the platform account once the tenant
// account is bootstrapped with `cdk bootstrap --trust <platform account>`
// (docs/scale.md, "A Platinum tenant in its own account").
package crossaccount

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Props configures the role.
type Props struct {
	// RoleName is the role's physical name: the platform computes its ARN
	// from the tenant's account and this name. Required.
	RoleName string
	// TrustedAccount is the platform's account. Required.
	TrustedAccount string
	// StackName is the tenant stack the role may describe. Required.
	StackName string
}

// Access is the role.
type Access struct {
	constructs.Construct
	Role awsiam.Role
}

// RoleARN is the ARN of the role named name in account.
func RoleARN(account, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", account, name)
}

// New defines the role: only the trusted account's principals may assume
// it (the platform's IAM policies decide which: its onboarding function's
// role), and it may only read the tenant stack's status, outputs and
// events.
func New(scope constructs.Construct, id string, props *Props) *Access {
	if props == nil || props.RoleName == "" || props.TrustedAccount == "" || props.StackName == "" {
		panic(fmt.Sprintf("crossaccount %s: RoleName, TrustedAccount and StackName are required", id))
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		RoleName:           jsii.String(props.RoleName),
		Description:        jsii.String("The IssueTracker platform account follows this tenant's stack (provisioning)"),
		AssumedBy:          awsiam.NewAccountPrincipal(jsii.String(props.TrustedAccount)),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
	stack := awscdk.Stack_Of(c)
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents"),
		Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("cloudformation"), Resource: jsii.String("stack"), ResourceName: jsii.String(props.StackName + "/*"),
		})},
	}))
	return &Access{Construct: c, Role: role}
}
