package peopleapi

import (
	"context"
	"net/http"

	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// roleChange is the body of PUT /v1/users/{userId}/role.
type roleChange struct {
	Role string `json:"role"`
}

func (d Deps) listUsers(w http.ResponseWriter, r *http.Request) error {
	return listFor(w, r, d.Service.ListUsers)
}

func (d Deps) getUser(w http.ResponseWriter, r *http.Request) error {
	return callFor(w, r, http.StatusOK, func(ctx context.Context, p tenancy.Principal) (people.User, error) {
		return d.Service.GetUser(ctx, p, r.PathValue("userId"))
	})
}

func (d Deps) inviteUser(w http.ResponseWriter, r *http.Request) error {
	return decodeFor(w, r, http.StatusCreated, d.Service.Invite)
}

// changeUserRole, disableUser and enableUser honour If-Match (the user's
// version).
func (d Deps) changeUserRole(w http.ResponseWriter, r *http.Request) error {
	want, err := httpapi.IfMatch(r)
	if err != nil {
		return err
	}
	return decodeFor(w, r, http.StatusOK, func(ctx context.Context, p tenancy.Principal, in roleChange) (people.User, error) {
		return d.Service.ChangeRole(ctx, p, r.PathValue("userId"), want, in.Role)
	})
}

func (d Deps) setEnabled(w http.ResponseWriter, r *http.Request, enabled bool) error {
	want, err := httpapi.IfMatch(r)
	if err != nil {
		return err
	}
	return callFor(w, r, http.StatusOK, func(ctx context.Context, p tenancy.Principal) (people.User, error) {
		return d.Service.SetEnabled(ctx, p, r.PathValue("userId"), want, enabled)
	})
}

func (d Deps) disableUser(w http.ResponseWriter, r *http.Request) error {
	return d.setEnabled(w, r, false)
}

func (d Deps) enableUser(w http.ResponseWriter, r *http.Request) error {
	return d.setEnabled(w, r, true)
}

// removeUser honours If-Match: the user's version when the removal starts
// (a retry of an interrupted removal with the same header completes it).
func (d Deps) removeUser(w http.ResponseWriter, r *http.Request) error {
	want, err := httpapi.IfMatch(r)
	if err != nil {
		return err
	}
	return doFor(w, r, func(ctx context.Context, p tenancy.Principal) error {
		return d.Service.Remove(ctx, p, r.PathValue("userId"), want)
	})
}

func (d Deps) listUserTeams(w http.ResponseWriter, r *http.Request) error {
	return listFor(w, r, func(ctx context.Context, p tenancy.Principal, req list.Request) (list.Page[people.Member], error) {
		return d.Service.UserTeams(ctx, p, r.PathValue("userId"), req)
	})
}
