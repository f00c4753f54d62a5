package core_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/awsx/assumerole"
	"github.com/issuetracker/issuetracker/internal/envvars"
)

// The tenant credentials each kind of function's environment asks for.
func TestTenantCredsFollowTheFunctionsEnvironment(t *testing.T) {
	const access = "arn:aws:iam::123456789012:role/access"
	const data = "initech=arn:aws:iam::210987654321:role/data"
	env := func(kv map[string]string) func(string) (string, bool) {
		return func(n string) (string, bool) { v, ok := kv[n]; return v, ok }
	}
	p, err := core.TenantCreds(env(map[string]string{envvars.TenantAccessRoleARN: access, envvars.TenantDataRoles: data}), false, assumerole.Client{})
	require.NoError(t, err)
	assert.Equal(t, access, p.RoleARN)
	assert.False(t, p.OwnAccountsOnly, "a function acting as the tenant assumes the role for every tenant")
	assert.Equal(t, map[string]string{"initech": "arn:aws:iam::210987654321:role/data"}, p.AccountRoles)

	p, err = core.TenantCreds(env(map[string]string{envvars.TenantAccountsHopRoleARN: access, envvars.TenantDataRoles: data}), false, assumerole.Client{})
	require.NoError(t, err)
	assert.Equal(t, access, p.RoleARN)
	assert.True(t, p.OwnAccountsOnly, "a function reading tenants' tables with its own role hops for tenants in their own accounts only")
	assert.Equal(t, "TenantId", p.TagKey)

	_, err = core.TenantCreds(env(map[string]string{envvars.TenantAccountsHopRoleARN: access}), false, assumerole.Client{})
	assert.Error(t, err, "a hop role without data roles is a misconfiguration")
	_, err = core.TenantCreds(env(map[string]string{envvars.TenantAccountsHopRoleARN: access, envvars.TenantDataRoles: "initech"}), false, assumerole.Client{})
	assert.Error(t, err, "a malformed data role list stops the cold start")

	for name, kv := range map[string]map[string]string{
		"no role":     {},
		"local cloud": {envvars.TenantAccessRoleARN: access, envvars.TenantDataRoles: data},
	} {
		p, err := core.TenantCreds(env(kv), name == "local cloud", assumerole.Client{})
		require.NoError(t, err)
		assert.Empty(t, p.RoleARN, name)
	}
}
