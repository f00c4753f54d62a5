package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/issuetracker/issuetracker/constructs/identity"
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

// attachUserMigration makes pool call the trigger for users it does not
// know, and lets Cognito invoke the trigger for that pool only.
func attachUserMigration(stack awscdk.Stack, pool *identity.Pool, prefix string) {
	arn := userMigrationArn(stack, prefix)
	cfn := pool.UserPool.Node().DefaultChild().(awscognito.CfnUserPool)
	cfn.AddPropertyOverride(jsii.String("LambdaConfig.UserMigration"), arn)
	awslambda.NewCfnPermission(pool.Construct, jsii.String("UserMigrationInvoke"), &awslambda.CfnPermissionProps{
		Action: jsii.String("lambda:InvokeFunction"), FunctionName: arn,
		Principal: jsii.String("cognito-idp.amazonaws.com"), SourceArn: pool.UserPool.UserPoolArn(),
	})
}
