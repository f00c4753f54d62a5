package devstack_test

import (
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/eventually"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A company registers through the local gateway, onboarding runs beside it,
// and its Super Admin signs in and reads /v1/me.
func TestRegisterSignInAndCallTheAPI(t *testing.T) {
	t.Parallel()
	w := startPlatform(t)
	ctx, pl, call := w.ctx, w.pl, w.call
	owner := "owner@" + w.prefix + ".umbrella.test"
	box := testenv.NewMailbox(t, owner)
	code, body := call("POST", "/v1/registrations", "", map[string]string{"company_name": "Umbrella", "slug": "umbrella",
		"admin_email": owner, "tier": "standard"})
	require.Equal(t, 202, code, body)
	assert.Equal(t, "pending_verification", body["status"])
	token, _ := body["status_token"].(string)
	code, body = call("POST", "/v1/registrations/umbrella/verify?token="+token, "", map[string]string{"code": box.Next(mail.SubjectVerification).VerificationCode()})
	require.Equal(t, 200, code, body)
	assert.Equal(t, "pending_payment", body["status"], "Standard is a paid tier: it waits for its payment (or Root's approval)")
	rootTok, err := cognitotest.PasswordLogin(ctx, testenv.Cognito(t), pl.ProviderClientID, devstack.Demo.Root.Email, devstack.DemoPassword)
	require.NoError(t, err)
	start := time.Now()
	code, body = call("POST", "/v1/admin/tenants/umbrella/approve", rootTok.IDToken, nil)
	require.Equal(t, 202, code, body)
	status := ""
	for time.Since(start) < eventually.Deadline {
		_, m := call("GET", "/v1/registrations/umbrella?token="+token, "", nil)
		if status, _ = m["status"].(string); status == "active" || status == "failed" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, "active", status)
	t.Logf("approval to active through the local gateway: %s", time.Since(start))

	inv := box.Next("You're invited to Umbrella on IssueTracker")
	assert.Contains(t, inv.Text, pl.GatewayURL+"/w/umbrella/signin", "the sign-in page of the web app the gateway serves")
	tok, err := cognitotest.SignIn(ctx, testenv.Cognito(t), pl.TenantClientID, owner, inv.TemporaryPassword(), devstack.DemoPassword, nil)
	require.NoError(t, err)
	code, me := call("GET", "/v1/me", tok.IDToken, nil)
	require.Equal(t, 200, code, me)
	assert.Equal(t, "super_admin", me["user"].(map[string]any)["role"])
	assert.Equal(t, "umbrella", me["tenant"].(map[string]any)["id"])
	code, iss := call("POST", "/v1/issues", tok.IDToken, map[string]string{"title": "Our first issue", "type": "task"})
	require.Equal(t, 201, code, iss)
	assert.Equal(t, "UMBRELLA-1", iss["key"])

	require.NoError(t, w.s.FlushUsage(ctx)) // what the background flush does within seconds
	code, v := call("GET", "/v1/admin/tenants/umbrella", rootTok.IDToken, nil)
	require.Equal(t, 200, code, v)
	assert.EqualValues(t, 2, v["usage"].(map[string]any)["requests_this_month"], "the /v1/me and the issue calls are counted")
}
