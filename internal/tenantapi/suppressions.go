package tenantapi

import (
	"context"
	"net/http"
	netmail "net/mail"
	"time"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/mail"
)

// Suppressions is the platform's mail suppression list as Root manages it
// (maildb.Suppressions): the addresses SES reported as bouncing or
// complaining, which no platform mail reaches.
type Suppressions interface {
	// List is a page of the list, by address.
	List(ctx context.Context, req list.Request) (list.Page[mail.Suppression], error)
	// Lift takes an address off the list: mail_suppression_not_found when
	// it is not on it.
	Lift(ctx context.Context, address string) (mail.Suppression, error)
}

// PlatformAudit is the audit log (audit.Record.TenantID) of Root's actions
// on the platform itself rather than on a tenant; no tenant id can take it
// (tenant ids have no underscore).
const PlatformAudit = "_platform"

// ActionSuppressionLifted is the audited lift of a mail suppression.
const ActionSuppressionLifted = "mail.suppression_lifted"

func (d Deps) suppressions() (Suppressions, error) {
	if d.Suppressions == nil {
		return nil, errs.E(errs.KindUnavailable, "suppressions_unavailable", "the mail suppression list is not configured in this deployment")
	}
	return d.Suppressions, nil
}

func (d Deps) listSuppressions(w http.ResponseWriter, r *http.Request) error {
	s, err := d.suppressions()
	if err != nil {
		return err
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := s.List(r.Context(), req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, list.NewPage(pg.Items, pg.NextCursor))
}

// deleteSuppression lifts a suppression (the person fixed their mailbox,
// or the complaint was a mistake): the platform mails the address again.
// Audited with what the address was suppressed for.
func (d Deps) deleteSuppression(w http.ResponseWriter, r *http.Request) error {
	s, err := d.suppressions()
	if err != nil {
		return err
	}
	a, err := netmail.ParseAddress(r.PathValue("address"))
	if err != nil || a.Name != "" || len(a.Address) > 254 {
		return errs.Field("address", "must be one email address, such as ann@example.com")
	}
	sup, err := s.Lift(r.Context(), a.Address)
	if err != nil {
		return err
	}
	if d.Audit != nil {
		rec := audit.Record{TenantID: PlatformAudit, At: time.Now().UTC(), Actor: actor(r), Action: ActionSuppressionLifted,
			Detail: map[string]string{"address": sup.Address, "reason": sup.Reason, "suppressed_at": sup.At.UTC().Format(time.RFC3339)}}
		if err := d.Audit.Append(r.Context(), rec); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
