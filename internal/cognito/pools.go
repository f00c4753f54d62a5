// Package cognito manages Cognito user pools, app clients and users with
// the SDK calls that work against Cognito and cognito-local alike. Seeding,
// invitations and onboarding use it; every call is idempotent so a step can
// be retried.
package cognito

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/cognito/identity"
)

// Custom attribute names (without the "custom:" prefix) every pool carries.
// The tokens carry them as custom:tenant_id, custom:role and custom:tier.
const (
	AttrTenant = "tenant_id"
	AttrRole   = "role"
	AttrTier   = "tier"
)

// Pools wraps a Cognito client.
type Pools struct{ C *cip.Client }

var _ identity.Pools = Pools{}

// NewClient builds a Cognito user pools client for cfg and e (the local
// endpoint when set). It is here, not in awsx, so that only the functions
// that use the pools link the Cognito client.
func NewClient(cfg aws.Config, e awsx.Endpoints) *cip.Client {
	return cip.NewFromConfig(cfg, func(o *cip.Options) {
		if e.Cognito != "" {
			o.BaseEndpoint = aws.String(e.Cognito)
		}
	})
}

// FindPool returns the id of the pool named name, or "".
func (p Pools) FindPool(ctx context.Context, name string) (string, error) {
	pg := cip.NewListUserPoolsPaginator(p.C, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list user pools: %w", err)
		}
		for _, up := range out.UserPools {
			if aws.ToString(up.Name) == name {
				return aws.ToString(up.Id), nil
			}
		}
	}
	return "", nil
}

// UserSpec describes a user to ensure (identity.UserSpec).
type UserSpec = identity.UserSpec

func attributes(u UserSpec) []types.AttributeType {
	attrs := []types.AttributeType{
		{Name: aws.String("email"), Value: aws.String(u.Email)},
		{Name: aws.String("email_verified"), Value: aws.String("true")},
	}
	for _, a := range [][2]string{{AttrTenant, u.TenantID}, {AttrRole, u.Role}, {AttrTier, u.Tier}} {
		if a[1] != "" {
			attrs = append(attrs, types.AttributeType{Name: aws.String("custom:" + a[0]), Value: aws.String(a[1])})
		}
	}
	return attrs
}

// EnsureUser creates the user (Cognito sends no message) or, when it exists
// in the same tenant, brings its attributes up to date; sets a permanent
// password when given; returns its sub. A user of another tenant is never
// touched: ErrOtherTenant.
func (p Pools) EnsureUser(ctx context.Context, poolID string, u UserSpec) (string, error) {
	attrs := attributes(u)
	out, err := p.C.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(poolID), Username: aws.String(u.Email),
		UserAttributes: attrs, MessageAction: types.MessageActionTypeSuppress,
	})
	var exists *types.UsernameExistsException
	sub := ""
	switch {
	case errors.As(err, &exists):
		cur, err := p.owned(ctx, poolID, u.TenantID, u.Email)
		if err != nil {
			return "", err
		}
		sub = cur.attrs["sub"]
		// custom:tenant_id is immutable in the deployed pools (and equal
		// here): only the other attributes are brought up to date.
		var mutable []types.AttributeType
		for _, a := range attrs {
			if aws.ToString(a.Name) != "custom:"+AttrTenant && cur.attrs[aws.ToString(a.Name)] != aws.ToString(a.Value) {
				mutable = append(mutable, a)
			}
		}
		if len(mutable) > 0 {
			if _, err := p.C.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
				UserPoolId: aws.String(poolID), Username: aws.String(u.Email), UserAttributes: mutable}); err != nil {
				return "", fmt.Errorf("update user %s: %w", u.Email, err)
			}
		}
	case err != nil:
		return "", fmt.Errorf("create user %s: %w", u.Email, err)
	default:
		sub = attrMap(out.User.Attributes)["sub"]
	}
	if u.Password != "" {
		if _, err := p.C.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
			UserPoolId: aws.String(poolID), Username: aws.String(u.Email),
			Password: aws.String(u.Password), Permanent: true}); err != nil {
			return "", fmt.Errorf("set password of %s: %w", u.Email, err)
		}
	}
	if sub == "" {
		cur, err := p.owned(ctx, poolID, u.TenantID, u.Email)
		if err != nil {
			return "", err
		}
		sub = cur.attrs["sub"]
	}
	if sub == "" {
		return "", fmt.Errorf("user %s has no sub", u.Email)
	}
	return sub, nil
}

// Tokens are the result of a sign-in.
type Tokens struct {
	IDToken      string `json:"id_token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int32  `json:"expires_in"`
}

// DeletePool removes a user pool and its users; an unknown pool is not an error.
func (p Pools) DeletePool(ctx context.Context, poolID string) error {
	_, err := p.C.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String(poolID)})
	var nf *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("delete user pool %s: %w", poolID, err)
	}
	return nil
}
