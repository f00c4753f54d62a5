// Package stripebilling is the billing provider on Stripe: customers,
// hosted Checkout for subscriptions, prorated plan changes, invoices, and
// webhook signature verification with a tolerance window. It makes the
// eight calls the platform needs as stripe-go makes them (form-encoded
// REST, the same parameters, headers, retries and API version), without
// stripe-go, whose resource types and their JSON were 1.25 MB of the
// billing function's binary (docs/performance.md, issue 19). In AWS it
// talks to Stripe; locally and in the tests to the official stripe-mock,
// which checks every request against Stripe's API definition (APIBase).
// stripe-go stays the tests' oracle: TestTheClientIsStripeGos compares
// every request with stripe-go's for the same input, and the webhook
// tests sign and verify with stripe-go's webhook package both ways.
package stripebilling

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Provider implements billing.Provider on Stripe.
type Provider struct {
	// Key returns the secret API key (fetched lazily in AWS; see Secret).
	Key func(ctx context.Context) (string, error)
	// APIBase overrides Stripe's URL (stripe-mock); empty: Stripe.
	APIBase string
	// HTTPClient for the API calls; default: 10 s timeout.
	HTTPClient *http.Client

	mu     sync.Mutex
	prices map[string]string // lookup key -> price id, once per process
}

var _ billing.Provider = (*Provider)(nil)

// PriceID implements billing.Provider: the price with the tier's lookup
// key, created (with its product) when the account has none. Cached per
// process: prices are immutable.
func (p *Provider) PriceID(ctx context.Context, price tiers.Price) (string, error) {
	p.mu.Lock()
	id := p.prices[price.LookupKey]
	p.mu.Unlock()
	if id != "" {
		return id, nil
	}
	q := url.Values{"lookup_keys[0]": {price.LookupKey}, "active": {"true"}}
	for id == "" {
		var page list[priceObject]
		if err := p.call(ctx, http.MethodGet, "/v1/prices", q, &page); err != nil {
			return "", err
		}
		for _, pr := range page.Data {
			if pr.LookupKey == price.LookupKey {
				id = pr.ID
				break
			}
		}
		if !page.HasMore || len(page.Data) == 0 {
			break
		}
		q.Set("starting_after", page.Data[len(page.Data)-1].ID)
	}
	if id == "" {
		tr := tiers.MustGet(price.Tier)
		var pr priceObject
		if err := p.call(ctx, http.MethodPost, "/v1/prices", url.Values{
			"currency": {price.Currency}, "unit_amount": {strconv.FormatInt(price.AmountCents, 10)},
			"recurring[interval]": {price.Interval}, "lookup_key": {price.LookupKey},
			"product_data[name]": {"IssueTracker " + tr.DisplayName}, "metadata[tier]": {string(price.Tier)},
		}, &pr); err != nil {
			return "", err
		}
		id = pr.ID
	}
	p.mu.Lock()
	if p.prices == nil {
		p.prices = map[string]string{}
	}
	p.prices[price.LookupKey] = id
	p.mu.Unlock()
	return id, nil
}

// CreateCustomer implements billing.Provider.
func (p *Provider) CreateCustomer(ctx context.Context, tenantID, name, email string) (string, error) {
	form := url.Values{"name": {name}, "metadata[tenant_id]": {tenantID}}
	if email != "" {
		form.Set("email", email)
	}
	var c customer
	if err := p.call(ctx, http.MethodPost, "/v1/customers", form, &c); err != nil {
		return "", err
	}
	return c.ID, nil
}

// CreateCheckout implements billing.Provider: a subscription-mode session
// whose client_reference_id and metadata name the tenant and the tier.
func (p *Provider) CreateCheckout(ctx context.Context, r billing.CheckoutRequest) (billing.CheckoutSession, error) {
	var s checkoutSession
	if err := p.call(ctx, http.MethodPost, "/v1/checkout/sessions", url.Values{
		"mode": {"subscription"}, "customer": {r.CustomerID}, "client_reference_id": {r.TenantID},
		"line_items[0][price]": {r.PriceID}, "line_items[0][quantity]": {"1"},
		"success_url": {r.SuccessURL}, "cancel_url": {r.CancelURL},
		"subscription_data[metadata][tenant_id]": {r.TenantID}, "subscription_data[metadata][tier]": {string(r.Tier)},
		"metadata[tenant_id]": {r.TenantID}, "metadata[tier]": {string(r.Tier)},
	}, &s); err != nil {
		return billing.CheckoutSession{}, err
	}
	return billing.CheckoutSession{ID: s.ID, URL: s.URL}, nil
}

func subscription(s *subscriptionObject) billing.Subscription {
	out := billing.Subscription{ID: s.ID, Status: s.Status}
	if s.Items != nil && len(s.Items.Data) > 0 {
		out.ItemID = s.Items.Data[0].ID
		if e := s.Items.Data[0].CurrentPeriodEnd; e > 0 {
			out.PeriodEnd = time.Unix(e, 0).UTC()
		}
	}
	return out
}

// Subscription implements billing.Provider.
func (p *Provider) Subscription(ctx context.Context, id string) (billing.Subscription, error) {
	var s subscriptionObject
	if err := p.call(ctx, http.MethodGet, "/v1/subscriptions/"+url.PathEscape(id), nil, &s); err != nil {
		return billing.Subscription{}, err
	}
	return subscription(&s), nil
}

// ChangePrice implements billing.Provider: prorated, and the proration is
// invoiced at once (an upgrade is paid now, a downgrade credited now).
func (p *Provider) ChangePrice(ctx context.Context, subscriptionID, itemID, priceID string) (billing.Subscription, error) {
	var s subscriptionObject
	if err := p.call(ctx, http.MethodPost, "/v1/subscriptions/"+url.PathEscape(subscriptionID), url.Values{
		"items[0][id]": {itemID}, "items[0][price]": {priceID}, "proration_behavior": {"always_invoice"},
	}, &s); err != nil {
		return billing.Subscription{}, err
	}
	return subscription(&s), nil
}

// Cancel implements billing.Provider: now, with the unused time prorated.
func (p *Provider) Cancel(ctx context.Context, subscriptionID string) error {
	return p.call(ctx, http.MethodDelete, "/v1/subscriptions/"+url.PathEscape(subscriptionID),
		url.Values{"prorate": {"true"}, "invoice_now": {"true"}}, nil)
}

// Invoices implements billing.Provider (one page).
func (p *Provider) Invoices(ctx context.Context, customerID string, limit int, after string) ([]billing.Invoice, bool, error) {
	q := url.Values{"customer": {customerID}, "limit": {strconv.Itoa(limit + 1)}} // one more tells whether more follow
	if after != "" {
		q.Set("starting_after", after)
	}
	var page list[invoice]
	if err := p.call(ctx, http.MethodGet, "/v1/invoices", q, &page); err != nil {
		return nil, false, err
	}
	out := []billing.Invoice{}
	for _, inv := range page.Data {
		out = append(out, billing.Invoice{ID: inv.ID, Number: inv.Number, Status: inv.Status, AmountDue: inv.AmountDue,
			AmountPaid: inv.AmountPaid, Currency: inv.Currency, Created: unix(inv.Created),
			PeriodStart: unix(inv.PeriodStart), PeriodEnd: unix(inv.PeriodEnd), HostedURL: inv.HostedInvoiceURL, PDF: inv.InvoicePDF})
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

func unix(s int64) time.Time {
	if s <= 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}
