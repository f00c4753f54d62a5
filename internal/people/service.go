package people

import (
	"context"
	"time"

	"github.com/issuetracker/issuetracker/internal/cognito/identity"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
)

// Identity is what people needs of the user pools (cognito.Pools).
type Identity interface {
	Invite(ctx context.Context, poolID string, u identity.UserSpec) (identity.Invited, error)
	SetRole(ctx context.Context, poolID, tenantID, username, role string) error
	SetEnabled(ctx context.Context, poolID, tenantID, username string, enabled bool) error
	DeleteUser(ctx context.Context, poolID, tenantID, username string) error
	MFA(ctx context.Context, poolID, username string) (identity.MFAState, error)
	AssociateTOTP(ctx context.Context, accessToken string) (string, error)
	VerifyTOTP(ctx context.Context, accessToken, code, device string) error
}

// Service is what a tenant's people and the provider's support do with the
// directory, teams, MFA and support access. Every method acts for the
// verified caller p: the tenant and table come from p, never from input.
type Service struct {
	Users    UserStore
	Teams    TeamStore
	Tenants  Tenants
	Identity Identity
	// TenantPoolID is the shared pool of pooled tenants; Platinum tenants
	// name their own pool in the registry.
	TenantPoolID string
	// Mail sends invitations (the platform's mailer); nil refuses them.
	Mail mail.Sender
	// WebBaseURL is the web app, for the sign-in link of invitations.
	WebBaseURL string
	Now        func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// poolOf is the user pool of a tenant's people.
func (s *Service) poolOf(t tenant.Tenant) (string, error) {
	if t.UserPoolID != "" {
		return t.UserPoolID, nil
	}
	if s.TenantPoolID == "" {
		return "", errs.Internal(errMissingPool)
	}
	return s.TenantPoolID, nil
}

// callerPool is the user pool of the caller's tenant.
func (s *Service) callerPool(ctx context.Context, p tenancy.Principal) (string, error) {
	t, err := s.Tenants.Get(ctx, p.TenantID)
	if err != nil {
		return "", err
	}
	return s.poolOf(t)
}

type constErr string

func (e constErr) Error() string { return string(e) }

const errMissingPool = constErr("no tenant user pool configured (" + envvars.TenantPoolID + ")")
