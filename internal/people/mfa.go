package people

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/cognito/identity"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/text"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// MFA model (docs/people.md): pools have MFA "optional" with TOTP (and SMS
// where the pool has an SMS role), so Cognito challenges every sign-in of a
// user who has MFA enabled. A tenant's requirement is a setting in its own
// table, not the pool's configuration (pooled tenants share a pool): the
// authorizer marks sessions that signed in before the user completed MFA
// set-up, and the guard lets them reach only the MFA set-up routes.

// MFAEnforced reports whether the tenant's users must use MFA: the setting
// is on and the tier includes MFA enforcement.
func MFAEnforced(s Settings, tier tiers.Name) bool {
	t, ok := tiers.Get(tier)
	return s.MFARequired && ok && t.Has(tiers.FeatureMFAEnforcement)
}

// MFAStatus is the caller's MFA.
type MFAStatus struct {
	Required bool     `json:"required"`
	Enabled  bool     `json:"enabled"`
	Methods  []string `json:"methods"`
	// SessionAccepted is false when the workspace requires MFA and this
	// session did not sign in with it: set up MFA, then sign in again.
	SessionAccepted bool `json:"session_accepted"`
}

// MyMFA is the caller's MFA: whether the workspace requires it, what the
// user pool has enabled for them, and whether this session counts.
func (s *Service) MyMFA(ctx context.Context, p tenancy.Principal) (MFAStatus, error) {
	st, err := s.Users.Settings(ctx, p.Scope())
	if err != nil {
		return MFAStatus{}, err
	}
	pool, err := s.callerPool(ctx, p)
	if err != nil {
		return MFAStatus{}, err
	}
	state, err := s.Identity.MFA(ctx, pool, p.UserID)
	if err != nil {
		return MFAStatus{}, err
	}
	return MFAStatus{Required: MFAEnforced(st, p.Tier),
		Enabled: slices.Contains(state.Methods, "SOFTWARE_TOKEN_MFA") || slices.Contains(state.Methods, "SMS_MFA"),
		Methods: append([]string{}, state.Methods...), SessionAccepted: p.MFA != tenancy.MFAMissing}, nil
}

// accessToken reads the caller's Cognito access token from the body: the
// TOTP calls act on the token holder, so it must be the caller's own.
func accessToken(p tenancy.Principal, tok string) error {
	parts := strings.Split(tok, ".")
	bad := errs.Field("access_token", "must be your own Cognito access token")
	if len(parts) != 3 {
		return bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return bad
	}
	var c struct {
		Sub      string `json:"sub"`
		TokenUse string `json:"token_use"`
	}
	if json.Unmarshal(raw, &c) != nil || c.Sub != p.UserID || c.TokenUse != "access" {
		return bad
	}
	return nil
}

// TOTPSetup is the secret to load into an authenticator app.
type TOTPSetup struct {
	SecretCode string `json:"secret_code"`
	OTPAuthURI string `json:"otpauth_uri"`
}

// AssociateTOTP starts TOTP set-up for the holder of accessToken, who must
// be the caller: the secret to load into an authenticator app.
func (s *Service) AssociateTOTP(ctx context.Context, p tenancy.Principal, token string) (TOTPSetup, error) {
	if err := accessToken(p, token); err != nil {
		return TOTPSetup{}, err
	}
	secret, err := s.Identity.AssociateTOTP(ctx, token)
	if err != nil {
		return TOTPSetup{}, err
	}
	return TOTPSetup{SecretCode: secret, OTPAuthURI: identity.OTPAuthURI("IssueTracker", p.Email, secret)}, nil
}

// MaxDeviceName bounds the authenticator's name a user gives (Cognito's
// FriendlyDeviceName documents no limit; 60,000 characters were accepted).
const MaxDeviceName = 128

// VerifyTOTP completes TOTP set-up with the authenticator's code; sessions
// signed in from then on count as MFA.
func (s *Service) VerifyTOTP(ctx context.Context, p tenancy.Principal, token, code, deviceName string) (TOTPEnabled, error) {
	if err := text.Clean("device_name", &deviceName, text.Line); err != nil {
		return TOTPEnabled{}, err
	}
	if utf8.RuneCountInString(deviceName) > MaxDeviceName {
		return TOTPEnabled{}, errs.Field("device_name", fmt.Sprintf("must be at most %d characters", MaxDeviceName))
	}
	if err := accessToken(p, token); err != nil {
		return TOTPEnabled{}, err
	}
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return TOTPEnabled{}, errs.Field("code", "must be the 6-digit code your authenticator shows")
	}
	err := s.Identity.VerifyTOTP(ctx, token, code, deviceName)
	if errors.Is(err, identity.ErrCodeMismatch) {
		return TOTPEnabled{}, errs.Invalid("mfa_code_mismatch", "the code does not match: check the authenticator's clock and try the next code", errs.FieldError{Field: "code", Reason: "mismatch"})
	}
	if err != nil {
		return TOTPEnabled{}, err
	}
	// Sessions count as MFA from the next whole second: sign-in times are
	// whole seconds, and this session signed in without MFA.
	at := s.now().Truncate(time.Second).Add(time.Second)
	if err := s.Users.SetMFAEnabled(ctx, p.Scope(), p.UserID, at); err != nil {
		return TOTPEnabled{}, err
	}
	return TOTPEnabled{Enabled: true, Methods: []string{"SOFTWARE_TOKEN_MFA"}, SignInAgain: true}, nil
}

// TOTPEnabled answers a verified TOTP set-up.
type TOTPEnabled struct {
	Enabled     bool     `json:"enabled"`
	Methods     []string `json:"methods"`
	SignInAgain bool     `json:"sign_in_again"`
}

// SecuritySettings is the Super Admin's view of the MFA requirement.
type SecuritySettings struct {
	MFARequired  bool `json:"mfa_required"`
	MFAAvailable bool `json:"mfa_enforcement_available"`
}

// SecuritySettings reads the caller's tenant's MFA requirement.
func (s *Service) SecuritySettings(ctx context.Context, p tenancy.Principal) (SecuritySettings, error) {
	st, err := s.Users.Settings(ctx, p.Scope())
	if err != nil {
		return SecuritySettings{}, err
	}
	t, _ := tiers.Get(p.Tier)
	return SecuritySettings{MFARequired: MFAEnforced(st, p.Tier), MFAAvailable: t.Has(tiers.FeatureMFAEnforcement)}, nil
}

// SetMFARequired turns the tenant's MFA requirement on or off (on only for
// tiers with MFA enforcement: forbidden feature_not_in_tier otherwise).
func (s *Service) SetMFARequired(ctx context.Context, p tenancy.Principal, required bool) (SecuritySettings, error) {
	t, _ := tiers.Get(p.Tier)
	if required && !t.Has(tiers.FeatureMFAEnforcement) {
		return SecuritySettings{}, errs.E(errs.KindForbidden, "feature_not_in_tier", "the %s plan cannot require MFA: upgrade to Premium or Platinum", t.DisplayName)
	}
	st, err := s.Users.Settings(ctx, p.Scope())
	if err != nil {
		return SecuritySettings{}, err
	}
	st.MFARequired = required
	if err := s.Users.PutSettings(ctx, p.Scope(), st); err != nil {
		return SecuritySettings{}, err
	}
	return SecuritySettings{MFARequired: st.MFARequired, MFAAvailable: t.Has(tiers.FeatureMFAEnforcement)}, nil
}
