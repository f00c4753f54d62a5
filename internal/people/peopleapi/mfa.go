package peopleapi

import (
	"context"
	"net/http"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// TOTPInput is the body of the TOTP set-up routes (the code and device
// name only when verifying).
type TOTPInput struct {
	AccessToken string `json:"access_token"`
	Code        string `json:"code,omitempty"`
	DeviceName  string `json:"device_name,omitempty"`
}

// SecurityInput is the body of PUT /v1/settings/security.
type SecurityInput struct {
	MFARequired *bool `json:"mfa_required"`
}

// totpAssociation is the body of POST /v1/me/mfa/totp.
type totpAssociation struct {
	AccessToken string `json:"access_token"`
}

// totpVerification is the body of POST /v1/me/mfa/totp/verify.
type totpVerification struct {
	AccessToken string `json:"access_token"`
	Code        string `json:"code"`
	DeviceName  string `json:"device_name"`
}

func (d Deps) getMyMFA(w http.ResponseWriter, r *http.Request) error {
	return callFor(w, r, http.StatusOK, d.Service.MyMFA)
}

func (d Deps) associateTOTP(w http.ResponseWriter, r *http.Request) error {
	return decodeFor(w, r, http.StatusOK, func(ctx context.Context, p tenancy.Principal, in totpAssociation) (people.TOTPSetup, error) {
		return d.Service.AssociateTOTP(ctx, p, in.AccessToken)
	})
}

func (d Deps) verifyTOTP(w http.ResponseWriter, r *http.Request) error {
	return decodeFor(w, r, http.StatusOK, func(ctx context.Context, p tenancy.Principal, in totpVerification) (people.TOTPEnabled, error) {
		return d.Service.VerifyTOTP(ctx, p, in.AccessToken, in.Code, in.DeviceName)
	})
}

func (d Deps) getSecuritySettings(w http.ResponseWriter, r *http.Request) error {
	return callFor(w, r, http.StatusOK, d.Service.SecuritySettings)
}

func (d Deps) putSecuritySettings(w http.ResponseWriter, r *http.Request) error {
	return decodeFor(w, r, http.StatusOK, func(ctx context.Context, p tenancy.Principal, in SecurityInput) (people.SecuritySettings, error) {
		if in.MFARequired == nil {
			return people.SecuritySettings{}, errs.Field("mfa_required", "is required")
		}
		return d.Service.SetMFARequired(ctx, p, *in.MFARequired)
	})
}
