// Package billingapi serves billing over HTTP: the Super Admin's plan,
// checkout, plan changes and invoices; a registration's checkout; Root's
// MRR and churn; and the provider's webhook (public: its signature is the
// authentication, checked in the function).
package billingapi

import (
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/ratelimit"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// SignatureHeader is Stripe's webhook signature header.
const SignatureHeader = "Stripe-Signature"

// MaxWebhookBody bounds an event (Stripe's are a few kB).
const MaxWebhookBody = 256 << 10

// Deps of the billing operations. Service nil answers 503 billing_unavailable.
type Deps struct {
	Service *billing.Service
	// Checkouts limits the public checkout of a registration (each one is
	// a Stripe call), per registration.
	Checkouts ratelimit.Limiter
	// Cursors sign the invoice list's cursors.
	Cursors list.Codec
}

// DefaultCheckoutsPerHour is the public checkout's limit per registration.
const DefaultCheckoutsPerHour = 10

// Operations of the billing routes.
func Operations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"getBilling":                 d.getBilling,
		"startCheckout":              d.startCheckout,
		"changePlan":                 d.changePlan,
		"listInvoices":               d.listInvoices,
		"stripeWebhook":              d.webhook,
		"createRegistrationCheckout": d.registrationCheckout,
		"getRootBilling":             d.rootBilling,
	}
}

func (d Deps) svc() (*billing.Service, error) {
	if d.Service == nil {
		return nil, errs.E(errs.KindInternal, "billing_unavailable", "billing is not configured in this deployment")
	}
	return d.Service, nil
}

// Plan is the workspace's plan as its Super Admin sees it.
type Plan struct {
	Tier    tiers.Name      `json:"tier"`
	Status  billing.Status  `json:"status"`
	Account billing.Account `json:"account"`
	// Price is the tier's monthly price (none for a free tier).
	Price *tiers.Price `json:"price,omitempty"`
	// Plans are the tiers the workspace may move to here (pooled tiers;
	// Platinum needs the provider's team).
	Plans []tiers.Price `json:"plans"`
}

func (d Deps) plan(w http.ResponseWriter, r *http.Request, s *billing.Service, t tenant.Tenant, status int) error {
	a, err := s.Account(r.Context(), t)
	if err != nil {
		return err
	}
	p := Plan{Tier: t.Tier, Status: a.Status, Account: a, Plans: []tiers.Price{}}
	if pr, ok := tiers.PriceOf(t.Tier); ok {
		p.Price = &pr
	}
	for _, pr := range tiers.Prices() {
		if tiers.MustGet(pr.Tier).Isolation == tiers.Pooled {
			p.Plans = append(p.Plans, pr)
		}
	}
	return httpapi.WriteJSON(w, status, p)
}

func (d Deps) caller(r *http.Request) (*billing.Service, tenant.Tenant, error) {
	s, err := d.svc()
	if err != nil {
		return nil, tenant.Tenant{}, err
	}
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return nil, tenant.Tenant{}, err
	}
	t, err := s.Tenants.Get(r.Context(), p.TenantID)
	return s, t, err
}

func (d Deps) getBilling(w http.ResponseWriter, r *http.Request) error {
	s, t, err := d.caller(r)
	if err != nil {
		return err
	}
	return d.plan(w, r, s, t, http.StatusOK)
}

// TierChoice is the body of a checkout or a plan change.
type TierChoice struct {
	Tier string `json:"tier"`
}

func decodeTier(r *http.Request) (string, error) {
	var in TierChoice
	if err := httpapi.DecodeJSON(r, &in, 1<<10); err != nil {
		return "", err
	}
	if _, err := tiers.Parse(in.Tier); err != nil {
		return "", errs.Field("tier", err.Error())
	}
	return in.Tier, nil
}

func (d Deps) startCheckout(w http.ResponseWriter, r *http.Request) error {
	s, t, err := d.caller(r)
	if err != nil {
		return err
	}
	tier, err := decodeTier(r)
	if err != nil {
		return err
	}
	cs, err := s.Upgrade(r.Context(), t.ID, tier)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, cs)
}

func actor(r *http.Request) audit.Actor {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return billing.System
	}
	return audit.Actor{Kind: audit.ActorTenant, ID: p.UserID, Email: p.Email}
}

func (d Deps) changePlan(w http.ResponseWriter, r *http.Request) error {
	s, t, err := d.caller(r)
	if err != nil {
		return err
	}
	tier, err := decodeTier(r)
	if err != nil {
		return err
	}
	if _, err := s.ChangePlan(r.Context(), t.ID, tier, actor(r)); err != nil {
		return err
	}
	if t, err = s.Tenants.Get(r.Context(), t.ID); err != nil {
		return err
	}
	return d.plan(w, r, s, t, http.StatusOK)
}

// invoiceCursor is a position in a tenant's invoices: the provider's id of
// the last invoice shown, signed like every cursor of the API (list.Codec).
type invoiceCursor struct {
	After string `json:"after"`
}

func (d Deps) listInvoices(w http.ResponseWriter, r *http.Request) error {
	s, t, err := d.caller(r)
	if err != nil {
		return err
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	scope := list.Scope("invoices", t.ID)
	var pos invoiceCursor
	if req.Cursor != "" {
		if err := d.Cursors.Decode(r.Context(), scope, req.Cursor, &pos); err != nil {
			return err
		}
	}
	invs, more, err := s.Invoices(r.Context(), t.ID, req.Limit, pos.After)
	if err != nil {
		return err
	}
	next := ""
	if more && len(invs) > 0 {
		if next, err = d.Cursors.Encode(r.Context(), scope, invoiceCursor{After: invs[len(invs)-1].ID}); err != nil {
			return err
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, list.NewPage(invs, next))
}

// Received answers the provider's webhook.
type Received struct {
	Received bool `json:"received"`
	billing.WebhookResult
}

func (d Deps) webhook(w http.ResponseWriter, r *http.Request) error {
	s, err := d.svc()
	if err != nil {
		return err
	}
	// The signature covers the exact bytes: read them raw, never re-encoded.
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxWebhookBody+1))
	if err != nil || len(body) > MaxWebhookBody {
		return errs.TooLarge("body_too_large", "the event is larger than accepted")
	}
	res, err := s.Webhook(r.Context(), body, r.Header.Get(SignatureHeader))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, Received{Received: true, WebhookResult: res})
}

func (d Deps) registrationCheckout(w http.ResponseWriter, r *http.Request) error {
	s, err := d.svc()
	if err != nil {
		return err
	}
	// The status token first: a caller without it is a 404 that counts
	// nothing against the registration's checkout limit.
	t, err := s.Registrant(r.Context(), r.PathValue("tenantId"), r.URL.Query().Get(tenant.RegistrationTokenParam))
	if err != nil {
		return err
	}
	if d.Checkouts != nil {
		ok, wait, err := d.Checkouts.Allow(r.Context(), t.ID)
		if err != nil {
			return err
		}
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return errs.E(errs.KindRateLimited, "checkout_rate_limited", "too many checkouts for this registration; retry in %s", wait.Round(time.Second))
		}
	}
	cs, err := s.RegistrantCheckout(r.Context(), t)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusCreated, cs)
}

func (d Deps) rootBilling(w http.ResponseWriter, r *http.Request) error {
	s, err := d.svc()
	if err != nil {
		return err
	}
	f, err := s.Figures(r.Context())
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, f)
}
