package billingapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/billing/stripebilling"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/issuetracker/issuetracker/internal/usage"
	"github.com/issuetracker/issuetracker/internal/usage/usagedb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Premium sign-up waits in pending_payment with nothing provisioned,
// pays through a Checkout session (created on stripe-mock), and becomes
// active when the signed checkout.session.completed arrives; a replay of
// that event changes nothing.
func TestCheckoutTakesAPaidRegistrationFromPendingPaymentToActive(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	res := w.signUp(t, "initech", "premium")
	assert.Equal(t, "pending_payment", res.Map(t)["status"])
	// The checkout link works as given: it carries the status token.
	assert.Equal(t, w.checkout("initech"), res.Map(t)["checkout_path"])
	t.Run("nothing is provisioned before the payment", func(t *testing.T) {
		_, found, err := w.deps.Cognito.TenantOf(ctx, w.deps.TenantPoolID, w.owner("initech"))
		require.NoError(t, err)
		assert.False(t, found, "no user in the pool")
		tn, err := w.reg.Get(ctx, "initech")
		require.NoError(t, err)
		assert.Empty(t, tn.APIKey)
		assert.False(t, tn.Admitted())
	})
	t.Run("a Basic sign-up needs no payment", func(t *testing.T) {
		assert.Equal(t, "active", w.signUp(t, "freebie", "basic").Map(t)["status"])
	})

	t.Run("without the registration's status token the checkout is not found and nothing is opened", func(t *testing.T) {
		for _, q := range []string{"", "?token=", "?token=" + w.tokens["freebie"], "?token=" + w.tokens["initech"] + "x"} {
			res := w.api.Anonymous().Do("POST", "/v1/registrations/initech/checkout"+q, nil)
			assert.Equal(t, http.StatusNotFound, res.Status, "%q: %s", q, res.Body)
			assert.NotContains(t, string(res.Body), "pending_payment")
		}
		a, err := w.store.Get(ctx, "initech")
		assert.True(t, errs.Is(err, errs.KindNotFound), "no billing account: %+v %v", a, err)
	})
	res = w.api.Anonymous().Do("POST", w.checkout("initech"), nil)
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	cs := res.Map(t)
	assert.Regexp(t, `^cs_`, cs["id"])
	assert.Regexp(t, `^https://checkout\.stripe\.com/`, cs["url"], "the card goes to Stripe's page, never to the platform")
	a, err := w.store.Get(ctx, "initech")
	require.NoError(t, err)
	assert.Equal(t, billing.StatusCheckout, a.Status)
	assert.Equal(t, tiers.Premium, a.CheckoutTier)
	assert.Regexp(t, `^cus_`, a.CustomerID)

	invitation := testenv.NewMailbox(t, w.owner("initech"))
	res, payload, sig := w.event(t, billing.EventCheckoutCompleted, stripebilling.CheckoutCompleted(a.CheckoutSessionID, "initech", a.CustomerID, "sub_initech"))
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	assert.Equal(t, false, res.Map(t)["duplicate"])
	tn, err := w.reg.Get(ctx, "initech")
	require.NoError(t, err)
	assert.Equal(t, tenant.StatusActive, tn.Status, "paid: onboarded")
	assert.NotEmpty(t, tn.APIKey)
	invitation.Next("You're invited to Company initech")
	a, err = w.store.Get(ctx, "initech")
	require.NoError(t, err)
	assert.Equal(t, billing.StatusActive, a.Status)
	assert.Equal(t, "sub_initech", a.SubscriptionID)
	assert.Equal(t, int64(19900), a.AmountCents)
	assert.False(t, a.StartedAt.IsZero())

	t.Run("a replayed event is acknowledged and changes nothing", func(t *testing.T) {
		res := w.post(payload, sig)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		assert.Equal(t, true, res.Map(t)["duplicate"])
		again, err := w.store.Get(ctx, "initech")
		require.NoError(t, err)
		assert.Equal(t, a.Version, again.Version)
	})
	t.Run("the registration's checkout is gone once paid", func(t *testing.T) {
		res := w.api.Anonymous().Do("POST", w.checkout("initech"), nil)
		assert.Equal(t, http.StatusConflict, res.Status)
		assert.Equal(t, "registration_not_pending_payment", res.Map(t)["code"])
		assert.Equal(t, http.StatusNotFound, w.api.Anonymous().Do("POST", "/v1/registrations/nobody-here/checkout", nil).Status)
	})
	t.Run("Root may still approve a registration instead of a payment", func(t *testing.T) {
		w.signUp(t, "invoiced", "standard")
		res := w.api.As(root).Do("POST", "/v1/admin/tenants/invoiced/approve", nil)
		require.Equal(t, http.StatusAccepted, res.Status, string(res.Body))
		tn, err := w.reg.Get(ctx, "invoiced")
		require.NoError(t, err)
		assert.Equal(t, tenant.StatusActive, tn.Status)
	})
}

// The webhook takes only events signed with the endpoint's secret within
// the tolerance window: anything else is a 400 naming Stripe-Signature,
// and changes nothing (a good delivery of the same event still works).
func TestWebhookSignatures(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.signUp(t, "hooli", "standard")
	require.Equal(t, http.StatusCreated, w.api.Anonymous().Do("POST", w.checkout("hooli"), nil).Status)
	a, err := w.store.Get(ctx, "hooli")
	require.NoError(t, err)
	object := stripebilling.CheckoutCompleted(a.CheckoutSessionID, "hooli", a.CustomerID, "sub_hooli")
	payload, good := stripebilling.SignedEvent(webhookSecret, "evt_sig_1", billing.EventCheckoutCompleted, object, time.Now())
	_, wrongSecret := stripebilling.SignedEvent("whsec_someone_else", "evt_sig_1", billing.EventCheckoutCompleted, object, time.Now())
	_, old := stripebilling.SignedEvent(webhookSecret, "evt_sig_1", billing.EventCheckoutCompleted, object, time.Now().Add(-10*time.Minute))
	tampered := append([]byte(nil), payload...)
	tampered[len(tampered)-2] = ' '
	for _, tc := range []struct {
		name    string
		payload []byte
		sig     string
	}{
		{"no signature", payload, ""},
		{"a signature with another secret", payload, wrongSecret},
		{"a signature older than the 5-minute tolerance", payload, old},
		{"a body changed after signing", tampered, good},
		{"a malformed header", payload, "t=abc,v1=zz"},
	} {
		t.Run(tc.name+" is a 400 and changes nothing", func(t *testing.T) {
			res := w.post(tc.payload, tc.sig)
			require.Equal(t, http.StatusBadRequest, res.Status, string(res.Body))
			assert.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
			m := res.Map(t)
			assert.Equal(t, "invalid_signature", m["code"])
			assert.Equal(t, "Stripe-Signature", m["errors"].([]any)[0].(map[string]any)["field"])
			tn, err := w.reg.Get(ctx, "hooli")
			require.NoError(t, err)
			assert.Equal(t, tenant.StatusPendingPayment, tn.Status)
		})
	}
	res := w.post(payload, good)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	assert.Equal(t, false, res.Map(t)["duplicate"], "the refused deliveries did not use the event up")
	tn, err := w.reg.Get(ctx, "hooli")
	require.NoError(t, err)
	assert.Equal(t, tenant.StatusActive, tn.Status)
}

// A failed payment opens a grace period (the workspace keeps working), the
// sweep suspends it once the grace period is over, and a paid invoice lets
// it in again. A suspension Root made for another reason is not lifted by
// a payment.
func TestGracePeriodSuspensionAndReactivation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	a := w.paidTenant(t, "pied", "standard")
	box := testenv.NewMailbox(t, w.owner("pied"))

	res, _, _ := w.event(t, billing.EventInvoicePaymentFailed, stripebilling.InvoiceObject("in_1", a.CustomerID, a.SubscriptionID, "pied", 4900, false, time.Now().Add(720*time.Hour)))
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	a, err := w.store.Get(ctx, "pied")
	require.NoError(t, err)
	assert.Equal(t, billing.StatusPastDue, a.Status)
	assert.WithinDuration(t, w.clock.Now().Add(time.Hour), a.GraceUntil, time.Second)
	assert.Contains(t, box.Next(mail.BillingNoticeSubject("Company pied", false)).Text, "keeps working until")
	tn, _ := w.reg.Get(ctx, "pied")
	assert.Equal(t, tenant.StatusActive, tn.Status, "the grace period: still active")

	t.Run("a second failure does not extend the grace period", func(t *testing.T) {
		w.clock.Advance(30 * time.Minute)
		res, _, _ := w.event(t, billing.EventInvoicePaymentFailed, stripebilling.InvoiceObject("in_1", a.CustomerID, a.SubscriptionID, "pied", 4900, false, time.Now()))
		require.Equal(t, http.StatusOK, res.Status)
		again, _ := w.store.Get(ctx, "pied")
		assert.Equal(t, a.GraceUntil, again.GraceUntil)
		swept, err := w.svc.Sweep(ctx)
		require.NoError(t, err)
		assert.Empty(t, swept.Suspended, "within the grace period")
	})

	w.clock.Advance(31 * time.Minute)
	job, err := app.RunJob(ctx, w.deps, app.JobHourly) // what the schedule runs
	require.NoError(t, err)
	assert.Equal(t, []string{"pied"}, job.Suspended)
	assert.Equal(t, 1, job.Seats, "the hourly job records the seats (the Super Admin) on the month")
	months, err := usagedb.New(w.deps.DB, w.deps.Names).Months(ctx, usage.MonthKey(w.clock.Now()))
	require.NoError(t, err)
	require.Len(t, months, 1)
	assert.Equal(t, int64(1), months[0].Seats)
	tn, _ = w.reg.Get(ctx, "pied")
	assert.Equal(t, tenant.StatusSuspended, tn.Status)
	assert.Contains(t, tn.StatusReason, billing.SuspensionReason)
	box.Next(mail.BillingNoticeSubject("Company pied", true))
	swept, err := w.svc.Sweep(ctx)
	require.NoError(t, err)
	assert.Empty(t, swept.Suspended, "once")

	res, _, _ = w.event(t, billing.EventInvoicePaid, stripebilling.InvoiceObject("in_1", a.CustomerID, a.SubscriptionID, "pied", 4900, true, time.Now().Add(720*time.Hour)))
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	tn, _ = w.reg.Get(ctx, "pied")
	assert.Equal(t, tenant.StatusActive, tn.Status, "paid: reactivated")
	a, _ = w.store.Get(ctx, "pied")
	assert.Equal(t, billing.StatusActive, a.Status)
	assert.True(t, a.GraceUntil.IsZero())

	t.Run("a payment does not lift Root's suspension for another reason", func(t *testing.T) {
		res := w.api.As(root).Do("POST", "/v1/admin/tenants/pied/suspend", map[string]string{"reason": "abuse report"})
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		res, _, _ = w.event(t, billing.EventInvoicePaid, stripebilling.InvoiceObject("in_2", a.CustomerID, a.SubscriptionID, "pied", 4900, true, time.Now()))
		require.Equal(t, http.StatusOK, res.Status)
		tn, _ := w.reg.Get(ctx, "pied")
		assert.Equal(t, tenant.StatusSuspended, tn.Status)
	})
}

// The Super Admin's plan: an upgrade and a downgrade between paid tiers
// prorate on Stripe (stripe-mock validates the calls) and move the tier;
// Basic cancels the subscription; from Basic a checkout is needed.
func TestPlanChanges(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.paidTenant(t, "umbrella", "standard")
	sa := w.api.As(w.superAdmin(t, "umbrella"))

	res := sa.Do("GET", "/v1/billing", nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	assert.Equal(t, "active", res.Map(t)["status"])
	assert.Equal(t, float64(4900), res.Map(t)["price"].(map[string]any)["amount_cents"])

	res = sa.Do("PUT", "/v1/billing/plan", map[string]string{"tier": "premium"})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	assert.Equal(t, "premium", res.Map(t)["tier"])
	tn, _ := w.reg.Get(ctx, "umbrella")
	assert.Equal(t, tiers.Premium, tn.Tier)
	a, _ := w.store.Get(ctx, "umbrella")
	assert.Equal(t, int64(19900), a.AmountCents)

	for _, tc := range []struct {
		name, body, code, field string
		status                  int
	}{
		{"an unknown tier", `{"tier":"gold"}`, "validation_failed", "tier", 400},
		{"no tier", `{}`, "validation_failed", "tier", 400},
		{"an unknown field", `{"tier":"basic","coupon":"x"}`, "unknown_field", "coupon", 400},
		{"the same tier", `{"tier":"premium"}`, "tier_unchanged", "", 409},
		{"Platinum", `{"tier":"platinum"}`, "tier_change_needs_migration", "", 422},
	} {
		t.Run(tc.name+" is refused and changes nothing", func(t *testing.T) {
			res := sa.Do("PUT", "/v1/billing/plan", tc.body)
			require.Equal(t, tc.status, res.Status, string(res.Body))
			m := res.Map(t)
			assert.Equal(t, tc.code, m["code"])
			if tc.field != "" {
				assert.Equal(t, tc.field, m["errors"].([]any)[0].(map[string]any)["field"])
			}
			if tc.code == "tier_change_needs_migration" {
				// Migrations exist (Root runs them: docs/migration.md); the
				// answer says who to ask, not that there is no way.
				assert.Contains(t, m["detail"], "contact the provider")
				assert.NotContains(t, m["detail"], "not available")
			}
			again, _ := w.store.Get(ctx, "umbrella")
			assert.Equal(t, a.Version, again.Version)
		})
	}

	res = sa.Do("PUT", "/v1/billing/plan", map[string]string{"tier": "basic"})
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	a, _ = w.store.Get(ctx, "umbrella")
	assert.Equal(t, billing.StatusCanceled, a.Status)
	assert.Equal(t, tiers.Premium, a.CanceledTier, "churn is counted on the tier it left")
	tn, _ = w.reg.Get(ctx, "umbrella")
	assert.Equal(t, tiers.Basic, tn.Tier)

	sa = w.api.As(w.superAdmin(t, "umbrella"))
	res = sa.Do("PUT", "/v1/billing/plan", map[string]string{"tier": "standard"})
	assert.Equal(t, http.StatusConflict, res.Status)
	assert.Equal(t, "checkout_required", res.Map(t)["code"])
	res = sa.Do("POST", "/v1/billing/checkout", map[string]string{"tier": "standard"})
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	a, _ = w.store.Get(ctx, "umbrella")
	res, _, _ = w.event(t, billing.EventCheckoutCompleted, stripebilling.CheckoutCompleted(a.CheckoutSessionID, "umbrella", a.CustomerID, "sub_umbrella_2"))
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	tn, _ = w.reg.Get(ctx, "umbrella")
	assert.Equal(t, tiers.Standard, tn.Tier, "the upgrade took effect when Stripe confirmed it")

	t.Run("invoices come from Stripe", func(t *testing.T) {
		res := sa.Do("GET", "/v1/billing/invoices?limit=5", nil)
		require.Equal(t, http.StatusOK, res.Status, string(res.Body))
		assert.NotEmpty(t, res.Map(t)["items"])
		// The one list rule: a strict limit, and only cursors this list
		// issued (a provider's invoice id is not one).
		for _, q := range []string{"limit=0", "limit=25x", "cursor=in_123", "after=in_123"} {
			res := sa.Do("GET", "/v1/billing/invoices?"+q, nil)
			assert.Equal(t, http.StatusBadRequest, res.Status, q)
		}
		assert.Equal(t, "invalid_cursor", sa.Do("GET", "/v1/billing/invoices?cursor=in_123", nil).Map(t)["code"])
	})
	t.Run("only the Super Admin manages billing", func(t *testing.T) {
		p := w.superAdmin(t, "umbrella")
		p.Role = "admin"
		assert.Equal(t, http.StatusForbidden, w.api.As(p).Do("GET", "/v1/billing", nil).Status)
	})
}

// Root's MRR and churn per tier, against figures worked out by hand here
// for a set of accounts (not by the code under test).
func TestRootSeesMRRAndChurnPerTier(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	now := w.clock.Now()
	ms := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, a := range []billing.Account{
		{TenantID: "s-old", Tier: tiers.Standard, Status: billing.StatusActive, AmountCents: 4900, StartedAt: ms.Add(-60 * day)},
		{TenantID: "s-late", Tier: tiers.Standard, Status: billing.StatusPastDue, AmountCents: 4900, StartedAt: ms.Add(-10 * day), GraceUntil: now.Add(day)},
		{TenantID: "s-new", Tier: tiers.Standard, Status: billing.StatusActive, AmountCents: 4900, StartedAt: ms.Add(time.Hour)},
		{TenantID: "p-gone", Tier: tiers.Basic, Status: billing.StatusCanceled, StartedAt: ms.Add(-90 * day), CanceledAt: ms.Add(2 * time.Hour), CanceledTier: tiers.Premium},
		{TenantID: "p-old", Tier: tiers.Premium, Status: billing.StatusActive, AmountCents: 19900, StartedAt: ms.Add(-30 * day)},
		{TenantID: "p-last-month", Tier: tiers.Basic, Status: billing.StatusCanceled, StartedAt: ms.Add(-90 * day), CanceledAt: ms.Add(-5 * day), CanceledTier: tiers.Premium},
		{TenantID: "free", Tier: tiers.Basic, Status: billing.StatusFree},
	} {
		_, err := w.store.Put(ctx, a)
		require.NoError(t, err)
	}
	res := w.api.As(root).Do("GET", "/v1/admin/billing", nil)
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var f billing.Figures
	res.JSON(t, &f)
	assert.Equal(t, int64(3*4900+19900), f.MRRCents)
	want := map[tiers.Name]billing.TierMetrics{
		tiers.Standard: {Tier: tiers.Standard, MRRCents: 14700, Subscribers: 3, AtStart: 2, Churned: 0, ChurnRate: 0, New: 1},
		tiers.Premium:  {Tier: tiers.Premium, MRRCents: 19900, Subscribers: 1, AtStart: 2, Churned: 1, ChurnRate: 0.5, New: 0},
		tiers.Platinum: {Tier: tiers.Platinum},
	}
	require.Len(t, f.Tiers, 3)
	for _, m := range f.Tiers {
		assert.Equal(t, want[m.Tier], m, m.Tier)
	}

	t.Run("the monthly close records the month that ended", func(t *testing.T) {
		w.clock.Advance(ms.AddDate(0, 1, 0).Add(5 * time.Minute).Sub(now)) // just after the month ends
		c, err := w.svc.Close(ctx)
		require.NoError(t, err)
		assert.Equal(t, ms.Format("2006-01"), c.Month)
		assert.Equal(t, int64(34600), c.MRRCents)
		res := w.api.As(root).Do("GET", "/v1/admin/billing", nil)
		var f billing.Figures
		res.JSON(t, &f)
		require.Len(t, f.Closes, 1)
		assert.Equal(t, c.Month, f.Closes[0].Month)
	})
	t.Run("only Root", func(t *testing.T) {
		sa := tenancy.Principal{TenantID: "s-old", UserID: "sa", Username: "sa", Role: roles.SuperAdmin, Tier: tiers.Standard, Table: w.deps.Names.App()}
		assert.Equal(t, http.StatusForbidden, w.api.As(sa).Do("GET", "/v1/admin/billing", nil).Status)
	})
}

// The public checkout of a registration is limited per registration (each
// one is a Stripe call): 429 with Retry-After past the limit.
func TestRegistrationCheckoutsAreRateLimited(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.signUp(t, "spammy", "standard")
	for i := range 10 {
		res := w.api.Anonymous().Do("POST", w.checkout("spammy"), nil)
		require.Equal(t, http.StatusCreated, res.Status, "checkout %d: %s", i+1, res.Body)
	}
	res := w.api.Anonymous().Do("POST", w.checkout("spammy"), nil)
	require.Equal(t, http.StatusTooManyRequests, res.Status, string(res.Body))
	assert.Equal(t, "checkout_rate_limited", res.Map(t)["code"])
	assert.NotEmpty(t, res.Header.Get("Retry-After"))
}

// The checkout limit is the registrant's: a caller without the status token
// (or with a wrong one) is the 404 of an unknown registration and counts
// nothing, so a stranger cannot spend a company's checkouts before it pays.
func TestAStrangerCannotSpendARegistrantsCheckouts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.signUp(t, "victim", "standard")
	for _, q := range []string{"", "?token=", "?token=forged-token-of-the-right-length-0000000000"} {
		for range 12 {
			res := w.api.Anonymous().Do("POST", "/v1/registrations/victim/checkout"+q, nil)
			require.Equal(t, http.StatusNotFound, res.Status, "%s: %s", q, res.Body)
		}
	}
	res := w.api.Anonymous().Do("POST", w.checkout("victim"), nil)
	require.Equal(t, http.StatusCreated, res.Status, "the registrant's first checkout after 36 strangers: %s", res.Body)
}
