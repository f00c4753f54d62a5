// Package peopleapi serves the people domain over HTTP: /v1/me, users,
// teams, MFA, security settings and support access, and Root's support view
// of a tenant's directory. Handlers decode, call people.Service and encode;
// operations are keyed by the route table's OperationID (internal/routes).
package peopleapi

import (
	"net/http"
	"time"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/people"
)

// Deps of the people operations.
type Deps struct {
	Service *people.Service
	// Audit records the Super Admin's changes; nil records nothing.
	Audit audit.Log
	Now   func() time.Time
}

// Operations of the users and teams functions.
func Operations(d Deps) httpapi.Operations {
	if d.Now == nil {
		d.Now = time.Now
	}
	return d.withAudit(httpapi.Operations{
		"getMe": d.getMe, "getRootMe": getRootMe,
		"listUsers": d.listUsers, "getUser": d.getUser, "inviteUser": d.inviteUser,
		"changeUserRole": d.changeUserRole, "disableUser": d.disableUser, "enableUser": d.enableUser,
		"removeUser": d.removeUser, "listUserTeams": d.listUserTeams,
		"listTeams": d.listTeams, "createTeam": d.createTeam, "getTeam": d.getTeam, "updateTeam": d.updateTeam,
		"deleteTeam": d.deleteTeam, "listTeamMembers": d.listTeamMembers, "addTeamMember": d.addTeamMember,
		"removeTeamMember": d.removeTeamMember,
		"getMyMFA":         d.getMyMFA, "associateTOTP": d.associateTOTP, "verifyTOTP": d.verifyTOTP,
		"getSecuritySettings": d.getSecuritySettings, "putSecuritySettings": d.putSecuritySettings,
		"getSupportAccess": d.getSupportAccess, "grantSupportAccess": d.putSupportAccess, "revokeSupportAccess": d.deleteSupportAccess,
		"rootListTenantUsers": d.rootListUsers, "rootGetTenantUser": d.rootGetUser, "rootGetSupportAccess": d.rootGetSupportAccess,
	})
}

func (d Deps) getMe(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	me, err := d.Service.Me(r.Context(), p)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, me)
}

// getRootMe answers a provider (root) user with who they are.
func getRootMe(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, people.RootMeOf(p))
}

// page answers a list the service returned.
func page[T any](w http.ResponseWriter, pg list.Page[T], err error) error {
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, pg)
}

// answer writes v with status, or returns err.
func answer[T any](w http.ResponseWriter, status int, v T, err error) error {
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, status, v)
}

// noContent answers 204, or returns err.
func noContent(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
