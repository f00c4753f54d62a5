package tenantapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The API contract the web app's sign-up pages code against.
func TestSignUpContract(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	anon := w.api.Anonymous()
	w.register(t, "acme", "basic")

	t.Run("slug availability", func(t *testing.T) {
		for _, tc := range []struct {
			slug      string
			available bool
			reason    string
		}{
			{"fresh-co", true, ""},
			{"acme", false, "taken"},
			{"admin", false, "reserved"},
			{"availability", false, "reserved"},
			{"Bad_Slug", false, "invalid"},
			{"", false, "invalid"},
		} {
			res := anon.Do("GET", "/v1/registrations/availability?slug="+tc.slug, nil)
			require.Equal(t, http.StatusOK, res.Status, string(res.Body))
			m := res.Map(t)
			assert.Equal(t, tc.slug, m["slug"])
			assert.Equal(t, tc.available, m["available"], tc.slug)
			if tc.reason == "" {
				assert.NotContains(t, m, "reason")
			} else {
				assert.Equal(t, tc.reason, m["reason"], tc.slug)
			}
			if tc.reason == "invalid" {
				assert.NotEmpty(t, m["detail"])
			}
		}
	})

	box := testenv.NewMailbox(t, w.owner("globex"))
	res := anon.Do("POST", "/v1/registrations", w.registration("globex", "standard"))
	require.Equal(t, http.StatusAccepted, res.Status, string(res.Body))
	token := "?token=" + res.Map(t)["status_token"].(string)
	first := box.Next(mail.SubjectVerification).VerificationCode()
	t.Run("a pending registration shows its steps, all pending", func(t *testing.T) {
		m := anon.Do("GET", "/v1/registrations/globex"+token, nil).Map(t)
		assert.Equal(t, "pending_verification", m["status"])
		assert.Len(t, m["steps"], 5)
		assert.Equal(t, "pending", m["steps"].([]any)[0].(map[string]any)["state"])
		assert.Equal(t, "taken", anon.Do("GET", "/v1/registrations/availability?slug=globex", nil).Map(t)["reason"])
	})
	wrong := "999999"
	if first == wrong {
		wrong = "999998"
	}
	t.Run("a wrong code is a 400 invalid_code naming the field", func(t *testing.T) {
		res := anon.Do("POST", "/v1/registrations/globex/verify"+token, map[string]string{"code": wrong})
		assert.Equal(t, 400, res.Status)
		assert.Equal(t, "invalid_code", res.Map(t)["code"])
		assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
	})
	t.Run("a resend is 202 with a new code; the old one stops working", func(t *testing.T) {
		res := anon.Do("POST", "/v1/registrations/globex/verification"+token, nil)
		require.Equal(t, http.StatusAccepted, res.Status, string(res.Body))
		assert.NotEmpty(t, res.Map(t)["verification_expires_at"])
		second := box.Next(mail.SubjectVerification).VerificationCode()
		if second != first {
			res = anon.Do("POST", "/v1/registrations/globex/verify"+token, map[string]string{"code": first})
			assert.Equal(t, "invalid_code", res.Map(t)["code"])
		}
		first = second
	})
	t.Run("an unknown registration is a 404", func(t *testing.T) {
		assert.Equal(t, 404, anon.Do("POST", "/v1/registrations/nobody/verify", map[string]string{"code": "123456"}).Status)
		assert.Equal(t, 404, anon.Do("POST", "/v1/registrations/nobody/verification", nil).Status)
	})
	t.Run("the right code: a paid tier waits for approval", func(t *testing.T) {
		res := anon.Do("POST", "/v1/registrations/globex/verify"+token, map[string]string{"code": first})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		assert.Equal(t, "pending_approval", res.Map(t)["status"])
		res = anon.Do("POST", "/v1/registrations/globex/verification"+token, nil)
		assert.Equal(t, 409, res.Status)
		assert.Equal(t, "registration_verified", res.Map(t)["code"])
	})
	t.Run("Root lists pending sign-ups and approves one", func(t *testing.T) {
		res := w.api.As(root).Do("GET", "/v1/admin/tenants?status=pending_approval", nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		list := res.Map(t)["items"].([]any)
		require.Len(t, list, 1)
		assert.Equal(t, "globex", list[0].(map[string]any)["id"])
		assert.Equal(t, 400, w.api.As(root).Do("GET", "/v1/admin/tenants?status=sleepy", nil).Status)
		assert.Equal(t, 401, w.api.Anonymous().Do("POST", "/v1/admin/tenants/globex/approve", nil).Status, "approval is Root's")
		res = w.api.As(root).Do("POST", "/v1/admin/tenants/globex/approve", nil)
		require.Equal(t, http.StatusAccepted, res.Status, string(res.Body))
		assert.Equal(t, "active", res.Map(t)["status"])
		res = w.api.As(root).Do("POST", "/v1/admin/tenants/globex/approve", nil)
		assert.Equal(t, 409, res.Status)
		assert.Equal(t, "tenant_not_pending_approval", res.Map(t)["code"])
	})

	t.Run("the workspace lookup tells where to sign in, with which password policy, and nothing else", func(t *testing.T) {
		res := anon.Do("GET", "/v1/workspaces/acme", nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		var ws map[string]any
		res.JSON(t, &ws)
		assert.Equal(t, map[string]any{"slug": "acme", "name": "Company acme", "user_pool_id": w.deps.TenantPoolID,
			"client_id": w.client, "region": "us-east-1", "password_policy": map[string]any{"min_length": 12.0,
				"require_lowercase": true, "require_uppercase": true, "require_digits": true, "require_symbols": true,
				"temp_password_days": 3.0}}, ws)
	})
	t.Run("unknown, pending and offboarded workspaces are 404", func(t *testing.T) {
		box := testenv.NewMailbox(t, w.owner("pendco"))
		require.Equal(t, 202, anon.Do("POST", "/v1/registrations", w.registration("pendco", "basic")).Status)
		box.Next(mail.SubjectVerification)
		for _, slug := range []string{"nobody", "pendco", "Bad_Slug"} {
			res := anon.Do("GET", "/v1/workspaces/"+slug, nil)
			assert.Equal(t, 404, res.Status, slug)
			assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
		}
		require.Equal(t, 202, w.api.As(root).Do("POST", "/v1/admin/tenants/globex/offboard", map[string]string{"confirm": "globex"}).Status)
		assert.Equal(t, 404, anon.Do("GET", "/v1/workspaces/globex", nil).Status)
	})
	t.Run("a suspended workspace is still found (its sign-in page explains)", func(t *testing.T) {
		require.Equal(t, 200, w.api.As(root).Do("POST", "/v1/admin/tenants/acme/suspend", map[string]string{"reason": "x"}).Status)
		assert.Equal(t, 200, anon.Do("GET", "/v1/workspaces/acme", nil).Status)
	})
	t.Run("a Platinum workspace names its own pool and client", func(t *testing.T) {
		tn := tenant.Tenant{ID: "bigco", Name: "Big Co", Tier: "platinum", Status: tenant.StatusActive,
			UserPoolID: "us-west-2_Dedicated", ClientIDs: []string{"dedicated-client"}, Issuer: "https://issuer.test/us-west-2_Dedicated"}
		require.NoError(t, w.reg.Create(ctx, tn))
		ws := anon.Do("GET", "/v1/workspaces/bigco", nil).Map(t)
		assert.Equal(t, "us-west-2_Dedicated", ws["user_pool_id"])
		assert.Equal(t, "dedicated-client", ws["client_id"])
	})
}

func TestAdminEmailOfAnotherTenantsUserOverHTTP(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	victim := "victim@" + w.domain
	_, err := w.pools.EnsureUser(context.Background(), w.deps.TenantPoolID, cognito.UserSpec{Email: victim, Password: password,
		TenantID: "victimco", Role: "super_admin", Tier: "basic"})
	require.NoError(t, err)
	box := testenv.NewMailbox(t, victim)
	res := w.api.Anonymous().Do("POST", "/v1/registrations", map[string]string{"company_name": "Evil", "slug": "evil", "admin_email": victim, "tier": "basic"})
	require.Equal(t, http.StatusAccepted, res.Status, "an anonymous caller learns nothing about the address")
	token := res.Map(t)["status_token"].(string)
	assert.Equal(t, "pending_verification", res.Map(t)["status"])
	res = w.api.Anonymous().Do("POST", "/v1/registrations/evil/verify?token="+token, map[string]string{"code": box.Next(mail.SubjectVerification).VerificationCode()})
	assert.Equal(t, 409, res.Status)
	assert.Equal(t, "admin_email_in_use", res.Map(t)["code"], "the verified owner is told")
	assert.Equal(t, "failed", w.api.Anonymous().Do("GET", "/v1/registrations/evil?token="+token, nil).Map(t)["status"])
	got, err := cognitotest.PasswordLogin(context.Background(), w.pools.C, w.client, victim, password)
	require.NoError(t, err, "the user is untouched")
	assert.NotEmpty(t, got.IDToken)
}

func TestLookupsAndCodesAreRateLimited(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.deps.LookupsPerMinute, w.deps.CodeSendsPerHour = 2, 1
	api := apitest.New(t, w.deps)
	for _, path := range []string{"/v1/registrations/availability?slug=abc", "/v1/workspaces/abc"} {
		t.Run(path, func(t *testing.T) {
			var last *apitest.Response
			for range 3 { // the two routes share the per-address budget: the limit is hit by now
				last = api.Anonymous().Do("GET", path, nil)
			}
			assert.Equal(t, 429, last.Status)
			assert.Equal(t, "lookup_rate_limited", last.Map(t)["code"])
			assert.NotEmpty(t, last.Header.Get("Retry-After"))
		})
	}
	t.Run("verification codes per registration", func(t *testing.T) {
		box := testenv.NewMailbox(t, w.owner("limited"))
		reg := api.Anonymous().Do("POST", "/v1/registrations", w.registration("limited", "basic"))
		require.Equal(t, 202, reg.Status)
		token := "?token=" + reg.Map(t)["status_token"].(string)
		box.Next(mail.SubjectVerification)
		assert.Equal(t, 202, api.Anonymous().Do("POST", "/v1/registrations/limited/verification"+token, nil).Status)
		res := api.Anonymous().Do("POST", "/v1/registrations/limited/verification"+token, nil)
		assert.Equal(t, 429, res.Status)
		assert.Equal(t, "verification_rate_limited", res.Map(t)["code"])
	})
}

func TestRootClosesAndReopensRegistration(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.register(t, "hooli", "basic")
	superAdmin := tenancy.Principal{UserID: "u1", Email: "sa@hooli.test", TenantID: "hooli", Role: roles.SuperAdmin, Tier: tiers.Basic, Table: w.deps.Names.App()}

	res := w.api.As(root).Do("GET", "/v1/admin/settings", nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	assert.Equal(t, true, res.Map(t)["registration_open"], "open until Root closes it")

	t.Run("a tenant's Super Admin can neither read nor change the settings", func(t *testing.T) {
		assert.Equal(t, http.StatusForbidden, w.api.As(superAdmin).Do("GET", "/v1/admin/settings", nil).Status)
		assert.Equal(t, http.StatusForbidden, w.api.As(superAdmin).Do("PUT", "/v1/admin/settings", map[string]any{"registration_open": false}).Status)
		assert.Equal(t, true, w.api.As(root).Do("GET", "/v1/admin/settings", nil).Map(t)["registration_open"])
	})
	t.Run("a change must say open or closed", func(t *testing.T) {
		res := w.api.As(root).Do("PUT", "/v1/admin/settings", map[string]any{})
		assert.Equal(t, http.StatusBadRequest, res.Status)
		res = w.api.As(root).Do("PUT", "/v1/admin/settings", map[string]any{"registration_open": "no"})
		assert.Equal(t, http.StatusBadRequest, res.Status)
	})
	t.Run("closed, a sign-up is a 403 registration_closed and nothing is created", func(t *testing.T) {
		res := w.api.As(root).Do("PUT", "/v1/admin/settings", map[string]any{"registration_open": false})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		assert.Equal(t, root.Email, res.Map(t)["updated_by"])
		res = w.api.Anonymous().Do("POST", "/v1/registrations", w.registration("latecomer", "basic"))
		assert.Equal(t, http.StatusForbidden, res.Status, string(res.Body))
		assert.Equal(t, "registration_closed", res.Map(t)["code"])
		assert.Contains(t, res.Header.Get("Content-Type"), "application/problem+json")
		_, err := w.reg.Get(context.Background(), "latecomer")
		assert.True(t, errs.Is(err, errs.KindNotFound), "nothing is created: %v", err)
	})
	t.Run("reopened, the same sign-up goes through", func(t *testing.T) {
		require.Equal(t, http.StatusOK, w.api.As(root).Do("PUT", "/v1/admin/settings", map[string]any{"registration_open": true}).Status)
		res := w.api.Anonymous().Do("POST", "/v1/registrations", w.registration("latecomer", "basic"))
		assert.Equal(t, http.StatusAccepted, res.Status, string(res.Body))
	})
}

func TestRootSeesThePlatformHealth(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.register(t, "hooli", "basic")
	res := w.api.As(root).Do("GET", "/v1/admin/health", nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	assert.Equal(t, "local-metrics", res.Map(t)["source"], "no CloudWatch locally")
	superAdmin := tenancy.Principal{UserID: "u1", Email: "sa@hooli.test", TenantID: "hooli", Role: roles.SuperAdmin, Tier: tiers.Basic, Table: w.deps.Names.App()}
	assert.Equal(t, http.StatusForbidden, w.api.As(superAdmin).Do("GET", "/v1/admin/health", nil).Status)
}
