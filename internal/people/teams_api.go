package people

import (
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
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
	page, err := d.teams().Teams(r.Context(), p.Table, p.TenantID, req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, page)
}

func (d Deps) createTeam(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in TeamInput
	if err := httpapi.DecodeJSON(r, &in, 0); err != nil {
		return err
	}
	now := d.Now().UTC()
	t := Team{ID: newTeamID(), TenantID: p.TenantID, CreatedAt: now, UpdatedAt: now}
	if err := in.Apply(&t, true); err != nil {
		return err
	}
	if t, err = d.teams().Put(r.Context(), p.Table, t); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, t)
}

func (d Deps) getTeam(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	t, err := d.teams().GetTeam(r.Context(), p.Table, p.TenantID, r.PathValue("teamId"))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, t)
}

// updateTeam renames or re-describes a team (merge: absent fields stay).
func (d Deps) updateTeam(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in TeamInput
	if err := httpapi.DecodeJSON(r, &in, 0); err != nil {
		return err
	}
	t, err := d.teams().GetTeam(r.Context(), p.Table, p.TenantID, r.PathValue("teamId"))
	if err != nil {
		return err
	}
	if err := in.Apply(&t, false); err != nil {
		return err
	}
	t.UpdatedAt = d.Now().UTC()
	if t, err = d.teams().Put(r.Context(), p.Table, t); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, t)
}

func (d Deps) deleteTeam(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	if err := d.teams().DeleteTeam(r.Context(), p.Table, p.TenantID, r.PathValue("teamId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
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
	id := r.PathValue("teamId")
	if _, err := d.teams().GetTeam(r.Context(), p.Table, p.TenantID, id); err != nil {
		return err
	}
	page, err := d.teams().Members(r.Context(), p.Table, p.TenantID, id, req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, page)
}

// addTeamMember is idempotent (PUT): the user must be of the same tenant.
func (d Deps) addTeamMember(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	m := Member{TeamID: r.PathValue("teamId"), UserID: r.PathValue("userId"), AddedAt: d.Now().UTC(), AddedBy: p.UserID}
	if err := d.teams().AddMember(r.Context(), p.Table, p.TenantID, m); err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, m)
}

func (d Deps) removeTeamMember(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	if err := d.teams().RemoveMember(r.Context(), p.Table, p.TenantID, r.PathValue("teamId"), r.PathValue("userId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
