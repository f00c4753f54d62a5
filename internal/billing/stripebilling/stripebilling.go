// Package stripebilling is the billing provider on Stripe, with stripe-go:
// customers, hosted Checkout for subscriptions, prorated plan changes,
// invoices, and webhook signature verification with a tolerance window
// (stripe-go's webhook package). In AWS it talks to Stripe; locally and in
// the tests to the official stripe-mock, which checks every request
// against Stripe's API definition (APIBase).
package stripebilling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"
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
	client *stripe.Client
	prices map[string]string // lookup key -> price id, once per process
}

var _ billing.Provider = (*Provider)(nil)

func (p *Provider) sc(ctx context.Context) (*stripe.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client != nil {
		return p.client, nil
	}
	key, err := p.Key(ctx)
	if err != nil {
		return nil, fmt.Errorf("stripe api key: %w", err)
	}
	hc := p.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	cfg := &stripe.BackendConfig{HTTPClient: hc, MaxNetworkRetries: stripe.Int64(2),
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelError}}
	if p.APIBase != "" {
		cfg.URL = stripe.String(p.APIBase)
	}
	p.client = stripe.NewClient(key, stripe.WithBackends(stripe.NewBackendsWithConfig(cfg)))
	return p.client, nil
}

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
	sc, err := p.sc(ctx)
	if err != nil {
		return "", err
	}
	for pr, err := range sc.V1Prices.List(ctx, &stripe.PriceListParams{LookupKeys: []*string{stripe.String(price.LookupKey)}, Active: stripe.Bool(true)}) {
		if err != nil {
			return "", err
		}
		if pr.LookupKey == price.LookupKey {
			id = pr.ID
			break
		}
	}
	if id == "" {
		tr := tiers.MustGet(price.Tier)
		pr, err := sc.V1Prices.Create(ctx, &stripe.PriceCreateParams{
			Currency: stripe.String(price.Currency), UnitAmount: stripe.Int64(price.AmountCents),
			Recurring:   &stripe.PriceCreateRecurringParams{Interval: stripe.String(price.Interval)},
			LookupKey:   stripe.String(price.LookupKey),
			ProductData: &stripe.PriceCreateProductDataParams{Name: stripe.String("IssueTracker " + tr.DisplayName)},
			Params:      stripe.Params{Metadata: map[string]string{"tier": string(price.Tier)}},
		})
		if err != nil {
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
	sc, err := p.sc(ctx)
	if err != nil {
		return "", err
	}
	params := &stripe.CustomerCreateParams{Name: stripe.String(name), Params: stripe.Params{Metadata: map[string]string{"tenant_id": tenantID}}}
	if email != "" {
		params.Email = stripe.String(email)
	}
	c, err := sc.V1Customers.Create(ctx, params)
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

// CreateCheckout implements billing.Provider: a subscription-mode session
// whose client_reference_id and metadata name the tenant and the tier.
func (p *Provider) CreateCheckout(ctx context.Context, r billing.CheckoutRequest) (billing.CheckoutSession, error) {
	sc, err := p.sc(ctx)
	if err != nil {
		return billing.CheckoutSession{}, err
	}
	meta := map[string]string{"tenant_id": r.TenantID, "tier": string(r.Tier)}
	s, err := sc.V1CheckoutSessions.Create(ctx, &stripe.CheckoutSessionCreateParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModeSubscription)),
		Customer:          stripe.String(r.CustomerID),
		ClientReferenceID: stripe.String(r.TenantID),
		LineItems:         []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(r.PriceID), Quantity: stripe.Int64(1)}},
		SuccessURL:        stripe.String(r.SuccessURL),
		CancelURL:         stripe.String(r.CancelURL),
		SubscriptionData:  &stripe.CheckoutSessionCreateSubscriptionDataParams{Metadata: meta},
		Params:            stripe.Params{Metadata: meta},
	})
	if err != nil {
		return billing.CheckoutSession{}, err
	}
	return billing.CheckoutSession{ID: s.ID, URL: s.URL}, nil
}

func subscription(s *stripe.Subscription) billing.Subscription {
	out := billing.Subscription{ID: s.ID, Status: string(s.Status)}
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
	sc, err := p.sc(ctx)
	if err != nil {
		return billing.Subscription{}, err
	}
	s, err := sc.V1Subscriptions.Retrieve(ctx, id, nil)
	if err != nil {
		return billing.Subscription{}, err
	}
	return subscription(s), nil
}

// ChangePrice implements billing.Provider: prorated, and the proration is
// invoiced at once (an upgrade is paid now, a downgrade credited now).
func (p *Provider) ChangePrice(ctx context.Context, subscriptionID, itemID, priceID string) (billing.Subscription, error) {
	sc, err := p.sc(ctx)
	if err != nil {
		return billing.Subscription{}, err
	}
	s, err := sc.V1Subscriptions.Update(ctx, subscriptionID, &stripe.SubscriptionUpdateParams{
		Items:             []*stripe.SubscriptionUpdateItemParams{{ID: stripe.String(itemID), Price: stripe.String(priceID)}},
		ProrationBehavior: stripe.String("always_invoice"),
	})
	if err != nil {
		return billing.Subscription{}, err
	}
	return subscription(s), nil
}

// Cancel implements billing.Provider: now, with the unused time prorated.
func (p *Provider) Cancel(ctx context.Context, subscriptionID string) error {
	sc, err := p.sc(ctx)
	if err != nil {
		return err
	}
	_, err = sc.V1Subscriptions.Cancel(ctx, subscriptionID, &stripe.SubscriptionCancelParams{Prorate: stripe.Bool(true), InvoiceNow: stripe.Bool(true)})
	return err
}

// Invoices implements billing.Provider (one page).
func (p *Provider) Invoices(ctx context.Context, customerID string, limit int, after string) ([]billing.Invoice, bool, error) {
	sc, err := p.sc(ctx)
	if err != nil {
		return nil, false, err
	}
	params := &stripe.InvoiceListParams{Customer: stripe.String(customerID)}
	params.Limit = stripe.Int64(int64(limit + 1)) // one more tells whether more follow
	params.Single = true
	if after != "" {
		params.StartingAfter = stripe.String(after)
	}
	out := []billing.Invoice{}
	for inv, err := range sc.V1Invoices.List(ctx, params) {
		if err != nil {
			return nil, false, err
		}
		out = append(out, billing.Invoice{ID: inv.ID, Number: inv.Number, Status: string(inv.Status), AmountDue: inv.AmountDue,
			AmountPaid: inv.AmountPaid, Currency: string(inv.Currency), Created: unix(inv.Created),
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

// Verifier implements billing.Verifier with stripe-go's webhook package.
type Verifier struct {
	// Secret returns the endpoint's signing secret (lazily, in AWS).
	Secret func(ctx context.Context) (string, error)
	// Tolerance of the signature's timestamp; webhook.DefaultTolerance (5 min) if zero.
	Tolerance time.Duration
}

// Verify implements billing.Verifier.
func (v Verifier) Verify(ctx context.Context, payload []byte, signature string) (billing.Event, error) {
	secret, err := v.Secret(ctx)
	if err != nil {
		return billing.Event{}, fmt.Errorf("webhook secret: %w", err)
	}
	tol := v.Tolerance
	if tol == 0 {
		tol = webhook.DefaultTolerance
	}
	ev, err := webhook.ConstructEventWithOptions(payload, signature, secret, webhook.ConstructEventOptions{Tolerance: tol})
	switch {
	case errors.Is(err, webhook.ErrNotSigned), errors.Is(err, webhook.ErrInvalidHeader),
		errors.Is(err, webhook.ErrNoValidSignature), errors.Is(err, webhook.ErrTooOld):
		return billing.Event{}, fmt.Errorf("%w: %v", billing.ErrBadSignature, err)
	case err != nil:
		return billing.Event{}, err
	}
	return read(ev)
}

// read turns a Stripe event into the domain's Event.
func read(ev stripe.Event) (billing.Event, error) {
	out := billing.Event{ID: ev.ID, Type: string(ev.Type), Created: unix(ev.Created)}
	if ev.Data == nil {
		return out, errors.New("event without data")
	}
	raw := ev.Data.Raw
	switch out.Type {
	case billing.EventCheckoutCompleted:
		var s stripe.CheckoutSession
		if err := json.Unmarshal(raw, &s); err != nil {
			return out, err
		}
		out.CheckoutSessionID, out.TenantID = s.ID, s.ClientReferenceID
		if out.TenantID == "" {
			out.TenantID = s.Metadata["tenant_id"]
		}
		if s.Customer != nil {
			out.CustomerID = s.Customer.ID
		}
		if s.Subscription != nil {
			out.SubscriptionID = s.Subscription.ID
		}
	case billing.EventInvoicePaid, billing.EventInvoicePaymentFailed:
		var inv stripe.Invoice
		if err := json.Unmarshal(raw, &inv); err != nil {
			return out, err
		}
		out.InvoiceID, out.AmountPaid, out.PeriodEnd = inv.ID, inv.AmountPaid, unix(inv.PeriodEnd)
		if inv.Customer != nil {
			out.CustomerID = inv.Customer.ID
		}
		if inv.Parent != nil && inv.Parent.SubscriptionDetails != nil {
			out.TenantID = inv.Parent.SubscriptionDetails.Metadata["tenant_id"]
			if inv.Parent.SubscriptionDetails.Subscription != nil {
				out.SubscriptionID = inv.Parent.SubscriptionDetails.Subscription.ID
			}
		}
	case billing.EventSubscriptionUpdated, billing.EventSubscriptionDeleted:
		var s stripe.Subscription
		if err := json.Unmarshal(raw, &s); err != nil {
			return out, err
		}
		sub := subscription(&s)
		out.SubscriptionID, out.SubscriptionStatus, out.PeriodEnd, out.TenantID = s.ID, sub.Status, sub.PeriodEnd, s.Metadata["tenant_id"]
		if s.Customer != nil {
			out.CustomerID = s.Customer.ID
		}
	}
	return out, nil
}
