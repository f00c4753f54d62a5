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

type user struct {
	attrs  map[string]string
	status types.UserStatusType
}

// owned reads a user and checks that it belongs to tenantID ("" for the
// provider pool, whose users have no tenant). It is the guard every write
// to an existing user goes through.
func (p Pools) owned(ctx context.Context, poolID, tenantID, username string) (user, error) {
	got, err := p.C.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(username)})
	var nf *types.UserNotFoundException
	if errors.As(err, &nf) {
		return user{}, ErrUserNotFound
	}
	if err != nil {
		return user{}, fmt.Errorf("get user %s: %w", username, err)
	}
	u := user{attrs: attrMap(got.UserAttributes), status: got.UserStatus}
	if u.attrs["custom:"+AttrTenant] != tenantID {
		return user{}, ErrOtherTenant
	}
	return u, nil
}

// TenantOf returns the tenant of the user username (custom:tenant_id);
// found is false when the pool has no such user. It reads, never writes.
func (p Pools) TenantOf(ctx context.Context, poolID, username string) (string, bool, error) {
	got, err := p.C.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(username)})
	var nf *types.UserNotFoundException
	if errors.As(err, &nf) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("get user %s: %w", username, err)
	}
	return attrMap(got.UserAttributes)["custom:"+AttrTenant], true, nil
}

// Invited is a user who can sign in for the first time (identity.Invited).
type Invited = identity.Invited

// Invite creates the user with the tenant and role attributes and a
// temporary password of its own, without any message from Cognito: the
// platform mails the invitation (package mail). It is idempotent: for a
// user of the same tenant who has not signed in yet, it sets a new
// temporary password (so a failed invitation mail can be sent again); a
// user of another tenant is ErrOtherTenant and is not touched.
func (p Pools) Invite(ctx context.Context, poolID string, u UserSpec) (Invited, error) {
	pw, err := TemporaryPassword()
	if err != nil {
		return Invited{}, err
	}
	out, err := p.C.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(poolID), Username: aws.String(u.Email), UserAttributes: attributes(u),
		TemporaryPassword: aws.String(pw), MessageAction: types.MessageActionTypeSuppress,
	})
	var exists *types.UsernameExistsException
	created := err == nil
	switch {
	case created:
		if sub := attrMap(out.User.Attributes)["sub"]; sub != "" {
			return Invited{Sub: sub, TemporaryPassword: pw}, nil
		}
	case !errors.As(err, &exists):
		return Invited{}, fmt.Errorf("invite %s: %w", u.Email, err)
	}
	cur, err := p.owned(ctx, poolID, u.TenantID, u.Email)
	if err != nil {
		return Invited{}, err
	}
	sub := cur.attrs["sub"]
	if sub == "" {
		return Invited{}, fmt.Errorf("user %s has no sub", u.Email)
	}
	if created { // the answer lacked the sub
		return Invited{Sub: sub, TemporaryPassword: pw}, nil
	}
	if cur.status != types.UserStatusTypeForceChangePassword {
		return Invited{Sub: sub}, nil
	}
	if _, err := p.C.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID),
		Username: aws.String(u.Email), Password: aws.String(pw), Permanent: false}); err != nil {
		return Invited{}, fmt.Errorf("reset temporary password of %s: %w", u.Email, err)
	}
	return Invited{Sub: sub, TemporaryPassword: pw}, nil
}

// SetRole records the role on the tenant's Cognito user (informational:
// the user directory is what the authorizer trusts).
func (p Pools) SetRole(ctx context.Context, poolID, tenantID, username, role string) error {
	if _, err := p.owned(ctx, poolID, tenantID, username); err != nil {
		return fmt.Errorf("set role of %s: %w", username, err)
	}
	_, err := p.C.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
		UserPoolId: aws.String(poolID), Username: aws.String(username),
		UserAttributes: []types.AttributeType{{Name: aws.String("custom:" + AttrRole), Value: aws.String(role)}},
	})
	if err != nil {
		return fmt.Errorf("set role of %s: %w", username, err)
	}
	return nil
}

// SetEnabled enables or disables sign-in of the tenant's user.
func (p Pools) SetEnabled(ctx context.Context, poolID, tenantID, username string, enabled bool) error {
	if _, err := p.owned(ctx, poolID, tenantID, username); err != nil {
		return fmt.Errorf("set enabled=%v of %s: %w", enabled, username, err)
	}
	var err error
	if enabled {
		_, err = p.C.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: aws.String(poolID), Username: aws.String(username)})
	} else {
		_, err = p.C.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(poolID), Username: aws.String(username)})
	}
	if err != nil {
		return fmt.Errorf("set enabled=%v of %s: %w", enabled, username, err)
	}
	return nil
}

// DeleteUser removes a user of tenantID; an unknown user is not an error,
// a user of another tenant is ErrOtherTenant (and stays).
func (p Pools) DeleteUser(ctx context.Context, poolID, tenantID, username string) error {
	_, err := p.owned(ctx, poolID, tenantID, username)
	if errors.Is(err, ErrUserNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete user %s: %w", username, err)
	}
	_, err = p.C.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(poolID), Username: aws.String(username)})
	var nf *types.UserNotFoundException
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("delete user %s: %w", username, err)
	}
	return nil
}

// MFAState is a user's MFA as Cognito holds it (identity.MFAState).
type MFAState = identity.MFAState

// MFA reads the user's MFA methods.
func (p Pools) MFA(ctx context.Context, poolID, username string) (MFAState, error) {
	got, err := p.C.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(username)})
	if err != nil {
		return MFAState{}, fmt.Errorf("get user %s: %w", username, err)
	}
	return MFAState{Methods: got.UserMFASettingList, Preferred: aws.ToString(got.PreferredMfaSetting)}, nil
}

// MFAEnabled reports whether Cognito currently challenges the user's
// sign-ins for a second factor.
func (p Pools) MFAEnabled(ctx context.Context, poolID, username string) (bool, error) {
	st, err := p.MFA(ctx, poolID, username)
	return len(st.Methods) > 0, err
}

// AssociateTOTP starts TOTP set-up for the holder of accessToken and returns
// the shared secret (to show as a QR code of the otpauth URI).
func (p Pools) AssociateTOTP(ctx context.Context, accessToken string) (string, error) {
	out, err := p.C.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: aws.String(accessToken)})
	if err != nil {
		return "", fmt.Errorf("associate software token: %w", err)
	}
	return aws.ToString(out.SecretCode), nil
}

// VerifyTOTP checks a first code from the authenticator and makes TOTP the
// user's enabled, preferred MFA method.
func (p Pools) VerifyTOTP(ctx context.Context, accessToken, code, device string) error {
	in := &cip.VerifySoftwareTokenInput{AccessToken: aws.String(accessToken), UserCode: aws.String(code)}
	if device != "" {
		in.FriendlyDeviceName = aws.String(device)
	}
	out, err := p.C.VerifySoftwareToken(ctx, in)
	var mismatch *types.CodeMismatchException
	var invalid *types.EnableSoftwareTokenMFAException
	switch {
	case errors.As(err, &mismatch), errors.As(err, &invalid):
		return ErrCodeMismatch
	case err != nil:
		return fmt.Errorf("verify software token: %w", err)
	case out.Status != types.VerifySoftwareTokenResponseTypeSuccess:
		return ErrCodeMismatch
	}
	if _, err := p.C.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: aws.String(accessToken),
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
		return fmt.Errorf("set MFA preference: %w", err)
	}
	return nil
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

func attrMap(as []types.AttributeType) map[string]string {
	m := make(map[string]string, len(as))
	for _, a := range as {
		m[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	return m
}
