package peopleapi

import (
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/people"
)

func (d Deps) listTeams(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := d.Service.ListTeams(r.Context(), p, req)
	return page(w, pg, err)
}

func (d Deps) createTeam(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in people.TeamInput
	if err := httpapi.DecodeJSON(r, &in, 0); err != nil {
		return err
	}
	t, err := d.Service.CreateTeam(r.Context(), p, in)
	return answer(w, http.StatusCreated, t, err)
}

func (d Deps) getTeam(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	t, err := d.Service.GetTeam(r.Context(), p, r.PathValue("teamId"))
	return answer(w, http.StatusOK, t, err)
}

func (d Deps) updateTeam(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in people.TeamInput
	if err := httpapi.DecodeJSON(r, &in, 0); err != nil {
		return err
	}
	t, err := d.Service.UpdateTeam(r.Context(), p, r.PathValue("teamId"), in)
	return answer(w, http.StatusOK, t, err)
}

func (d Deps) deleteTeam(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	return noContent(w, d.Service.DeleteTeam(r.Context(), p, r.PathValue("teamId")))
}

func (d Deps) listTeamMembers(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := d.Service.Members(r.Context(), p, r.PathValue("teamId"), req)
	return page(w, pg, err)
}

// addTeamMember is idempotent (PUT): the user must be of the same tenant.
func (d Deps) addTeamMember(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	m, err := d.Service.AddMember(r.Context(), p, r.PathValue("teamId"), r.PathValue("userId"))
	return answer(w, http.StatusOK, m, err)
}

func (d Deps) removeTeamMember(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	return noContent(w, d.Service.RemoveMember(r.Context(), p, r.PathValue("teamId"), r.PathValue("userId")))
}
