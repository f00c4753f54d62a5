// Package people is who works in a tenant: the user directory (one record per
// Cognito user, holding the role and status the authorizer trusts), and the
// caller's own view (/v1/me).
package people

import (
	"context"
	"time"

	"github.com/issuetracker/issuetracker/internal/roles"
)

// UserStatus is whether a user may sign in and call the API.
type UserStatus string

const (
	UserActive   UserStatus = "active"
	UserDisabled UserStatus = "disabled"
)

// User is a person of a tenant. ID is the Cognito sub.
type User struct {
	ID          string     `json:"id"`
	TenantID    string     `json:"tenant_id"`
	Username    string     `json:"username"`
	Email       string     `json:"email"`
	DisplayName string     `json:"display_name,omitempty"`
	Role        roles.Role `json:"role"`
	Status      UserStatus `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Version     int64      `json:"version"`
}

// Directory reads and writes users of one tenant's table.
type Directory interface {
	// Get returns the user or not_found (user_not_found).
	Get(ctx context.Context, table, tenantID, userID string) (User, error)
	// Put creates or replaces a user.
	Put(ctx context.Context, table string, u User) error
}
