package identity

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// ErrOtherTenant is returned by Invite when the email already belongs to a
// user of another tenant in the same (shared) pool.
var ErrOtherTenant = errors.New("the email belongs to a user of another tenant")

// Invite creates the user with the tenant and role attributes and lets
// Cognito email the invitation (a temporary password). It is idempotent: a
// user that already exists in the same tenant is returned as is (no second
// message), so a half-done invitation can be retried.
func (p Pools) Invite(ctx context.Context, poolID string, u UserSpec) (string, error) {
	attrs := []types.AttributeType{
		{Name: aws.String("email"), Value: aws.String(u.Email)},
		{Name: aws.String("email_verified"), Value: aws.String("true")},
		{Name: aws.String("custom:" + AttrTenant), Value: aws.String(u.TenantID)},
		{Name: aws.String("custom:" + AttrRole), Value: aws.String(u.Role)},
		{Name: aws.String("custom:" + AttrTier), Value: aws.String(u.Tier)},
	}
	_, err := p.C.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(poolID), Username: aws.String(u.Email), UserAttributes: attrs,
		DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
	})
	var exists *types.UsernameExistsException
	if err != nil && !errors.As(err, &exists) {
		return "", fmt.Errorf("invite %s: %w", u.Email, err)
	}
	got, err := p.C.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(u.Email)})
	if err != nil {
		return "", fmt.Errorf("get invited user %s: %w", u.Email, err)
	}
	a := attrMap(got.UserAttributes)
	if a["custom:"+AttrTenant] != u.TenantID {
		return "", ErrOtherTenant
	}
	if a["sub"] == "" {
		return "", fmt.Errorf("user %s has no sub", u.Email)
	}
	return a["sub"], nil
}

// SetRole records the role on the Cognito user (informational: the user
// directory is what the authorizer trusts).
func (p Pools) SetRole(ctx context.Context, poolID, username, role string) error {
	_, err := p.C.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{
		UserPoolId: aws.String(poolID), Username: aws.String(username),
		UserAttributes: []types.AttributeType{{Name: aws.String("custom:" + AttrRole), Value: aws.String(role)}},
	})
	if err != nil {
		return fmt.Errorf("set role of %s: %w", username, err)
	}
	return nil
}

// SetEnabled enables or disables sign-in of the user.
func (p Pools) SetEnabled(ctx context.Context, poolID, username string, enabled bool) error {
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

// MFAState is a user's MFA as Cognito holds it.
type MFAState struct {
	Methods   []string // SOFTWARE_TOKEN_MFA, SMS_MFA
	Preferred string
}

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

// ErrCodeMismatch is a wrong or expired one-time code.
var ErrCodeMismatch = errors.New("the code does not match")

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
	v := url.Values{"secret": {secret}, "issuer": {issuer}}
	return "otpauth://totp/" + url.PathEscape(issuer+":"+account) + "?" + v.Encode()
}

// SignIn signs a user in with USER_PASSWORD_AUTH and answers the challenges
// a person would: a new password for an invited user (newPassword) and a
// TOTP code (totp, called when asked). For tests, the CLI and tools.
func (p Pools) SignIn(ctx context.Context, clientID, email, password, newPassword string, totp func() string) (Tokens, error) {
	out, err := p.C.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	if err != nil {
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
			if newPassword == "" {
				return Tokens{}, fmt.Errorf("sign in %s: a new password is required", email)
			}
			answers["NEW_PASSWORD"] = newPassword
		case types.ChallengeNameTypeSoftwareTokenMfa:
			if totp == nil {
				return Tokens{}, fmt.Errorf("sign in %s: a TOTP code is required", email)
			}
			answers["SOFTWARE_TOKEN_MFA_CODE"] = totp()
		default:
			return Tokens{}, fmt.Errorf("sign in %s: unsupported challenge %s", email, challenge)
		}
		r, err := p.C.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
			ChallengeName: challenge, Session: session, ChallengeResponses: answers})
		if err != nil {
			return Tokens{}, fmt.Errorf("sign in %s: answer %s: %w", email, challenge, err)
		}
		result, challenge, session = r.AuthenticationResult, r.ChallengeName, r.Session
	}
	return Tokens{}, fmt.Errorf("sign in %s: too many challenges", email)
}

func attrMap(as []types.AttributeType) map[string]string {
	m := make(map[string]string, len(as))
	for _, a := range as {
		m[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	return m
}
