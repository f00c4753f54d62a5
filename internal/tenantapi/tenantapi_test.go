package tenantapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/attachment"
	"github.com/issuetracker/issuetracker/internal/authorizer"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/idtoken"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/onboarding/s3archive"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const password = "Correct-Horse-9!"

var root = tenancy.Principal{UserID: "root-1", Username: "root", Email: "root@provider.test", Role: roles.Root}

type world struct {
	deps   app.Deps
	api    *apitest.API
	pools  cognito.Pools
	client string
	reg    *tenantdb.Store
	svc    *onboarding.Service
	// archive is the exports bucket on the local S3.
	archive s3archive.Archive
	// domain of this world's e-mail addresses (unique per test).
	domain string
	// files is the attachments bucket on the local S3.
	files apitest.Files
}

// owner is the admin email of the company slug in this world.
func (w *world) owner(slug string) string { return "owner-" + slug + "@" + w.domain }

func (w *world) registration(slug, tier string) map[string]string {
	r := registration(slug, tier)
	r["admin_email"] = w.owner(slug)
	return r
}

func newWorld(t *testing.T) *world {
	ctx := context.Background()
	db, names := testenv.Tables(t)
	cog := testenv.Cognito(t)
	pools := cognito.Pools{C: cog}
	pool, err := cognitotest.EnsurePool(ctx, pools.C, names.Prefix+"-tenants")
	require.NoError(t, err)
	client, err := cognitotest.EnsureClient(ctx, pools.C, pool, "web")
	require.NoError(t, err)
	d := app.Deps{DB: db, Cognito: cognito.Pools{C: cog}, Names: names, Now: time.Now, TenantPoolID: pool, TenantClientID: client, Region: "us-east-1",
		RegistrationsPerHour: 1000, LookupsPerMinute: 1000, Mail: testenv.MailSender(t), WebBaseURL: "http://web.test"}
	archive := s3archive.Archive{C: testenv.SignedS3(t), Bucket: testenv.Bucket(t)}
	files := apitest.AttachmentsBucket(t, names)
	d.Attachments = app.NewAttachments(tenantcreds.RequireTenant(db), files.Objects, attachment.Buckets{Pooled: files.Bucket, Silo: names.SiloFiles}, list.Codec{})
	d.Lifecycle = app.NewLifecycle(d, app.LifecycleOptions{Archive: archive})
	return &world{deps: d, api: apitest.New(t, d), pools: pools, client: client, reg: tenantdb.New(db, names), svc: app.Lifecycle(d),
		archive: archive, domain: names.Prefix + ".test", files: files}
}

// signIn stands in for the invitation e-mail: the admin sets a password, then signs in.
func (w *world) signIn(t *testing.T, email string) string {
	ctx := context.Background()
	_, err := w.pools.C.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(w.deps.TenantPoolID),
		Username: aws.String(email), Password: aws.String(password), Permanent: true})
	require.NoError(t, err)
	tok, err := cognitotest.PasswordLogin(ctx, w.pools.C, w.client, email, password)
	require.NoError(t, err)
	return tok.IDToken
}

func (w *world) authorizer(t *testing.T) *authorizer.Authorizer {
	_, e := testenv.AWS(t)
	return authorizer.New(authorizer.Config{
		TenantPool:   authorizer.PoolFor(e.Cognito, w.deps.TenantPoolID, idtoken.PoolTenant, w.client),
		ProviderPool: authorizer.PoolFor(e.Cognito, "none", idtoken.PoolProvider),
		CacheTTL:     time.Nanosecond,
	}, w.reg, peopledb.UserDB{DB: w.deps.DB})
}

func registration(slug, tier string) map[string]string {
	return map[string]string{"company_name": "Company " + slug, "slug": slug, "admin_email": "owner@" + slug + ".test", "tier": tier}
}

func TestPooledRegistrationToFirstRequest(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	start := time.Now()
	box := testenv.NewMailbox(t, w.owner("initech"))
	res := w.api.Anonymous().Do("POST", "/v1/registrations", w.registration("initech", "basic"))
	require.Equal(t, http.StatusAccepted, res.Status, string(res.Body))
	token, _ := res.Map(t)["status_token"].(string)
	t.Run("the registration waits for the code mailed to the admin email", func(t *testing.T) {
		m := res.Map(t)
		assert.Equal(t, "pending_verification", m["status"])
		assert.Equal(t, "initech", m["tenant_id"])
		assert.Equal(t, "initech", m["slug"])
		assert.Equal(t, "basic", m["tier"])
		assert.NotEmpty(t, m["verification_expires_at"])
		// The links work as given (a new user follows status_url): they
		// carry the status token, without which they answer 404.
		assert.Equal(t, "/v1/registrations/initech?token="+token, res.Header.Get("Location"))
		assert.Equal(t, res.Header.Get("Location"), m["status_url"])
		again := w.api.Anonymous().Do("GET", m["status_url"].(string), nil)
		require.Equal(t, http.StatusOK, again.Status, string(again.Body))
		assert.Equal(t, m["status_url"], again.Map(t)["status_url"], "a read's links carry the token it was let in with")
	})
	invitations := testenv.NewMailbox(t, w.owner("initech"))
	res = w.api.Anonymous().Do("POST", "/v1/registrations/initech/verify?token="+token, map[string]string{"code": box.Next(mail.SubjectVerification).VerificationCode()})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	elapsed := time.Since(start)
	t.Logf("pooled registration to active (including the verification mail): %s", elapsed)

	t.Run("the tenant is active with its own API key, the shared table and pool", func(t *testing.T) {
		assert.Equal(t, "active", res.Map(t)["status"])
		tn, err := w.reg.Get(ctx, "initech")
		require.NoError(t, err)
		assert.Equal(t, tenant.StatusActive, tn.Status)
		assert.Equal(t, w.deps.Names.App(), tn.Table)
		assert.Equal(t, w.deps.TenantPoolID, tn.UserPoolID)
		assert.NotEmpty(t, tn.APIKey)
		assert.Equal(t, tiers.Basic, tn.Tier)
	})
	t.Run("the Super Admin signs in with the mailed invitation and reads /v1/me through the real authorizer", func(t *testing.T) {
		inv := invitations.Next("You're invited to Company initech on IssueTracker")
		assert.Contains(t, inv.Text, "http://web.test/w/initech/signin")
		tokens, err := cognitotest.SignIn(ctx, w.pools.C, w.client, w.owner("initech"), inv.TemporaryPassword(), password, nil)
		require.NoError(t, err)
		tok := tokens.IDToken
		p, key, err := w.authorizer(t).Authorize(ctx, "Bearer "+tok)
		require.NoError(t, err)
		assert.Equal(t, roles.SuperAdmin, p.Role)
		assert.NotEmpty(t, key)
		me := w.api.As(p).Do("GET", "/v1/me", nil)
		require.Equal(t, http.StatusOK, me.Status, string(me.Body))
		assert.Equal(t, "initech", me.Map(t)["tenant"].(map[string]any)["id"])
	})
	t.Run("the public status of the registration is active with every step done", func(t *testing.T) {
		res := w.api.Anonymous().Do("GET", "/v1/registrations/initech?token="+token, nil)
		m := res.Map(t)
		assert.Equal(t, "active", m["status"])
		var steps []string
		for _, s := range m["steps"].([]any) {
			assert.Equal(t, "done", s.(map[string]any)["state"])
			steps = append(steps, s.(map[string]any)["step"].(string))
		}
		assert.Equal(t, []string{"place", "admin_user", "api_key", "invite_admin", "activate"}, steps)
		assert.NotContains(t, string(res.Body), w.owner("initech"), "the admin email is not public")
	})
	t.Run("root sees every step in the audit log with who and when", func(t *testing.T) {
		res := w.api.As(root).Do("GET", "/v1/admin/tenants/initech/audit", nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		var actions []string
		for _, r := range res.Map(t)["items"].([]any) {
			rec := r.(map[string]any)
			actions = append(actions, rec["action"].(string))
			assert.NotEmpty(t, rec["at"])
			assert.NotEmpty(t, rec["actor"].(map[string]any)["kind"])
		}
		for _, a := range []string{"tenant.registered", "registration.verified", "onboarding.started", "onboarding.step_completed", "onboarding.completed"} {
			assert.Contains(t, actions, a)
		}
	})
}

func TestRegistrationRefusesBadInputAndChangesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	require.Equal(t, http.StatusAccepted, w.api.Anonymous().Do("POST", "/v1/registrations", registration("taken", "basic")).Status)
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"an invalid slug", registration("Bad_Slug", "basic"), 400, "validation_failed", "slug"},
		{"a reserved slug", registration("admin", "basic"), 400, "validation_failed", "slug"},
		{"an unknown tier", registration("newco", "gold"), 400, "validation_failed", "tier"},
		{"a bad email", map[string]string{"company_name": "X Co", "slug": "xco", "admin_email": "nope", "tier": "basic"}, 400, "validation_failed", "admin_email"},
		{"a non-ASCII email", map[string]string{"company_name": "X Co", "slug": "xco", "admin_email": "jörg@xco.test", "tier": "basic"}, 400, "validation_failed", "admin_email"},
		{"a non-ASCII domain", map[string]string{"company_name": "X Co", "slug": "xco", "admin_email": "a@bücher.test", "tier": "basic"}, 400, "validation_failed", "admin_email"},
		{"a domain without a dot", map[string]string{"company_name": "X Co", "slug": "xco", "admin_email": "a@localhost", "tier": "basic"}, 400, "validation_failed", "admin_email"},
		{"an address literal", map[string]string{"company_name": "X Co", "slug": "xco", "admin_email": "a@[127.0.0.1]", "tier": "basic"}, 400, "validation_failed", "admin_email"},
		{"an unknown field", map[string]string{"company_name": "X Co", "slug": "xco", "admin_email": "a@b.test", "tier": "basic", "plan": "x"}, 400, "unknown_field", "plan"},
		{"a duplicate slug", registration("taken", "premium"), 409, "slug_taken", ""},
		{"platinum where no stacks can be deployed", registration("plat", "platinum"), 422, "tier_unavailable", ""},
	} {
		t.Run(tc.name+" is a "+http.StatusText(tc.status)+" problem", func(t *testing.T) {
			res := w.api.Anonymous().Do("POST", "/v1/registrations", tc.body)
			require.Equal(t, tc.status, res.Status, string(res.Body))
			assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
			p := res.Map(t)
			assert.Equal(t, tc.code, p["code"])
			if tc.field != "" {
				f := p["errors"].([]any)[0].(map[string]any)
				assert.Equal(t, tc.field, f["field"])
				// The detail alone says what to fix (a client may show only it).
				if tc.code == "validation_failed" {
					assert.Contains(t, p["detail"], tc.field+": "+f["reason"].(string))
				}
			}
		})
	}
	t.Run("every invalid field is named in the detail, with what it must be", func(t *testing.T) {
		res := w.api.Anonymous().Do("POST", "/v1/registrations", map[string]string{"company_name": "X", "slug": "n", "admin_email": "a", "tier": "gold"})
		require.Equal(t, http.StatusBadRequest, res.Status, string(res.Body))
		p := res.Map(t)
		require.Len(t, p["errors"], 4)
		for _, e := range p["errors"].([]any) {
			f := e.(map[string]any)
			assert.Contains(t, p["detail"], f["field"].(string)+": "+f["reason"].(string))
		}
	})
	t.Run("the taken slug still belongs to the first company, on its tier", func(t *testing.T) {
		tn, err := w.reg.Get(context.Background(), "taken")
		require.NoError(t, err)
		assert.Equal(t, tiers.Basic, tn.Tier)
		for _, id := range []string{"newco", "xco", "plat", "admin"} {
			_, err := w.reg.Get(context.Background(), id)
			assert.Error(t, err, id)
		}
	})
}

func TestRegistrationIsRateLimitedPerClientAddress(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.deps.RegistrationsPerHour = 2
	api := apitest.New(t, w.deps)
	codes := []int{}
	for _, slug := range []string{"rl-one", "rl-two", "rl-three"} {
		codes = append(codes, api.Anonymous().Do("POST", "/v1/registrations", registration(slug, "basic")).Status)
	}
	assert.Equal(t, []int{202, 202, 429}, codes)
	res := api.Anonymous().Do("POST", "/v1/registrations", registration("rl-four", "basic"))
	assert.Equal(t, "registration_rate_limited", res.Map(t)["code"])
	assert.NotEmpty(t, res.Header.Get("Retry-After"))
	_, err := w.reg.Get(context.Background(), "rl-three")
	assert.Error(t, err, "a refused registration creates nothing")
}
