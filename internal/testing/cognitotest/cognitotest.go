// Package cognitotest holds the Cognito calls only tests make: creating a
// pool and an app client the way the CDK app configures them, and signing a
// user in with a password (answering a first sign-in's new password and a
// TOTP code). They work against cognito-local.
package cognitotest

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/issuetracker/issuetracker/internal/cognito"
)

// EnsurePool returns the id of the pool named name, creating it with the
// platform's custom attributes and password policy if it does not exist.
func EnsurePool(ctx context.Context, c *cip.Client, name string) (string, error) {
	id, err := cognito.Pools{C: c}.FindPool(ctx, name)
	if err != nil || id != "" {
		return id, err
	}
	attr := func(n string) types.SchemaAttributeType {
		return types.SchemaAttributeType{Name: aws.String(n), AttributeDataType: types.AttributeDataTypeString, Mutable: aws.Bool(true)}
	}
	out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String(name),
		Schema:   []types.SchemaAttributeType{attr(cognito.AttrTenant), attr(cognito.AttrRole), attr(cognito.AttrTier)},
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(12), RequireLowercase: true, RequireUppercase: true, RequireNumbers: true}},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		// People sign in with their email; Cognito's username is then the sub.
		UsernameAttributes: []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
		MfaConfiguration:   types.UserPoolMfaTypeOptional,
	})
	if err != nil {
		return "", fmt.Errorf("create user pool %s: %w", name, err)
	}
	// TOTP on, MFA optional: Cognito challenges users who enabled MFA; a
	// tenant's requirement is enforced per tenant (internal/people).
	if _, err := c.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: out.UserPool.Id,
		MfaConfiguration:              types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}); err != nil {
		return "", fmt.Errorf("MFA config of user pool %s: %w", name, err)
	}
	return aws.ToString(out.UserPool.Id), nil
}

// EnsureClient returns the id of the app client named name in pool, creating
// a public client (no secret) with password and refresh-token flows.
func EnsureClient(ctx context.Context, c *cip.Client, poolID, name string) (string, error) {
	out, err := c.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(poolID), MaxResults: aws.Int32(60)})
	if err != nil {
		return "", fmt.Errorf("list clients of %s: %w", poolID, err)
	}
	for _, c := range out.UserPoolClients {
		if aws.ToString(c.ClientName) == name {
			return aws.ToString(c.ClientId), nil
		}
	}
	cr, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String(name),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth, types.ExplicitAuthFlowsTypeAllowUserSrpAuth},
	})
	if err != nil {
		return "", fmt.Errorf("create client %s: %w", name, err)
	}
	return aws.ToString(cr.UserPoolClient.ClientId), nil
}

// PasswordLogin signs a user in with USER_PASSWORD_AUTH.
func PasswordLogin(ctx context.Context, c *cip.Client, clientID, email, password string) (cognito.Tokens, error) {
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	if err != nil {
		return cognito.Tokens{}, fmt.Errorf("sign in %s: %w", email, err)
	}
	if out.AuthenticationResult == nil {
		return cognito.Tokens{}, fmt.Errorf("sign in %s: challenge %s must be answered first", email, out.ChallengeName)
	}
	r := out.AuthenticationResult
	return cognito.Tokens{IDToken: aws.ToString(r.IdToken), AccessToken: aws.ToString(r.AccessToken),
		RefreshToken: aws.ToString(r.RefreshToken), ExpiresIn: r.ExpiresIn}, nil
}

// SignIn signs a user in with USER_PASSWORD_AUTH and answers the challenges
// a person would: a new password for an invited user (newPassword) and a
// TOTP code (totp, called when asked). For tests and tools.
func SignIn(ctx context.Context, c *cip.Client, clientID, email, password, newPassword string, totp func() string) (cognito.Tokens, error) {
	a := cognito.Answers{}
	if newPassword != "" {
		a.NewPassword = func() (string, error) { return newPassword, nil }
	}
	if totp != nil {
		a.TOTP = func() (string, error) { return totp(), nil }
	}
	return cognito.Pools{C: c}.Authenticate(ctx, clientID, email, password, a)
}
