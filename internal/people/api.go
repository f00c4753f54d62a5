package people

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/identity"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Identity is what people needs of the user pools (identity.Pools).
type Identity interface {
	Invite(ctx context.Context, poolID string, u identity.UserSpec) (identity.Invited, error)
	SetRole(ctx context.Context, poolID, tenantID, username, role string) error
	SetEnabled(ctx context.Context, poolID, tenantID, username string, enabled bool) error
	DeleteUser(ctx context.Context, poolID, tenantID, username string) error
	MFA(ctx context.Context, poolID, username string) (identity.MFAState, error)
	AssociateTOTP(ctx context.Context, accessToken string) (string, error)
	VerifyTOTP(ctx context.Context, accessToken, code, device string) error
}

// Deps of the people operations.
type Deps struct {
	DB        *dynamodb.Client
	Tenants   tenant.Registry
	Directory Directory
	Identity  Identity
	// TenantPoolID is the shared pool of pooled tenants; Platinum tenants
	// name their own pool in the registry.
	TenantPoolID string
	Now          func() time.Time
	// Audit records the Super Admin's changes; nil records nothing.
	Audit audit.Log
	// Mail sends invitations (the platform's mailer); nil refuses them.
	Mail mail.Sender
	// WebBaseURL is the web app, for the sign-in link of invitations.
	WebBaseURL string
	// Cursors signs the cursors of the directory's lists.
	Cursors list.Codec
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

func (d Deps) users() UserDB { return UserDB{DB: d.DB, Cursors: d.Cursors} }
func (d Deps) teams() TeamDB { return TeamDB{UserDB: d.users()} }

// poolOf is the user pool of a tenant's people.
func (d Deps) poolOf(t tenant.Tenant) (string, error) {
	if t.UserPoolID != "" {
		return t.UserPoolID, nil
	}
	if d.TenantPoolID == "" {
		return "", errs.Internal(errMissingPool)
	}
	return d.TenantPoolID, nil
}

type constErr string

func (e constErr) Error() string { return string(e) }

const errMissingPool = constErr("no tenant user pool configured (" + envvars.TenantPoolID + ")")

// Me is the caller's view of themselves.
type Me struct {
	User   MeUser     `json:"user"`
	Tenant MeTenant   `json:"tenant"`
	Limits tiers.Tier `json:"limits"`
}

// MeUser is the caller.
type MeUser struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name,omitempty"`
	Role        string `json:"role"`
}

// MeTenant is the caller's tenant.
type MeTenant struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Tier     tiers.Name      `json:"tier"`
	Status   tenant.Status   `json:"status"`
	Branding tenant.Branding `json:"branding"`
}

func (d Deps) getMe(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	t, err := d.Tenants.Get(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	// One identity: the directory record, as /v1/users shows it (the
	// token's cognito:username is the sub in pools that sign in by email).
	u, err := d.Directory.Get(r.Context(), p.Table, p.TenantID, p.UserID)
	switch {
	case errs.Is(err, errs.KindNotFound): // only behind a stand-in authorizer: the real one requires the record
		u = User{ID: p.UserID, Username: p.Username, Email: p.Email}
	case err != nil:
		return err
	}
	me := Me{
		User:   MeUser{ID: u.ID, Username: u.Username, Email: u.Email, DisplayName: u.DisplayName, Role: string(p.Role)},
		Tenant: MeTenant{ID: t.ID, Name: t.Name, Tier: t.Tier, Status: t.Status, Branding: t.Branding},
		Limits: tiers.MustGet(t.Tier),
	}
	return httpapi.WriteJSON(w, http.StatusOK, me)
}

// getRootMe answers a provider (root) user with who they are.
func getRootMe(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, RootMe{User: MeUser{ID: p.UserID, Username: p.Username, Email: p.Email, Role: string(p.Role)}})
}

// RootMe is the calling provider (root) user.
type RootMe struct {
	User MeUser `json:"user"`
}
