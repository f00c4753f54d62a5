package devstack_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/identity"
	"github.com/issuetracker/issuetracker/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A company registers through the local gateway, onboarding runs beside it,
// and its Super Admin signs in and reads /v1/me.
func TestRegisterSignInAndCallTheAPI(t *testing.T) {
	w := startPlatform(t)
	ctx, pl, call := w.ctx, w.pl, w.call
	start := time.Now()
	code, body := call("POST", "/v1/registrations", "", map[string]string{"company_name": "Umbrella", "slug": "umbrella",
		"admin_email": "owner@umbrella.test", "tier": "standard"})
	require.Equal(t, 202, code, body)
	status := ""
	for time.Since(start) < 30*time.Second {
		_, m := call("GET", "/v1/registrations/umbrella", "", nil)
		if status, _ = m["status"].(string); status == "active" || status == "failed" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, "active", status)
	t.Logf("registration to active through the local gateway: %s", time.Since(start))

	_, err := testenv.Cognito(t).AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(pl.TenantPoolID),
		Username: aws.String("owner@umbrella.test"), Password: aws.String(devstack.DemoPassword), Permanent: true})
	require.NoError(t, err)
	tok, err := identity.Pools{C: testenv.Cognito(t)}.PasswordLogin(ctx, pl.TenantClientID, "owner@umbrella.test", devstack.DemoPassword)
	require.NoError(t, err)
	code, me := call("GET", "/v1/me", tok.IDToken, nil)
	require.Equal(t, 200, code, me)
	assert.Equal(t, "super_admin", me["user"].(map[string]any)["role"])
	assert.Equal(t, "umbrella", me["tenant"].(map[string]any)["id"])
	code, iss := call("POST", "/v1/issues", tok.IDToken, map[string]string{"title": "Our first issue", "type": "task"})
	require.Equal(t, 201, code, iss)
	assert.Equal(t, "UMBRELLA-1", iss["key"])

	rootTok, err := identity.Pools{C: testenv.Cognito(t)}.PasswordLogin(ctx, pl.ProviderClientID, devstack.Demo.Root.Email, devstack.DemoPassword)
	require.NoError(t, err)
	code, v := call("GET", "/v1/admin/tenants/umbrella", rootTok.IDToken, nil)
	require.Equal(t, 200, code, v)
	assert.EqualValues(t, 2, v["usage"].(map[string]any)["requests_this_month"], "the /v1/me and the issue calls are counted")
}
