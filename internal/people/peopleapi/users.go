package peopleapi

import (
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/people"
)

func (d Deps) listUsers(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := d.Service.ListUsers(r.Context(), p, req)
	return page(w, pg, err)
}

func (d Deps) getUser(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	u, err := d.Service.GetUser(r.Context(), p, r.PathValue("userId"))
	return answer(w, http.StatusOK, u, err)
}

func (d Deps) inviteUser(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in people.Invitation
	if err := httpapi.DecodeJSON(r, &in, 0); err != nil {
		return err
	}
	u, err := d.Service.Invite(r.Context(), p, in)
	return answer(w, http.StatusCreated, u, err)
}

func (d Deps) changeUserRole(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in struct {
		Role string `json:"role"`
	}
	if err := httpapi.DecodeJSON(r, &in, 0); err != nil {
		return err
	}
	u, err := d.Service.ChangeRole(r.Context(), p, r.PathValue("userId"), in.Role)
	return answer(w, http.StatusOK, u, err)
}

func (d Deps) setEnabled(w http.ResponseWriter, r *http.Request, enabled bool) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	u, err := d.Service.SetEnabled(r.Context(), p, r.PathValue("userId"), enabled)
	return answer(w, http.StatusOK, u, err)
}

func (d Deps) disableUser(w http.ResponseWriter, r *http.Request) error {
	return d.setEnabled(w, r, false)
}

func (d Deps) enableUser(w http.ResponseWriter, r *http.Request) error {
	return d.setEnabled(w, r, true)
}

func (d Deps) removeUser(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	return noContent(w, d.Service.Remove(r.Context(), p, r.PathValue("userId")))
}

func (d Deps) listUserTeams(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := d.Service.UserTeams(r.Context(), p, r.PathValue("userId"), req)
	return page(w, pg, err)
}
