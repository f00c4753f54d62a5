package peopleapi

import (
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
)

func (d Deps) getSupportAccess(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	v, err := d.Service.SupportAccess(r.Context(), p)
	return answer(w, http.StatusOK, v, err)
}

// putSupportAccess grants the provider's support access for some hours;
// deleteSupportAccess ends it at once.
func (d Deps) putSupportAccess(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Hours int `json:"hours"`
	}
	if err := httpapi.DecodeJSON(r, &in, 0); err != nil {
		return err
	}
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	v, err := d.Service.GrantSupportAccess(r.Context(), p, in.Hours)
	return answer(w, http.StatusOK, v, err)
}

func (d Deps) deleteSupportAccess(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	v, err := d.Service.RevokeSupportAccess(r.Context(), p)
	return answer(w, http.StatusOK, v, err)
}

func (d Deps) rootListUsers(w http.ResponseWriter, r *http.Request) error {
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := d.Service.SupportListUsers(r.Context(), r.PathValue("tenantId"), req)
	return page(w, pg, err)
}

func (d Deps) rootGetUser(w http.ResponseWriter, r *http.Request) error {
	u, err := d.Service.SupportGetUser(r.Context(), r.PathValue("tenantId"), r.PathValue("userId"))
	return answer(w, http.StatusOK, u, err)
}

func (d Deps) rootGetSupportAccess(w http.ResponseWriter, r *http.Request) error {
	v, err := d.Service.SupportGrant(r.Context(), r.PathValue("tenantId"))
	return answer(w, http.StatusOK, v, err)
}
