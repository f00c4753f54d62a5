// Package tenancy carries the verified caller through a request: who they
// are, which tenant they act for, their role and tier. The authorizer builds
// a Principal from a verified token and the tenant registry; handlers read it
// back from the API Gateway authorizer context. The tenant id never comes
// from the path, the body or the query.
package tenancy

import (
	"fmt"

	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Principal is the verified caller.
type Principal struct {
	TenantID string     `json:"tenant_id,omitempty"` // empty for root
	UserID   string     `json:"user_id"`             // the token's sub
	Username string     `json:"username"`
	Email    string     `json:"email,omitempty"`
	Role     roles.Role `json:"role"`
	Tier     tiers.Name `json:"tier,omitempty"`
	// Table is the application table that holds the tenant's data: the
	// pooled table, or the tenant's own table for Platinum.
	Table string `json:"-"`
	// MFA is MFAMissing when the tenant requires MFA and this session was
	// not authenticated with it; empty otherwise (internal/people).
	MFA string `json:"mfa,omitempty"`
}

// MFAMissing marks a session that must set up or use MFA first.
const MFAMissing = "missing"

// IsRoot reports whether the caller is a provider (root) user.
func (p Principal) IsRoot() bool { return p.Role == roles.Root }

// Keys of the authorizer context. API Gateway passes only string, number and
// boolean values; we pass strings.
const (
	ctxTenant   = "tenantId"
	ctxUser     = "userId"
	ctxUsername = "username"
	ctxEmail    = "email"
	ctxRole     = "role"
	ctxTier     = "tier"
	ctxTable    = "table"
	ctxMFA      = "mfa"
)

// AuthorizerContext is the context map an authorizer returns for p.
func (p Principal) AuthorizerContext() map[string]any {
	return map[string]any{
		ctxTenant:   p.TenantID,
		ctxUser:     p.UserID,
		ctxUsername: p.Username,
		ctxEmail:    p.Email,
		ctxRole:     string(p.Role),
		ctxTier:     string(p.Tier),
		ctxTable:    p.Table,
		ctxMFA:      p.MFA,
	}
}

// FromAuthorizerContext reads a Principal from the context API Gateway
// hands to the function (requestContext.authorizer).
func FromAuthorizerContext(m map[string]any) (Principal, error) {
	str := func(k string) string {
		if v, ok := m[k].(string); ok {
			return v
		}
		return ""
	}
	p := Principal{
		TenantID: str(ctxTenant),
		UserID:   str(ctxUser),
		Username: str(ctxUsername),
		Email:    str(ctxEmail),
		Role:     roles.Role(str(ctxRole)),
		Tier:     tiers.Name(str(ctxTier)),
		Table:    str(ctxTable),
		MFA:      str(ctxMFA),
	}
	switch {
	case p.UserID == "":
		return Principal{}, fmt.Errorf("authorizer context has no user")
	case p.Role == roles.Root:
		if p.TenantID != "" {
			return Principal{}, fmt.Errorf("root principal with a tenant")
		}
	case p.Role.IsTenant():
		if p.TenantID == "" || p.Table == "" {
			return Principal{}, fmt.Errorf("tenant principal without tenant or table")
		}
	default:
		return Principal{}, fmt.Errorf("authorizer context has unknown role %q", p.Role)
	}
	return p, nil
}
