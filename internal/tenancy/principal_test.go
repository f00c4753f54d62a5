package tenancy_test

import (
	"testing"

	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthorizerContextRoundTrip(t *testing.T) {
	p := tenancy.Principal{TenantID: "acme", UserID: "u1", Username: "ann", Email: "ann@acme.test",
		Role: roles.Admin, Tier: tiers.Standard, Table: "issuetracker-app"}
	got, err := tenancy.FromAuthorizerContext(p.AuthorizerContext())
	require.NoError(t, err)
	assert.Equal(t, p, got)
}

func TestFromAuthorizerContextRejectsIncompletePrincipals(t *testing.T) {
	cases := map[string]map[string]any{
		"no user":               {"tenantId": "acme", "role": "user", "table": "t"},
		"tenant role no tenant": {"userId": "u", "role": "user", "table": "t"},
		"root with tenant":      {"userId": "u", "role": "root", "tenantId": "acme"},
		"unknown role":          {"userId": "u", "role": "owner", "tenantId": "acme", "table": "t"},
		"empty":                 {},
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := tenancy.FromAuthorizerContext(m)
			assert.Error(t, err)
		})
	}
}
