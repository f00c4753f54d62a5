package peopleapi

import (
	"context"
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

func (d Deps) listTeams(w http.ResponseWriter, r *http.Request) error {
	return listFor(w, r, d.Service.ListTeams)
}

func (d Deps) createTeam(w http.ResponseWriter, r *http.Request) error {
	return decodeFor(w, r, http.StatusCreated, d.Service.CreateTeam)
}

func (d Deps) getTeam(w http.ResponseWriter, r *http.Request) error {
	return callFor(w, r, http.StatusOK, func(ctx context.Context, p tenancy.Principal) (people.Team, error) {
		return d.Service.GetTeam(ctx, p, r.PathValue("teamId"))
	})
}

// updateTeam renames or re-describes a team (merge: absent fields stay).
// updateTeam and deleteTeam honour If-Match (the team's version).
func (d Deps) updateTeam(w http.ResponseWriter, r *http.Request) error {
	want, err := httpapi.IfMatch(r)
	if err != nil {
		return err
	}
	return decodeFor(w, r, http.StatusOK, func(ctx context.Context, p tenancy.Principal, in people.TeamInput) (people.Team, error) {
		return d.Service.UpdateTeam(ctx, p, r.PathValue("teamId"), want, in)
	})
}

func (d Deps) deleteTeam(w http.ResponseWriter, r *http.Request) error {
	want, err := httpapi.IfMatch(r)
	if err != nil {
		return err
	}
	return doFor(w, r, func(ctx context.Context, p tenancy.Principal) error {
		return d.Service.DeleteTeam(ctx, p, r.PathValue("teamId"), want)
	})
}

func (d Deps) listTeamMembers(w http.ResponseWriter, r *http.Request) error {
	return listFor(w, r, func(ctx context.Context, p tenancy.Principal, req list.Request) (list.Page[people.Member], error) {
		return d.Service.Members(ctx, p, r.PathValue("teamId"), req)
	})
}

// addTeamMember is idempotent (PUT): the user must be of the same tenant.
func (d Deps) addTeamMember(w http.ResponseWriter, r *http.Request) error {
	return callFor(w, r, http.StatusOK, func(ctx context.Context, p tenancy.Principal) (people.Member, error) {
		return d.Service.AddMember(ctx, p, r.PathValue("teamId"), r.PathValue("userId"))
	})
}

func (d Deps) removeTeamMember(w http.ResponseWriter, r *http.Request) error {
	return doFor(w, r, func(ctx context.Context, p tenancy.Principal) error {
		return d.Service.RemoveMember(ctx, p, r.PathValue("teamId"), r.PathValue("userId"))
	})
}
