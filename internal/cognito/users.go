package cognito

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/issuetracker/issuetracker/internal/cognito/identity"
	"github.com/issuetracker/issuetracker/internal/passwordpolicy"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
)

// The pools' errors (package identity).
var (
	ErrOtherTenant  = identity.ErrOtherTenant
	ErrUserNotFound = identity.ErrUserNotFound
	ErrCodeMismatch = identity.ErrCodeMismatch
)

// TenantOf: signed.Pools.TenantOf.
func (p Pools) TenantOf(ctx context.Context, poolID, username string) (string, bool, error) {
	return p.Users().TenantOf(ctx, poolID, username)
}

// Invited is a user who can sign in for the first time (identity.Invited).
type Invited = identity.Invited

// Invite: signed.Pools.Invite.
func (p Pools) Invite(ctx context.Context, poolID string, u UserSpec) (Invited, error) {
	return p.Users().Invite(ctx, poolID, u)
}

// SetRole: signed.Pools.SetRole.
func (p Pools) SetRole(ctx context.Context, poolID, tenantID, username, role string) error {
	return p.Users().SetRole(ctx, poolID, tenantID, username, role)
}

// SetEnabled: signed.Pools.SetEnabled.
func (p Pools) SetEnabled(ctx context.Context, poolID, tenantID, username string, enabled bool) error {
	return p.Users().SetEnabled(ctx, poolID, tenantID, username, enabled)
}

// DeleteUser: signed.Pools.DeleteUser.
func (p Pools) DeleteUser(ctx context.Context, poolID, tenantID, username string) error {
	return p.Users().DeleteUser(ctx, poolID, tenantID, username)
}

// MFAState is a user's MFA as Cognito holds it (identity.MFAState).
type MFAState = identity.MFAState

// MFA: signed.Pools.MFA.
func (p Pools) MFA(ctx context.Context, poolID, username string) (MFAState, error) {
	return p.Users().MFA(ctx, poolID, username)
}

// UserEnabled: signed.Pools.UserEnabled.
func (p Pools) UserEnabled(ctx context.Context, poolID, username string) (bool, error) {
	return p.Users().UserEnabled(ctx, poolID, username)
}

// MFAEnabled: signed.Pools.MFAEnabled.
func (p Pools) MFAEnabled(ctx context.Context, poolID, username string) (bool, error) {
	return p.Users().MFAEnabled(ctx, poolID, username)
}

// AssociateTOTP: signed.Pools.AssociateTOTP.
func (p Pools) AssociateTOTP(ctx context.Context, accessToken string) (string, error) {
	return p.Users().AssociateTOTP(ctx, accessToken)
}

// VerifyTOTP: signed.Pools.VerifyTOTP.
func (p Pools) VerifyTOTP(ctx context.Context, accessToken, code, device string) error {
	return p.Users().VerifyTOTP(ctx, accessToken, code, device)
}

// OTPAuthURI is the otpauth:// URI authenticator apps read from a QR code.
func OTPAuthURI(issuer, account, secret string) string {
	return identity.OTPAuthURI(issuer, account, secret)
}

// Answers answer the challenges of a sign-in; a nil one fails the sign-in
// with ErrNewPasswordRequired or ErrTOTPRequired.
type Answers struct {
	NewPassword func() (string, error) // NEW_PASSWORD_REQUIRED (an invited user's first sign-in)
	TOTP        func() (string, error) // SOFTWARE_TOKEN_MFA
	// Workspace, when set, names the tenant signed in to (ClientMetadata
	// WorkspaceKey), as the web does: a pool's user-migration trigger
	// moves a user of a tenant that moved into the pool only when the
	// sign-in names it (internal/cognito/usermigration).
	Workspace string
}

// WorkspaceKey is the ClientMetadata key a sign-in names its workspace with.
const WorkspaceKey = "tenant_id"

// Why a sign-in failed.
var (
	ErrNewPasswordRequired = errors.New("a new password is required (first sign-in with a temporary password)")
	ErrTOTPRequired        = errors.New("a TOTP code from the authenticator app is required")
	ErrWrongCredentials    = errors.New("wrong email or password, or the user is disabled")
	ErrPasswordPolicy      = errors.New("the new password does not meet the pool's policy")
)

// Authenticate signs a user in with USER_PASSWORD_AUTH and answers the
// challenges with a.
func (p Pools) Authenticate(ctx context.Context, clientID, email, password string, a Answers) (Tokens, error) {
	in := &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	}
	if a.Workspace != "" {
		in.ClientMetadata = map[string]string{WorkspaceKey: a.Workspace}
	}
	out, err := p.C.InitiateAuth(ctx, in)
	switch {
	// InvalidPasswordException is cognito-local's answer to a wrong password.
	case apiError(err, "NotAuthorizedException", "UserNotFoundException", "InvalidPasswordException"):
		return Tokens{}, fmt.Errorf("sign in %s: %w (%v)", email, ErrWrongCredentials, err)
	case err != nil:
		return Tokens{}, fmt.Errorf("sign in %s: %w", email, err)
	}
	result, challenge, session := out.AuthenticationResult, out.ChallengeName, out.Session
	for range 3 {
		if r := result; r != nil {
			return Tokens{IDToken: aws.ToString(r.IdToken), AccessToken: aws.ToString(r.AccessToken),
				RefreshToken: aws.ToString(r.RefreshToken), ExpiresIn: r.ExpiresIn}, nil
		}
		answers := map[string]string{"USERNAME": email}
		switch challenge {
		case types.ChallengeNameTypeNewPasswordRequired:
			if a.NewPassword == nil {
				return Tokens{}, fmt.Errorf("sign in %s: %w", email, ErrNewPasswordRequired)
			}
			pw, err := a.NewPassword()
			if err == nil {
				// cognito-local does not enforce the pool's policy: check it
				// here, so a password AWS would refuse is refused locally too.
				if perr := passwordpolicy.Pools.Check(pw); perr != nil {
					return Tokens{}, fmt.Errorf("sign in %s: %w (%v)", email, ErrPasswordPolicy, perr)
				}
			}
			if err != nil {
				return Tokens{}, fmt.Errorf("sign in %s: %w", email, err)
			}
			answers["NEW_PASSWORD"] = pw
		case types.ChallengeNameTypeSoftwareTokenMfa:
			if a.TOTP == nil {
				return Tokens{}, fmt.Errorf("sign in %s: %w", email, ErrTOTPRequired)
			}
			code, err := a.TOTP()
			if err != nil {
				return Tokens{}, fmt.Errorf("sign in %s: %w", email, err)
			}
			answers["SOFTWARE_TOKEN_MFA_CODE"] = code
		default:
			return Tokens{}, fmt.Errorf("sign in %s: unsupported challenge %s", email, challenge)
		}
		r, err := p.C.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
			ChallengeName: challenge, Session: session, ChallengeResponses: answers})
		switch {
		case apiError(err, "InvalidPasswordException"):
			return Tokens{}, fmt.Errorf("sign in %s: %w (%v)", email, ErrPasswordPolicy, err)
		case apiError(err, "CodeMismatchException", "ExpiredCodeException"):
			return Tokens{}, fmt.Errorf("sign in %s: %w (%v)", email, ErrCodeMismatch, err)
		case err != nil:
			return Tokens{}, fmt.Errorf("sign in %s: answer %s: %w", email, challenge, err)
		}
		result, challenge, session = r.AuthenticationResult, r.ChallengeName, r.Session
	}
	return Tokens{}, fmt.Errorf("sign in %s: too many challenges", email)
}

// apiError reports whether err is a service error with one of the codes
// (by code: cognito-local's errors do not always decode to the SDK's types).
func apiError(err error, codes ...string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && slices.Contains(codes, ae.ErrorCode())
}
