package roles_test

import (
	"testing"

	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/stretchr/testify/assert"
)

func TestAtLeast(t *testing.T) {
	cases := []struct {
		r, min roles.Role
		want   bool
	}{
		{roles.User, roles.User, true},
		{roles.User, roles.Admin, false},
		{roles.Admin, roles.User, true},
		{roles.SuperAdmin, roles.Admin, true},
		{roles.Admin, roles.SuperAdmin, false},
		{roles.Root, roles.User, false},
		{roles.Role("owner"), roles.User, false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.r.AtLeast(c.min), "%s at least %s", c.r, c.min)
	}
}

func TestParseTenant(t *testing.T) {
	for _, ok := range []string{"user", "admin", "super_admin"} {
		_, err := roles.ParseTenant(ok)
		assert.NoError(t, err)
	}
	for _, bad := range []string{"root", "", "Admin"} {
		_, err := roles.ParseTenant(bad)
		assert.Error(t, err, bad)
	}
}
