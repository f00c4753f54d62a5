package peopleapi

import (
	"context"
	"net/http"
	"time"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// supportGrant is the body of PUT /v1/settings/support-access.
type supportGrant struct {
	Hours int `json:"hours"`
}

func (d Deps) getSupportAccess(w http.ResponseWriter, r *http.Request) error {
	return callFor(w, r, http.StatusOK, d.Service.SupportAccess)
}

// putSupportAccess grants the provider's support access for some hours;
// deleteSupportAccess ends it at once.
func (d Deps) putSupportAccess(w http.ResponseWriter, r *http.Request) error {
	return decodeFor(w, r, http.StatusOK, func(ctx context.Context, p tenancy.Principal, in supportGrant) (people.SupportAccessView, error) {
		v, err := d.Service.GrantSupportAccess(ctx, p, in.Hours)
		if err == nil {
			addAuditDetail(ctx, "until", v.Until.UTC().Format(time.RFC3339))
			if !v.Renewed.IsZero() {
				addAuditDetail(ctx, "renewed_until", v.Renewed.UTC().Format(time.RFC3339))
			}
		}
		return v, err
	})
}

func (d Deps) deleteSupportAccess(w http.ResponseWriter, r *http.Request) error {
	return callFor(w, r, http.StatusOK, d.Service.RevokeSupportAccess)
}

func (d Deps) rootListUsers(w http.ResponseWriter, r *http.Request) error {
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := d.Service.SupportListUsers(r.Context(), r.PathValue("tenantId"), req)
	return answer(w, http.StatusOK, pg, err)
}

func (d Deps) rootGetUser(w http.ResponseWriter, r *http.Request) error {
	u, err := d.Service.SupportGetUser(r.Context(), r.PathValue("tenantId"), r.PathValue("userId"))
	return answer(w, http.StatusOK, u, err)
}

func (d Deps) rootGetSupportAccess(w http.ResponseWriter, r *http.Request) error {
	v, err := d.Service.SupportGrant(r.Context(), r.PathValue("tenantId"))
	return answer(w, http.StatusOK, v, err)
}

// answer writes v with status, or returns err.
func answer[T any](w http.ResponseWriter, status int, v T, err error) error {
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, status, v)
}
