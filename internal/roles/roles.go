// Package roles is the role vocabulary: the three tenant roles, ordered, and
// the provider's root. What each role may do is decided per route in package
// routes (the permission matrix), and enforced in one place: the gateway /
// authorizer path and httpapi.
package roles

import "fmt"

// Role of a principal. Tenant roles are ordered: User < Admin < SuperAdmin.
// Root belongs to the provider pool and is not a tenant role.
type Role string

const (
	User       Role = "user"
	Admin      Role = "admin"
	SuperAdmin Role = "super_admin"
	Root       Role = "root"
)

// Tenant lists the tenant roles, lowest first.
var Tenant = []Role{User, Admin, SuperAdmin}

func (r Role) rank() int {
	switch r {
	case User:
		return 1
	case Admin:
		return 2
	case SuperAdmin:
		return 3
	}
	return 0
}

// AtLeast reports whether r is a tenant role at or above min.
func (r Role) AtLeast(min Role) bool {
	return r.rank() > 0 && min.rank() > 0 && r.rank() >= min.rank()
}

// IsTenant reports whether r is one of the tenant roles.
func (r Role) IsTenant() bool { return r.rank() > 0 }

// ParseTenant validates a tenant role from input.
func ParseTenant(s string) (Role, error) {
	r := Role(s)
	if !r.IsTenant() {
		return "", fmt.Errorf("unknown role %q (want one of user, admin, super_admin)", s)
	}
	return r, nil
}
