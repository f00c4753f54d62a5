package peopleapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMFARequirement(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	signIn := func(code func() string) (cognito.Tokens, tenancy.Principal) {
		tok, err := cognitotest.SignIn(ctx, w.pools.C, w.client, "owner@initech.test", password, "", code)
		require.NoError(t, err)
		time.Sleep(2 * cacheTTL)
		p, _, err := w.az.Authorize(ctx, "Bearer "+tok.IDToken)
		require.NoError(t, err)
		return tok, p
	}

	t.Run("a Basic tenant cannot require MFA", func(t *testing.T) {
		res := w.as("owner@globex.test").Do("PUT", "/v1/settings/security", map[string]any{"mfa_required": true})
		assert.Equal(t, http.StatusForbidden, res.Status)
		assert.Equal(t, "feature_not_in_tier", res.Map(t)["code"])
	})
	t.Run("a Premium Super Admin requires MFA for the workspace", func(t *testing.T) {
		res := w.as("owner@initech.test").Do("PUT", "/v1/settings/security", map[string]any{"mfa_required": true})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		assert.Equal(t, true, res.Map(t)["mfa_required"])
	})

	tok, p := signIn(nil)
	var secret string
	t.Run("a session without MFA reaches only the MFA set-up routes", func(t *testing.T) {
		assert.Equal(t, tenancy.MFAMissing, p.MFA)
		res := w.api.As(p).Do("GET", "/v1/users", nil)
		assert.Equal(t, http.StatusForbidden, res.Status)
		assert.Equal(t, "mfa_required", res.Map(t)["code"])
		res = w.api.As(p).Do("GET", "/v1/me/mfa", nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		assert.Equal(t, map[string]any{"required": true, "enabled": false, "methods": []any{}, "session_accepted": false}, res.Map(t))
	})
	t.Run("someone else's access token is refused", func(t *testing.T) {
		other, err := cognitotest.SignIn(ctx, w.pools.C, w.client, "owner@acme.test", password, "", nil)
		require.NoError(t, err)
		res := w.api.As(p).Do("POST", "/v1/me/mfa/totp", map[string]any{"access_token": other.AccessToken})
		assert.Equal(t, http.StatusBadRequest, res.Status)
	})
	t.Run("the user sets up TOTP: a wrong code is a 400, the right one enables it", func(t *testing.T) {
		res := w.api.As(p).Do("POST", "/v1/me/mfa/totp", map[string]any{"access_token": tok.AccessToken})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		secret = res.Map(t)["secret_code"].(string)
		assert.Contains(t, res.Map(t)["otpauth_uri"], "otpauth://totp/")
		long := strings.Repeat("p", people.MaxDeviceName+1)
		res = w.api.As(p).Do("POST", "/v1/me/mfa/totp/verify", map[string]any{"access_token": tok.AccessToken, "code": "000000", "device_name": long})
		assert.Equal(t, http.StatusBadRequest, res.Status)
		assert.Equal(t, "validation_failed", res.Map(t)["code"], string(res.Body))
		assert.Contains(t, res.Map(t)["detail"], "device_name")
		res = w.api.As(p).Do("POST", "/v1/me/mfa/totp/verify", map[string]any{"access_token": tok.AccessToken, "code": "000000"})
		assert.Equal(t, http.StatusBadRequest, res.Status)
		assert.Equal(t, "mfa_code_mismatch", res.Map(t)["code"])
		code, err := totp.GenerateCode(secret, time.Now())
		require.NoError(t, err)
		res = w.api.As(p).Do("POST", "/v1/me/mfa/totp/verify", map[string]any{"access_token": tok.AccessToken, "code": code})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	})
	t.Run("the old session is still refused; a sign-in with a TOTP code is accepted", func(t *testing.T) {
		time.Sleep(2 * cacheTTL)
		old, _, err := w.az.Authorize(ctx, "Bearer "+tok.IDToken)
		require.NoError(t, err)
		assert.Equal(t, tenancy.MFAMissing, old.MFA)
		time.Sleep(1100 * time.Millisecond) // sign-in times are whole seconds
		asked := false
		_, p := signIn(func() string {
			asked = true
			code, _ := totp.GenerateCode(secret, time.Now())
			return code
		})
		assert.True(t, asked, "Cognito challenged the sign-in for a TOTP code")
		assert.Empty(t, p.MFA)
		assert.Equal(t, http.StatusOK, w.api.As(p).Do("GET", "/v1/users", nil).Status)
		res := w.api.As(p).Do("GET", "/v1/me/mfa", nil).Map(t)
		assert.Equal(t, true, res["enabled"])
		assert.Equal(t, true, res["session_accepted"])
	})
	t.Run("switching MFA off behind the API's back makes the next session MFA-missing", func(t *testing.T) {
		tok, _ := signIn(func() string {
			code, _ := totp.GenerateCode(secret, time.Now())
			return code
		})
		_, err := w.pools.C.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: aws.String(tok.AccessToken),
			SoftwareTokenMfaSettings: &ciptypes.SoftwareTokenMfaSettingsType{Enabled: false, PreferredMfa: false}})
		require.NoError(t, err)
		time.Sleep(1100 * time.Millisecond)
		plain, err := cognitotest.SignIn(ctx, w.pools.C, w.client, "owner@initech.test", password, "", nil)
		require.NoError(t, err, "Cognito no longer challenges")
		time.Sleep(2 * cacheTTL)
		p, _, err := w.az.Authorize(ctx, "Bearer "+plain.IDToken)
		require.NoError(t, err)
		assert.Equal(t, tenancy.MFAMissing, p.MFA, "the authorizer checks Cognito, not only the directory")
	})
	t.Run("a tenant that does not require MFA is unaffected", func(t *testing.T) {
		tok, err := cognitotest.SignIn(ctx, w.pools.C, w.client, "owner@acme.test", password, "", nil)
		require.NoError(t, err)
		p, _, err := w.az.Authorize(ctx, "Bearer "+tok.IDToken)
		require.NoError(t, err)
		assert.Empty(t, p.MFA)
	})
}
