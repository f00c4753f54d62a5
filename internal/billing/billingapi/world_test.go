package billingapi_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/billing/billingdb"
	"github.com/issuetracker/issuetracker/internal/billing/stripebilling"
	"github.com/issuetracker/issuetracker/internal/localcloud"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/testing/apitest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/require"
)

const webhookSecret = "whsec_test_issuetracker"

var root = tenancy.Principal{UserID: "root-1", Username: "root", Email: "root@provider.test", Role: roles.Root}

type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// world is a deployment with billing on: DynamoDB Local, cognito-local,
// mailpit and stripe-mock, a one-hour grace period and a settable clock.
type world struct {
	deps    app.Deps
	api     *apitest.API
	svc     *billing.Service
	store   billingdb.Store
	reg     *tenantdb.Store
	clock   *clock
	domain  string
	stripe  string
	eventNo atomic.Int64
	tokens  map[string]string // registrations' status tokens, by slug
}

func newWorld(t *testing.T) *world {
	ctx := context.Background()
	db, names := testenv.Tables(t)
	cog := testenv.Cognito(t)
	pool, err := cognitotest.EnsurePool(ctx, cog, names.Prefix+"-tenants")
	require.NoError(t, err)
	client, err := cognitotest.EnsureClient(ctx, cog, pool, "web")
	require.NoError(t, err)
	clk := &clock{}
	clk.ns.Store(time.Now().UnixNano())
	base := testenv.StripeMock(t)
	d := app.Deps{DB: db, Cognito: cognito.Pools{C: cog}, Names: names, Now: clk.Now, TenantPoolID: pool, TenantClientID: client, Region: "us-east-1",
		RegistrationsPerHour: 1000, LookupsPerMinute: 1000, Mail: testenv.MailSender(t), WebBaseURL: "http://web.test",
		Billing: &app.BillingConfig{Grace: time.Hour,
			Provider: &stripebilling.Provider{Key: stripebilling.Static(localcloud.StripeMockAPIKey), APIBase: base},
			Verifier: stripebilling.Verifier{Secret: stripebilling.Static(webhookSecret)}}}
	d.Lifecycle = app.NewLifecycle(d, app.LifecycleOptions{})
	d.BillingService = app.NewBilling(d)
	return &world{tokens: map[string]string{}, deps: d, api: apitest.New(t, d), svc: app.BillingService(d), store: billingdb.New(db, names), reg: tenantdb.New(db, names),
		clock: clk, domain: names.Prefix + ".test", stripe: base}
}

func (w *world) owner(slug string) string { return "owner-" + slug + "@" + w.domain }

// signUp registers slug on tier and verifies the admin email.
func (w *world) signUp(t *testing.T, slug, tier string) *apitest.Response {
	t.Helper()
	box := testenv.NewMailbox(t, w.owner(slug))
	res := w.api.Anonymous().Do("POST", "/v1/registrations", map[string]string{"company_name": "Company " + slug, "slug": slug,
		"admin_email": w.owner(slug), "tier": tier})
	require.Equal(t, http.StatusAccepted, res.Status, string(res.Body))
	w.tokens[slug], _ = res.Map(t)["status_token"].(string)
	res = w.api.Anonymous().Do("POST", "/v1/registrations/"+slug+"/verify?token="+w.tokens[slug], map[string]string{"code": box.Next(mail.SubjectVerification).VerificationCode()})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	return res
}

// checkout is the path of slug's registration checkout, with its token.
func (w *world) checkout(slug string) string {
	return "/v1/registrations/" + slug + "/checkout?token=" + w.tokens[slug]
}

// event signs a Stripe event now (or at) and posts it to the webhook.
func (w *world) event(t *testing.T, typ string, object map[string]any) (*apitest.Response, []byte, string) {
	t.Helper()
	id := fmt.Sprintf("evt_%s_%d", w.domain, w.eventNo.Add(1))
	payload, sig := stripebilling.SignedEvent(webhookSecret, id, typ, object, time.Now())
	return w.post(payload, sig), payload, sig
}

func (w *world) post(payload []byte, sig string) *apitest.Response {
	hdr := []string{}
	if sig != "" {
		hdr = []string{"Stripe-Signature", sig}
	}
	return w.api.Anonymous().Do("POST", "/v1/billing/webhook", payload, hdr...)
}

// paidTenant signs slug up on tier and completes its checkout: an active,
// subscribed workspace. It returns the account.
func (w *world) paidTenant(t *testing.T, slug, tier string) billing.Account {
	t.Helper()
	w.signUp(t, slug, tier)
	res := w.api.Anonymous().Do("POST", w.checkout(slug), nil)
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	a, err := w.store.Get(context.Background(), slug)
	require.NoError(t, err)
	res, _, _ = w.event(t, billing.EventCheckoutCompleted, stripebilling.CheckoutCompleted(a.CheckoutSessionID, slug, a.CustomerID, "sub_"+slug))
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	tn, err := w.reg.Get(context.Background(), slug)
	require.NoError(t, err)
	require.Equal(t, tenant.StatusActive, tn.Status, tn.StatusReason)
	a, err = w.store.Get(context.Background(), slug)
	require.NoError(t, err)
	return a
}

// superAdmin is the principal of slug's Super Admin (as the authorizer
// would build it).
func (w *world) superAdmin(t *testing.T, slug string) tenancy.Principal {
	tn, err := w.reg.Get(context.Background(), slug)
	require.NoError(t, err)
	return tenancy.Principal{TenantID: slug, UserID: "sa-" + slug, Username: w.owner(slug), Email: w.owner(slug),
		Role: roles.SuperAdmin, Tier: tn.Tier, Table: tn.Table}
}
