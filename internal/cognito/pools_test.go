package cognito_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func claims(t *testing.T, jwt string) map[string]any {
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

func TestEnsureIsIdempotentAndTokensCarryTenantClaims(t *testing.T) {
	p := cognito.Pools{C: testenv.Cognito(t)}
	ctx := context.Background()
	name := testenv.UniquePrefix(t) + "-tenants"

	pool, err := cognitotest.EnsurePool(ctx, p.C, name)
	require.NoError(t, err)
	again, err := cognitotest.EnsurePool(ctx, p.C, name)
	require.NoError(t, err)
	assert.Equal(t, pool, again, "a second EnsurePool finds the first pool")

	client, err := cognitotest.EnsureClient(ctx, p.C, pool, "web")
	require.NoError(t, err)
	client2, err := cognitotest.EnsureClient(ctx, p.C, pool, "web")
	require.NoError(t, err)
	assert.Equal(t, client, client2)

	spec := cognito.UserSpec{Email: "ann@acme.test", Password: "Correct-Horse-9",
		TenantID: "acme", Role: "admin", Tier: "standard"}
	sub, err := p.EnsureUser(ctx, pool, spec)
	require.NoError(t, err)
	spec.Role = "super_admin"
	sub2, err := p.EnsureUser(ctx, pool, spec)
	require.NoError(t, err)
	assert.Equal(t, sub, sub2, "re-ensuring keeps the same user")

	tok, err := cognitotest.PasswordLogin(ctx, p.C, client, "ann@acme.test", "Correct-Horse-9")
	require.NoError(t, err)
	c := claims(t, tok.IDToken)
	assert.Equal(t, "id", c["token_use"])
	assert.Equal(t, client, c["aud"])
	assert.Equal(t, sub, c["sub"])
	assert.Equal(t, "acme", c["custom:tenant_id"])
	assert.Equal(t, "super_admin", c["custom:role"], "the update reached the token")
	assert.True(t, strings.HasSuffix(c["iss"].(string), "/"+pool))

	_, err = cognitotest.PasswordLogin(ctx, p.C, client, "ann@acme.test", "wrong-password")
	assert.Error(t, err)
}
