package people

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/identity"
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

func (d Deps) getMyMFA(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	st, err := d.users().Settings(r.Context(), p.Table, p.TenantID)
	if err != nil {
		return err
	}
	var state identity.MFAState
	if err := d.syncIdentity(r.Context(), p, func(pool string) error {
		state, err = d.Identity.MFA(r.Context(), pool, p.UserID)
		return err
	}); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, MFAStatus{Required: MFAEnforced(st, p.Tier),
		Enabled: slices.Contains(state.Methods, "SOFTWARE_TOKEN_MFA") || slices.Contains(state.Methods, "SMS_MFA"),
		Methods: append([]string{}, state.Methods...), SessionAccepted: p.MFA != tenancy.MFAMissing})
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

func (d Deps) associateTOTP(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in struct {
		AccessToken string `json:"access_token"`
	}
	if err := httpapi.DecodeJSON(r, &in, 0); err != nil {
		return err
	}
	if err := accessToken(p, in.AccessToken); err != nil {
		return err
	}
	secret, err := d.Identity.AssociateTOTP(r.Context(), in.AccessToken)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, TOTPSetup{SecretCode: secret, OTPAuthURI: identity.OTPAuthURI("IssueTracker", p.Email, secret)})
}

func (d Deps) verifyTOTP(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in struct {
		AccessToken string `json:"access_token"`
		Code        string `json:"code"`
		DeviceName  string `json:"device_name"`
	}
	if err := httpapi.DecodeJSON(r, &in, 0); err != nil {
		return err
	}
	if err := text.Clean("device_name", &in.DeviceName, text.Line); err != nil {
		return err
	}
	if err := accessToken(p, in.AccessToken); err != nil {
		return err
	}
	if len(in.Code) != 6 || strings.Trim(in.Code, "0123456789") != "" {
		return errs.Field("code", "must be the 6-digit code your authenticator shows")
	}
	err = d.Identity.VerifyTOTP(r.Context(), in.AccessToken, in.Code, in.DeviceName)
	if errors.Is(err, identity.ErrCodeMismatch) {
		return errs.Invalid("mfa_code_mismatch", "the code does not match: check the authenticator's clock and try the next code", errs.FieldError{Field: "code", Reason: "mismatch"})
	}
	if err != nil {
		return err
	}
	// Sessions count as MFA from the next whole second: sign-in times are
	// whole seconds, and this session signed in without MFA.
	at := d.Now().UTC().Truncate(time.Second).Add(time.Second)
	if err := d.users().SetMFAEnabled(r.Context(), p.Table, p.TenantID, p.UserID, at); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, TOTPEnabled{Enabled: true, Methods: []string{"SOFTWARE_TOKEN_MFA"}, SignInAgain: true})
}

// TOTPEnabled answers a verified TOTP set-up.
type TOTPEnabled struct {
	Enabled     bool     `json:"enabled"`
	Methods     []string `json:"methods"`
	SignInAgain bool     `json:"sign_in_again"`
}

// TOTPInput is the body of the TOTP set-up routes (the code and device
// name only when verifying).
type TOTPInput struct {
	AccessToken string `json:"access_token"`
	Code        string `json:"code,omitempty"`
	DeviceName  string `json:"device_name,omitempty"`
}

// SecuritySettings is the Super Admin's view of the MFA requirement.
// SecurityInput is the body of PUT /v1/settings/security.
type SecurityInput struct {
	MFARequired *bool `json:"mfa_required"`
}

type SecuritySettings struct {
	MFARequired  bool `json:"mfa_required"`
	MFAAvailable bool `json:"mfa_enforcement_available"`
}

func (d Deps) getSecuritySettings(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	st, err := d.users().Settings(r.Context(), p.Table, p.TenantID)
	if err != nil {
		return err
	}
	t, _ := tiers.Get(p.Tier)
	return httpapi.WriteJSON(w, http.StatusOK, SecuritySettings{MFARequired: MFAEnforced(st, p.Tier), MFAAvailable: t.Has(tiers.FeatureMFAEnforcement)})
}

func (d Deps) putSecuritySettings(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in SecurityInput
	if err := httpapi.DecodeJSON(r, &in, 0); err != nil {
		return err
	}
	if in.MFARequired == nil {
		return errs.Field("mfa_required", "is required")
	}
	t, _ := tiers.Get(p.Tier)
	if *in.MFARequired && !t.Has(tiers.FeatureMFAEnforcement) {
		return errs.E(errs.KindForbidden, "feature_not_in_tier", "the %s plan cannot require MFA: upgrade to Premium or Platinum", t.DisplayName)
	}
	st, err := d.users().Settings(r.Context(), p.Table, p.TenantID)
	if err != nil {
		return err
	}
	st.MFARequired = *in.MFARequired
	if err := d.users().PutSettings(r.Context(), p.Table, p.TenantID, st); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, SecuritySettings{MFARequired: st.MFARequired, MFAAvailable: t.Has(tiers.FeatureMFAEnforcement)})
}
