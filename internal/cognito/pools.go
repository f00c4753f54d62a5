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
	"github.com/issuetracker/issuetracker/internal/cognito/signed"
)

// Custom attribute names (without the "custom:" prefix) every pool carries.
// The tokens carry them as custom:tenant_id, custom:role and custom:tier.
const (
	AttrTenant = identity.AttrTenant
	AttrRole   = identity.AttrRole
	AttrTier   = identity.AttrTier
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

// TemporaryPassword and its length: identity's.
var TemporaryPassword = identity.TemporaryPassword

// TemporaryPasswordLength: identity.TemporaryPasswordLength.
const TemporaryPasswordLength = identity.TemporaryPasswordLength

// Users are the identity.Pools calls of p (package signed, what the
// functions use) on p.C's region, credentials, endpoint and HTTP client.
func (p Pools) Users() signed.Pools {
	o := p.C.Options()
	return signed.Pools{Config: aws.Config{Region: o.Region, Credentials: o.Credentials, BaseEndpoint: o.BaseEndpoint, HTTPClient: o.HTTPClient}}
}

// EnsureUser: signed.Pools.EnsureUser.
func (p Pools) EnsureUser(ctx context.Context, poolID string, u UserSpec) (string, error) {
	return p.Users().EnsureUser(ctx, poolID, u)
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
