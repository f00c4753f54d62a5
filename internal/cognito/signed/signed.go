// Package signed implements identity.Pools, what the functions do with the
// user pools, as hand-signed calls of Cognito's awsJson1.1 actions (the
// SDK's SigV4 signer, awsx/awsjson) instead of the SDK's Cognito client:
// the admin actions on one user (AdminGetUser, AdminCreateUser,
// AdminUpdateUserAttributes, AdminSetUserPassword, AdminEnableUser,
// AdminDisableUser, AdminDeleteUser) and the access-token actions of TOTP
// set-up (AssociateSoftwareToken, VerifySoftwareToken,
// SetUserMFAPreference; unsigned, as the SDK sends them). The client
// (aws-sdk-go-v2/service/cognitoidentityprovider) was ~200 KB of every
// function that manages users and its package initialisation ran at every
// cold start (issue 19, docs/performance.md).
//
// Package cognito's Pools (the SDK client, for the tools, the local
// deployer and the tests: pools, clients, sign-in) implements the same
// interface with this package, so every test of cognito.Pools against
// cognito-local runs these calls.
package signed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
	"github.com/issuetracker/issuetracker/internal/cognito/identity"
)

// Pools calls Cognito with Config: the region, the credentials, the HTTP
// client and, for cognito-local, BaseEndpoint.
type Pools struct {
	Config aws.Config
	// Now is the signing time; time.Now if nil.
	Now func() time.Time
}

var _ identity.Pools = Pools{}

// Service is Cognito's signing name and endpoint prefix (cognito-idp).
const Service = "cognito-idp"

// Target is the X-Amz-Target prefix of Cognito's actions.
const Target = "AWSCognitoIdentityProviderService."

// Attribute is a user attribute as Cognito's JSON carries it.
type Attribute struct {
	Name  string
	Value string
}

// userOut is AdminGetUser's answer (the fields used).
type userOut struct {
	UserAttributes      []Attribute
	UserStatus          string
	Enabled             bool
	UserMFASettingList  []string
	PreferredMfaSetting string
}

type userRef struct{ UserPoolId, Username string }

// call makes one signed action, retried as the SDK's standard retryer
// does (connections, throttling, 5xx).
func (p Pools) call(ctx context.Context, action string, in, out any) error {
	if out == nil {
		out = &struct{}{}
	}
	return awsjson.Retry(ctx, nil, retryable, func() error {
		return awsjson.Call(ctx, p.Config, Service, Target+action, in, out, p.Now)
	})
}

// anonymous makes one action the user's access token authorises.
func (p Pools) anonymous(ctx context.Context, action string, in, out any) error {
	if out == nil {
		out = &struct{}{}
	}
	return awsjson.Retry(ctx, nil, retryable, func() error {
		return awsjson.CallAnonymous(ctx, p.Config, Service, Target+action, in, out)
	})
}

func retryable(err error) bool {
	var e *awsjson.Error
	return errors.As(err, &e) && (e.Status >= 500 || e.Code == "TooManyRequestsException" || e.Code == "ThrottlingException" || e.Status == http.StatusTooManyRequests)
}

// Attributes are the attributes of a user to create or update.
func Attributes(u identity.UserSpec) []Attribute {
	attrs := []Attribute{{"email", u.Email}, {"email_verified", "true"}}
	for _, a := range [][2]string{{identity.AttrTenant, u.TenantID}, {identity.AttrRole, u.Role}, {identity.AttrTier, u.Tier}} {
		if a[1] != "" {
			attrs = append(attrs, Attribute{"custom:" + a[0], a[1]})
		}
	}
	return attrs
}

func attrMap(as []Attribute) map[string]string {
	m := make(map[string]string, len(as))
	for _, a := range as {
		m[a.Name] = a.Value
	}
	return m
}

type user struct {
	attrs  map[string]string
	status string
}

func (p Pools) get(ctx context.Context, poolID, username string) (userOut, error) {
	var out userOut
	err := p.call(ctx, "AdminGetUser", userRef{poolID, username}, &out)
	return out, err
}

// owned reads a user and checks that it belongs to tenantID ("" for the
// provider pool, whose users have no tenant). It is the guard every write
// to an existing user goes through.
func (p Pools) owned(ctx context.Context, poolID, tenantID, username string) (user, error) {
	got, err := p.get(ctx, poolID, username)
	if awsjson.IsCode(err, "UserNotFoundException") {
		return user{}, identity.ErrUserNotFound
	}
	if err != nil {
		return user{}, fmt.Errorf("get user %s: %w", username, err)
	}
	u := user{attrs: attrMap(got.UserAttributes), status: got.UserStatus}
	if u.attrs["custom:"+identity.AttrTenant] != tenantID {
		return user{}, identity.ErrOtherTenant
	}
	return u, nil
}

type createIn struct {
	UserPoolId, Username string
	UserAttributes       []Attribute
	MessageAction        string
	TemporaryPassword    string `json:",omitempty"`
}

type createOut struct {
	User struct{ Attributes []Attribute }
}

type passwordIn struct {
	UserPoolId, Username, Password string
	Permanent                      bool
}

type attributesIn struct {
	UserPoolId, Username string
	UserAttributes       []Attribute
}

// EnsureUser creates the user (Cognito sends no message) or, when it exists
// in the same tenant, brings its attributes up to date; sets a permanent
// password when given; returns its sub. A user of another tenant is never
// touched: ErrOtherTenant.
func (p Pools) EnsureUser(ctx context.Context, poolID string, u identity.UserSpec) (string, error) {
	attrs := Attributes(u)
	var out createOut
	err := p.call(ctx, "AdminCreateUser", createIn{UserPoolId: poolID, Username: u.Email, UserAttributes: attrs, MessageAction: "SUPPRESS"}, &out)
	sub := ""
	switch {
	case awsjson.IsCode(err, "UsernameExistsException"):
		cur, err := p.owned(ctx, poolID, u.TenantID, u.Email)
		if err != nil {
			return "", err
		}
		sub = cur.attrs["sub"]
		// custom:tenant_id is immutable in the deployed pools (and equal
		// here): only the other attributes are brought up to date.
		var mutable []Attribute
		for _, a := range attrs {
			if a.Name != "custom:"+identity.AttrTenant && cur.attrs[a.Name] != a.Value {
				mutable = append(mutable, a)
			}
		}
		if len(mutable) > 0 {
			if err := p.call(ctx, "AdminUpdateUserAttributes", attributesIn{poolID, u.Email, mutable}, nil); err != nil {
				return "", fmt.Errorf("update user %s: %w", u.Email, err)
			}
		}
	case err != nil:
		return "", fmt.Errorf("create user %s: %w", u.Email, err)
	default:
		sub = attrMap(out.User.Attributes)["sub"]
	}
	if u.Password != "" {
		if err := p.call(ctx, "AdminSetUserPassword", passwordIn{poolID, u.Email, u.Password, true}, nil); err != nil {
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

// TenantOf returns the tenant of the user username (custom:tenant_id);
// found is false when the pool has no such user. It reads, never writes.
func (p Pools) TenantOf(ctx context.Context, poolID, username string) (string, bool, error) {
	got, err := p.get(ctx, poolID, username)
	if awsjson.IsCode(err, "UserNotFoundException") {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("get user %s: %w", username, err)
	}
	return attrMap(got.UserAttributes)["custom:"+identity.AttrTenant], true, nil
}

// Invite creates the user with the tenant and role attributes and a
// temporary password of its own, without any message from Cognito: the
// platform mails the invitation (package mail). It is idempotent: for a
// user of the same tenant who has not signed in yet, it sets a new
// temporary password (so a failed invitation mail can be sent again); a
// user of another tenant is ErrOtherTenant and is not touched.
func (p Pools) Invite(ctx context.Context, poolID string, u identity.UserSpec) (identity.Invited, error) {
	pw, err := identity.TemporaryPassword()
	if err != nil {
		return identity.Invited{}, err
	}
	var out createOut
	err = p.call(ctx, "AdminCreateUser", createIn{UserPoolId: poolID, Username: u.Email, UserAttributes: Attributes(u),
		TemporaryPassword: pw, MessageAction: "SUPPRESS"}, &out)
	created := err == nil
	switch {
	case created:
		if sub := attrMap(out.User.Attributes)["sub"]; sub != "" {
			return identity.Invited{Sub: sub, TemporaryPassword: pw}, nil
		}
	case !awsjson.IsCode(err, "UsernameExistsException"):
		return identity.Invited{}, fmt.Errorf("invite %s: %w", u.Email, err)
	}
	cur, err := p.owned(ctx, poolID, u.TenantID, u.Email)
	if err != nil {
		return identity.Invited{}, err
	}
	sub := cur.attrs["sub"]
	if sub == "" {
		return identity.Invited{}, fmt.Errorf("user %s has no sub", u.Email)
	}
	if created { // the answer lacked the sub
		return identity.Invited{Sub: sub, TemporaryPassword: pw}, nil
	}
	if cur.status != "FORCE_CHANGE_PASSWORD" {
		return identity.Invited{Sub: sub}, nil
	}
	if err := p.call(ctx, "AdminSetUserPassword", passwordIn{poolID, u.Email, pw, false}, nil); err != nil {
		return identity.Invited{}, fmt.Errorf("reset temporary password of %s: %w", u.Email, err)
	}
	return identity.Invited{Sub: sub, TemporaryPassword: pw}, nil
}

// SetRole records the role on the tenant's Cognito user (informational:
// the user directory is what the authorizer trusts).
func (p Pools) SetRole(ctx context.Context, poolID, tenantID, username, role string) error {
	if _, err := p.owned(ctx, poolID, tenantID, username); err != nil {
		return fmt.Errorf("set role of %s: %w", username, err)
	}
	if err := p.call(ctx, "AdminUpdateUserAttributes", attributesIn{poolID, username, []Attribute{{"custom:" + identity.AttrRole, role}}}, nil); err != nil {
		return fmt.Errorf("set role of %s: %w", username, err)
	}
	return nil
}

// SetEnabled enables or disables sign-in of the tenant's user.
func (p Pools) SetEnabled(ctx context.Context, poolID, tenantID, username string, enabled bool) error {
	if _, err := p.owned(ctx, poolID, tenantID, username); err != nil {
		return fmt.Errorf("set enabled=%v of %s: %w", enabled, username, err)
	}
	action := "AdminDisableUser"
	if enabled {
		action = "AdminEnableUser"
	}
	if err := p.call(ctx, action, userRef{poolID, username}, nil); err != nil {
		return fmt.Errorf("set enabled=%v of %s: %w", enabled, username, err)
	}
	return nil
}

// DeleteUser removes a user of tenantID; an unknown user is not an error,
// a user of another tenant is ErrOtherTenant (and stays).
func (p Pools) DeleteUser(ctx context.Context, poolID, tenantID, username string) error {
	_, err := p.owned(ctx, poolID, tenantID, username)
	if errors.Is(err, identity.ErrUserNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete user %s: %w", username, err)
	}
	if err := p.call(ctx, "AdminDeleteUser", userRef{poolID, username}, nil); err != nil && !awsjson.IsCode(err, "UserNotFoundException") {
		return fmt.Errorf("delete user %s: %w", username, err)
	}
	return nil
}

// MFA reads the user's MFA methods.
func (p Pools) MFA(ctx context.Context, poolID, username string) (identity.MFAState, error) {
	got, err := p.get(ctx, poolID, username)
	if err != nil {
		return identity.MFAState{}, fmt.Errorf("get user %s: %w", username, err)
	}
	return identity.MFAState{Methods: got.UserMFASettingList, Preferred: got.PreferredMfaSetting}, nil
}

// UserEnabled reports whether the user may sign in (AdminGetUser's
// Enabled): false for a disabled user and for one the pool no longer holds.
func (p Pools) UserEnabled(ctx context.Context, poolID, username string) (bool, error) {
	got, err := p.get(ctx, poolID, username)
	if awsjson.IsCode(err, "UserNotFoundException") {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get user %s: %w", username, err)
	}
	return got.Enabled, nil
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
	var out struct{ SecretCode string }
	if err := p.anonymous(ctx, "AssociateSoftwareToken", struct{ AccessToken string }{accessToken}, &out); err != nil {
		return "", fmt.Errorf("associate software token: %w", err)
	}
	return out.SecretCode, nil
}

// VerifyTOTP checks a first code from the authenticator and makes TOTP the
// user's enabled, preferred MFA method.
func (p Pools) VerifyTOTP(ctx context.Context, accessToken, code, device string) error {
	in := struct {
		AccessToken, UserCode string
		FriendlyDeviceName    string `json:",omitempty"`
	}{accessToken, code, device}
	var out struct{ Status string }
	err := p.anonymous(ctx, "VerifySoftwareToken", in, &out)
	switch {
	case awsjson.IsCode(err, "CodeMismatchException", "EnableSoftwareTokenMFAException"):
		return identity.ErrCodeMismatch
	case err != nil:
		return fmt.Errorf("verify software token: %w", err)
	case out.Status != "SUCCESS":
		return identity.ErrCodeMismatch
	}
	type settings struct{ Enabled, PreferredMfa bool }
	pref := struct {
		AccessToken              string
		SoftwareTokenMfaSettings settings
	}{accessToken, settings{true, true}}
	if err := p.anonymous(ctx, "SetUserMFAPreference", pref, nil); err != nil {
		return fmt.Errorf("set MFA preference: %w", err)
	}
	return nil
}
