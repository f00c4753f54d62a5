// Package peopleapi serves the people domain over HTTP: /v1/me, users,
// teams, MFA, security settings and support access, and Root's support view
// of a tenant's directory. Handlers decode, call people.Service and encode;
// operations are keyed by the route table's OperationID (internal/routes).
package peopleapi

import (
	"context"
	"maps"
	"net/http"
	"time"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
)

// Deps of the people operations.
type Deps struct {
	Service *people.Service
	// Audit records the Super Admin's changes; nil records nothing.
	Audit audit.Log
	Now   func() time.Time
}

// Operations of the users and teams functions and the tenants
// function's getRootMe (the in-process platform serves them all).
func Operations(d Deps) httpapi.Operations {
	all := UsersOperations(d)
	maps.Copy(all, TeamsOperations(d))
	rs, _ := d.Service.Tenants.(tenant.RootSessions)
	maps.Copy(all, RootMeOperations(rs))
	return all
}

// UsersOperations are the users function's (without the audit log's,
// auditapi). Each function builds only its own: a function links every
// operation its map names (issue 19).
func UsersOperations(d Deps) httpapi.Operations {
	if d.Now == nil {
		d.Now = time.Now
	}
	return d.withAudit(httpapi.Operations{
		"getMe": d.getMe, "signOut": d.signOut,
		"listUsers": d.listUsers, "getUser": d.getUser, "inviteUser": d.inviteUser,
		"changeUserRole": d.changeUserRole, "disableUser": d.disableUser, "enableUser": d.enableUser,
		"removeUser": d.removeUser, "listUserTeams": d.listUserTeams,
		"getMyMFA": d.getMyMFA, "associateTOTP": d.associateTOTP, "verifyTOTP": d.verifyTOTP,
		"getSecuritySettings": d.getSecuritySettings, "putSecuritySettings": d.putSecuritySettings,
		"getSupportAccess": d.getSupportAccess, "grantSupportAccess": d.putSupportAccess, "revokeSupportAccess": d.deleteSupportAccess,
		"rootListTenantUsers": d.rootListUsers, "rootGetTenantUser": d.rootGetUser, "rootGetSupportAccess": d.rootGetSupportAccess,
	})
}

// TeamsOperations are the teams function's: teams and membership (no
// Cognito call: the function does not link the client).
func TeamsOperations(d Deps) httpapi.Operations {
	if d.Now == nil {
		d.Now = time.Now
	}
	return d.withAudit(httpapi.Operations{
		"listTeams": d.listTeams, "createTeam": d.createTeam, "getTeam": d.getTeam, "updateTeam": d.updateTeam,
		"deleteTeam": d.deleteTeam, "listTeamMembers": d.listTeamMembers, "addTeamMember": d.addTeamMember,
		"removeTeamMember": d.removeTeamMember,
	})
}

// RootMeOperations are the tenants function's getRootMe and signOutRoot
// (rs: the registry, which keeps when Root's sessions ended).
func RootMeOperations(rs tenant.RootSessions) httpapi.Operations {
	return httpapi.Operations{"getRootMe": getRootMe, "signOutRoot": func(w http.ResponseWriter, r *http.Request) error {
		p, err := httpapi.CallerPrincipal(r)
		if err != nil {
			return err
		}
		if err := people.SignOutRoot(r.Context(), rs, p, time.Now()); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}}
}

func (d Deps) getMe(w http.ResponseWriter, r *http.Request) error {
	return callFor(w, r, http.StatusOK, d.Service.Me)
}

// signOut ends the caller's sessions (people.Service.SignOut): 204.
func (d Deps) signOut(w http.ResponseWriter, r *http.Request) error {
	return doFor(w, r, d.Service.SignOut)
}

// getRootMe answers a provider (root) user with who they are.
func getRootMe(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, people.RootMeOf(p))
}

// listFor answers a page that fetch lists for the caller.
func listFor[T any](w http.ResponseWriter, r *http.Request, fetch func(context.Context, tenancy.Principal, list.Request) (list.Page[T], error)) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := fetch(r.Context(), p, req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, pg)
}

// callFor answers with status what call returns for the caller.
func callFor[T any](w http.ResponseWriter, r *http.Request, status int, call func(context.Context, tenancy.Principal) (T, error)) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	v, err := call(r.Context(), p)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, status, v)
}

// decodeFor decodes the body into a new In, then answers like callFor.
func decodeFor[In, T any](w http.ResponseWriter, r *http.Request, status int, call func(context.Context, tenancy.Principal, In) (T, error)) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in In
	if err := httpapi.DecodeJSON(r, &in, 0); err != nil {
		return err
	}
	v, err := call(r.Context(), p, in)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, status, v)
}

// doFor answers 204 when do succeeds for the caller.
func doFor(w http.ResponseWriter, r *http.Request, do func(context.Context, tenancy.Principal) error) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	if err := do(r.Context(), p); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
