// Package billing is what the platform charges for: each tenant on a paid
// tier is a customer of the billing provider with a subscription to its
// tier's price (tiers.PriceOf; Basic is free and has none). A paid tier at
// registration goes through the provider's hosted checkout and waits in
// pending_payment until the provider confirms; tier changes are prorated;
// the provider's events (a signed webhook, each processed once) drive
// invoice paid / payment failed -> grace period -> suspension ->
// reactivation on payment. Root sees MRR and churn per tier.
//
// No card data ever touches the platform: the provider's checkout page
// takes the card, the platform keeps ids and amounts only. The provider is
// an interface (Provider, Verifier); package stripebilling implements it
// with stripe-go, talking to Stripe in AWS and to stripe-mock locally.
package billing

import (
	"context"
	"time"

	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Status is where a tenant's subscription stands.
type Status string

const (
	// StatusFree: no subscription (Basic, or never paid).
	StatusFree Status = "free"
	// StatusCheckout: a checkout session is open; nothing is paid yet.
	StatusCheckout Status = "checkout_pending"
	// StatusActive: paid up.
	StatusActive Status = "active"
	// StatusPastDue: a payment failed; the workspace works until GraceUntil.
	StatusPastDue Status = "past_due"
	// StatusSuspended: the grace period ran out; the workspace is suspended
	// until an invoice is paid.
	StatusSuspended Status = "suspended"
	// StatusCanceled: the subscription ended (downgrade to Basic, or the
	// provider canceled it).
	StatusCanceled Status = "canceled"
)

// Account is a tenant's billing record.
type Account struct {
	TenantID string     `json:"tenant_id"`
	Tier     tiers.Name `json:"tier"` // the tier billed
	Status   Status     `json:"status"`
	// CustomerID, SubscriptionID and SubscriptionItemID are the provider's ids.
	CustomerID         string `json:"customer_id,omitempty"`
	SubscriptionID     string `json:"subscription_id,omitempty"`
	SubscriptionItemID string `json:"-"`
	// CheckoutSessionID and CheckoutTier describe the open checkout.
	CheckoutSessionID string     `json:"-"`
	CheckoutTier      tiers.Name `json:"checkout_tier,omitempty"`
	// AmountCents is the monthly amount billed (the tenant's MRR).
	AmountCents      int64     `json:"amount_cents"`
	Currency         string    `json:"currency,omitempty"`
	GraceUntil       time.Time `json:"grace_until,omitzero"`
	CurrentPeriodEnd time.Time `json:"current_period_end,omitzero"`
	// StartedAt is when the current subscription started; CanceledAt and
	// CanceledTier when and from which tier it ended (churn).
	StartedAt    time.Time  `json:"started_at,omitzero"`
	CanceledAt   time.Time  `json:"canceled_at,omitzero"`
	CanceledTier tiers.Name `json:"canceled_tier,omitempty"`
	UpdatedAt    time.Time  `json:"updated_at"`
	Version      int64      `json:"version"`
	// MovedTo is the cell the account moved to with its tenant (a move
	// between cells): here it is a tombstone until the move's retirement
	// deletes it. Events of its customer are another cell's, it is in no
	// list (figures, closes, dunning), and nothing writes it.
	MovedTo string `json:"-"`
}

// Paying reports whether the account contributes to MRR (paid, or in its
// grace period).
func (a Account) Paying() bool { return a.Status == StatusActive || a.Status == StatusPastDue }

// Invoice is one of the provider's invoices, as a Super Admin sees it.
type Invoice struct {
	ID          string    `json:"id"`
	Number      string    `json:"number,omitempty"`
	Status      string    `json:"status"`
	AmountDue   int64     `json:"amount_due"`
	AmountPaid  int64     `json:"amount_paid"`
	Currency    string    `json:"currency"`
	Created     time.Time `json:"created"`
	PeriodStart time.Time `json:"period_start,omitzero"`
	PeriodEnd   time.Time `json:"period_end,omitzero"`
	// HostedURL and PDF are the provider's pages (pay, download).
	HostedURL string `json:"hosted_invoice_url,omitempty"`
	PDF       string `json:"invoice_pdf,omitempty"`
}

// CheckoutRequest asks the provider for a hosted checkout page.
type CheckoutRequest struct {
	TenantID   string
	Tier       tiers.Name
	CustomerID string
	PriceID    string
	SuccessURL string
	CancelURL  string
}

// CheckoutSession is an open checkout page.
type CheckoutSession struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// Subscription is the provider's subscription as far as the platform cares.
type Subscription struct {
	ID        string
	ItemID    string
	Status    string
	PeriodEnd time.Time
}

// Provider is the billing provider's API (stripebilling.Provider).
type Provider interface {
	// PriceID finds (or creates) the provider's price of p by its lookup key.
	PriceID(ctx context.Context, p tiers.Price) (string, error)
	// CreateCustomer creates the tenant's customer (metadata tenant_id).
	CreateCustomer(ctx context.Context, tenantID, name, email string) (string, error)
	// CreateCheckout opens a hosted checkout for a subscription.
	CreateCheckout(ctx context.Context, r CheckoutRequest) (CheckoutSession, error)
	// Subscription reads a subscription.
	Subscription(ctx context.Context, id string) (Subscription, error)
	// ChangePrice moves a subscription item to another price, prorated and
	// invoiced at once.
	ChangePrice(ctx context.Context, subscriptionID, itemID, priceID string) (Subscription, error)
	// Cancel ends a subscription now, prorated.
	Cancel(ctx context.Context, subscriptionID string) error
	// Invoices lists a customer's invoices, newest first, after the
	// invoice id startingAfter; more reports whether more follow.
	Invoices(ctx context.Context, customerID string, limit int, startingAfter string) (invs []Invoice, more bool, err error)
}

// Event types the platform acts on (the provider's names).
const (
	EventCheckoutCompleted    = "checkout.session.completed"
	EventInvoicePaid          = "invoice.paid"
	EventInvoicePaymentFailed = "invoice.payment_failed"
	EventSubscriptionUpdated  = "customer.subscription.updated"
	EventSubscriptionDeleted  = "customer.subscription.deleted"
)

// Event is a verified provider event as the domain reads it.
type Event struct {
	ID      string
	Type    string
	Created time.Time
	// TenantID comes from the checkout's client_reference_id or metadata.
	TenantID           string
	CustomerID         string
	SubscriptionID     string
	CheckoutSessionID  string
	InvoiceID          string
	SubscriptionStatus string
	PeriodEnd          time.Time
	AmountPaid         int64
}

// Verifier checks a webhook's signature and reads its event. Errors are
// ErrBadSignature (bad, missing or too old): the webhook answers 400.
type Verifier interface {
	Verify(ctx context.Context, payload []byte, signature string) (Event, error)
}

// Store keeps accounts and processed events (billingdb).
type Store interface {
	// Get returns the tenant's account or not_found (account_not_found).
	Get(ctx context.Context, tenantID string) (Account, error)
	// Put writes the account if its Version is still the stored one (0: new);
	// precondition_failed otherwise. A new CustomerID is indexed.
	Put(ctx context.Context, a Account) (Account, error)
	// ByCustomer finds the account of a provider customer (not_found).
	ByCustomer(ctx context.Context, customerID string) (Account, error)
	// List returns every account (Root's figures, the jobs).
	List(ctx context.Context) ([]Account, error)
	// ClaimEvent marks an event as being processed: false when it was
	// processed already or is being processed (a claim older than the
	// lease is taken over). FinishEvent records it done; ReleaseEvent
	// forgets a claim whose processing failed (the provider retries).
	ClaimEvent(ctx context.Context, id, typ string, now time.Time) (bool, error)
	FinishEvent(ctx context.Context, id string, now time.Time) error
	ReleaseEvent(ctx context.Context, id string) error
	// PutClose stores a month's close; Closes lists them, newest first.
	PutClose(ctx context.Context, c MonthClose) error
	Closes(ctx context.Context, limit int) ([]MonthClose, error)
}
