package tenantapi

import (
	"context"
	"net/http"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/system"
)

// registrationOpen refuses a sign-up while Root has closed registration.
func (d Deps) registrationOpen(ctx context.Context) error {
	if d.Settings == nil {
		return nil
	}
	st, err := d.Settings.Get(ctx)
	if err != nil {
		return err
	}
	if !st.RegistrationOpen {
		return errs.E(errs.KindForbidden, "registration_closed", "sign-ups are closed for now; registrations already under way continue")
	}
	return nil
}

func (d Deps) settings() (system.Store, error) {
	if d.Settings == nil {
		return nil, errs.E(errs.KindUnavailable, "settings_unavailable", "system settings are not configured in this deployment")
	}
	return d.Settings, nil
}

func (d Deps) getSettings(w http.ResponseWriter, r *http.Request) error {
	s, err := d.settings()
	if err != nil {
		return err
	}
	st, err := s.Get(r.Context())
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, st)
}

// SettingsChange is the body of PUT /v1/admin/settings: every setting, sent whole.
type SettingsChange struct {
	RegistrationOpen *bool `json:"registration_open"`
}

func (d Deps) putSettings(w http.ResponseWriter, r *http.Request) error {
	s, err := d.settings()
	if err != nil {
		return err
	}
	var in SettingsChange
	if err := httpapi.DecodeJSON(r, &in, 1<<10); err != nil {
		return err
	}
	if in.RegistrationOpen == nil {
		return errs.Field("registration_open", "is required (true or false)")
	}
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	st := system.SystemSettings{RegistrationOpen: *in.RegistrationOpen, UpdatedBy: p.Email, UpdatedAt: time.Now().UTC()}
	if err := s.Put(r.Context(), st); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, st)
}

func (d Deps) getHealth(w http.ResponseWriter, r *http.Request) error {
	if d.Health == nil {
		return errs.E(errs.KindUnavailable, "health_unavailable", "platform health is not configured in this deployment")
	}
	rep, err := d.Health.Health(r.Context())
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, rep)
}
