package people

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Deps of the people operations.
type Deps struct {
	DB        *dynamodb.Client
	Tenants   tenant.Registry
	Directory Directory
}

// Operations of the users function.
func Operations(d Deps) httpapi.Operations {
	return httpapi.Operations{"getMe": d.getMe, "getRootMe": getRootMe}
}

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
	u, err := d.Directory.Get(r.Context(), p.Table, p.TenantID, p.UserID)
	if err != nil && !errs.Is(err, errs.KindNotFound) {
		return err
	}
	me := Me{
		User:   MeUser{ID: p.UserID, Username: p.Username, Email: p.Email, DisplayName: u.DisplayName, Role: string(p.Role)},
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
	return httpapi.WriteJSON(w, http.StatusOK, map[string]any{
		"user": MeUser{ID: p.UserID, Username: p.Username, Email: p.Email, Role: string(p.Role)},
	})
}
