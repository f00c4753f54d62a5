package peopleapi

import (
	"net/http"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
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

func (d Deps) getMyMFA(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	st, err := d.Service.MyMFA(r.Context(), p)
	return answer(w, http.StatusOK, st, err)
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
	setup, err := d.Service.AssociateTOTP(r.Context(), p, in.AccessToken)
	return answer(w, http.StatusOK, setup, err)
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
	on, err := d.Service.VerifyTOTP(r.Context(), p, in.AccessToken, in.Code, in.DeviceName)
	return answer(w, http.StatusOK, on, err)
}

func (d Deps) getSecuritySettings(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	st, err := d.Service.SecuritySettings(r.Context(), p)
	return answer(w, http.StatusOK, st, err)
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
	st, err := d.Service.SetMFARequired(r.Context(), p, *in.MFARequired)
	return answer(w, http.StatusOK, st, err)
}
