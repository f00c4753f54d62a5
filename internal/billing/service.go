package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// DefaultGrace is how long a workspace keeps working after a failed payment.
const DefaultGrace = 7 * 24 * time.Hour

// SuspensionReason starts the status reason of a suspension for
// non-payment: only such a suspension is lifted by a payment.
const SuspensionReason = "payment_overdue"

// ErrBadSignature is a webhook whose signature is missing, wrong or too old.
var ErrBadSignature = errors.New("bad webhook signature")

// Lifecycle is the tenant lifecycle billing drives (onboarding.Service).
type Lifecycle interface {
	Admit(ctx context.Context, tenantID string, by audit.Actor) (tenant.Tenant, error)
	Suspend(ctx context.Context, tenantID, reason string, by audit.Actor) (tenant.Tenant, error)
	Reactivate(ctx context.Context, tenantID string, by audit.Actor) (tenant.Tenant, error)
	ChangeTier(ctx context.Context, tenantID, to string, by audit.Actor) (tenant.Tenant, error)
}

// Contacts finds who is billed: the company and its Super Admins' (or, for
// a registration, the admin's) addresses.
type Contacts func(ctx context.Context, t tenant.Tenant) (emails []string, err error)

// Service is billing as callers see it.
type Service struct {
	Provider  Provider
	Verifier  Verifier
	Store     Store
	Tenants   tenant.Registry
	Lifecycle Lifecycle
	Contacts  Contacts
	Mail      mail.Sender // optional: payment notices
	// WebBaseURL is the web app (checkout return pages, links in mails).
	WebBaseURL string
	// Grace after a failed payment; DefaultGrace if zero.
	Grace time.Duration
	Now   func() time.Time
	// Here reports whether a tenant is housed in this cell (the global
	// directory); the jobs skip an account whose tenant is not (nil: one
	// cell, every tenant is).
	Here func(ctx context.Context, tenantID string) (bool, error)
}

// System is the actor of what the provider's events and the jobs do.
var System = audit.Actor{Kind: audit.ActorSystem, ID: "billing"}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) grace() time.Duration {
	if s.Grace > 0 {
		return s.Grace
	}
	return DefaultGrace
}

// Account returns the tenant's account; a tenant that never had one is free.
func (s *Service) Account(ctx context.Context, t tenant.Tenant) (Account, error) {
	a, err := s.Store.Get(ctx, t.ID)
	if errs.Is(err, errs.KindNotFound) {
		return Account{TenantID: t.ID, Tier: t.Tier, Status: StatusFree}, nil
	}
	return a, err
}

func web(base, path string) string { return strings.TrimRight(base, "/") + path }

// checkout opens a checkout for tenant t to buy tier, creating its customer
// first if needed, and records it on the account.
func (s *Service) checkout(ctx context.Context, t tenant.Tenant, tier tiers.Name, success, cancel string) (CheckoutSession, error) {
	price, ok := tiers.PriceOf(tier)
	if !ok {
		return CheckoutSession{}, errs.Field("tier", fmt.Sprintf("%s is free: no checkout needed", tier))
	}
	a, err := s.Account(ctx, t)
	if err != nil {
		return CheckoutSession{}, err
	}
	if a.CustomerID == "" {
		emails, err := s.Contacts(ctx, t)
		if err != nil {
			return CheckoutSession{}, err
		}
		email := ""
		if len(emails) > 0 {
			email = emails[0]
		}
		if a.CustomerID, err = s.Provider.CreateCustomer(ctx, t.ID, t.Name, email); err != nil {
			return CheckoutSession{}, providerError("create customer", err)
		}
	}
	priceID, err := s.Provider.PriceID(ctx, price)
	if err != nil {
		return CheckoutSession{}, providerError("find price", err)
	}
	cs, err := s.Provider.CreateCheckout(ctx, CheckoutRequest{TenantID: t.ID, Tier: tier, CustomerID: a.CustomerID, PriceID: priceID,
		SuccessURL: success, CancelURL: cancel})
	if err != nil {
		return CheckoutSession{}, providerError("create checkout", err)
	}
	a.CheckoutSessionID, a.CheckoutTier, a.UpdatedAt = cs.ID, tier, s.now()
	if a.Status == StatusFree || a.Status == StatusCanceled {
		a.Status = StatusCheckout
	}
	if _, err := s.Store.Put(ctx, a); err != nil {
		return CheckoutSession{}, err
	}
	return cs, nil
}

func providerError(op string, err error) error {
	if e := errs.As(err); e.Kind != errs.KindInternal {
		return err
	}
	e := errs.E(errs.KindInternal, "billing_provider_error", "the billing provider failed to %s; try again", op)
	e.Err = err
	return e
}

// Registrant is the registration tenantID when statusToken is its status
// token; not_found otherwise, as for an id nobody registered. The checkout
// route asks it before counting an attempt against the registration's
// checkout limit, so a stranger cannot spend the registrant's budget.
func (s *Service) Registrant(ctx context.Context, tenantID, statusToken string) (tenant.Tenant, error) {
	t, err := s.Tenants.Get(ctx, tenantID)
	if err != nil || t.Status == tenant.StatusDeleted || !t.RegistrationTokenIs(statusToken) {
		return tenant.Tenant{}, errs.NotFound("registration")
	}
	return t, nil
}

// RegistrantCheckout opens the checkout of a paid-tier registration that
// waits for its first payment, found by Registrant; conflict
// registration_not_pending_payment when it waits for nothing.
func (s *Service) RegistrantCheckout(ctx context.Context, t tenant.Tenant) (CheckoutSession, error) {
	if t.Status != tenant.StatusPendingPayment {
		return CheckoutSession{}, errs.Conflict("registration_not_pending_payment", fmt.Sprintf("%s is %s: there is nothing to pay for now", t.ID, t.Status))
	}
	return s.checkout(ctx, t, t.Tier, web(s.WebBaseURL, "/signup/"+t.ID+"?checkout=done"), web(s.WebBaseURL, "/signup/"+t.ID+"?checkout=canceled"))
}

// Upgrade opens a checkout for an active workspace without a subscription
// (Basic) that moves to a paid pooled tier; its tier changes when the
// provider confirms the payment.
func (s *Service) Upgrade(ctx context.Context, tenantID string, to string) (CheckoutSession, error) {
	tier, err := tiers.Parse(to)
	if err != nil {
		return CheckoutSession{}, errs.Field("tier", err.Error())
	}
	t, err := s.Tenants.Get(ctx, tenantID)
	if err != nil {
		return CheckoutSession{}, err
	}
	if t.Status != tenant.StatusActive {
		return CheckoutSession{}, errs.Conflict("tenant_not_active", fmt.Sprintf("%s is %s", t.ID, t.Status))
	}
	if tiers.MustGet(tier).Isolation != tiers.Pooled {
		return CheckoutSession{}, errs.E(errs.KindUnprocessable, "tier_change_needs_migration",
			"moving to %s needs its own stack and a data migration: contact the provider", tier)
	}
	a, err := s.Account(ctx, t)
	if err != nil {
		return CheckoutSession{}, err
	}
	if a.Paying() {
		return CheckoutSession{}, errs.Conflict("subscription_exists", "the workspace has a subscription: change its plan with PUT /v1/billing/plan")
	}
	if tier == t.Tier {
		return CheckoutSession{}, errs.Conflict("tier_unchanged", fmt.Sprintf("%s is already on %s", t.ID, tier))
	}
	page := web(s.WebBaseURL, "/w/"+t.ID+"/settings/billing")
	return s.checkout(ctx, t, tier, page+"?checkout=done", page+"?checkout=canceled")
}

// ChangePlan moves a subscribed workspace to another tier: a paid tier
// swaps the subscription's price (prorated, invoiced at once), Basic
// cancels the subscription (prorated). A workspace without a subscription
// buys one through Upgrade (conflict checkout_required).
func (s *Service) ChangePlan(ctx context.Context, tenantID, to string, by audit.Actor) (Account, error) {
	tier, err := tiers.Parse(to)
	if err != nil {
		return Account{}, errs.Field("tier", err.Error())
	}
	t, err := s.Tenants.Get(ctx, tenantID)
	if err != nil {
		return Account{}, err
	}
	if tier == t.Tier {
		return Account{}, errs.Conflict("tier_unchanged", fmt.Sprintf("%s is already on %s", t.ID, tier))
	}
	if tiers.MustGet(tier).Isolation != tiers.Pooled || tiers.MustGet(t.Tier).Isolation != tiers.Pooled {
		return Account{}, errs.E(errs.KindUnprocessable, "tier_change_needs_migration",
			"moving between %s and the pooled tiers moves your data to another home (an online migration the provider runs): contact the provider", tiers.Platinum)
	}
	a, err := s.Account(ctx, t)
	if err != nil {
		return a, err
	}
	if !a.Paying() || a.SubscriptionID == "" {
		if tiers.MustGet(tier).Free() {
			return a, errs.Conflict("tier_unchanged", fmt.Sprintf("%s has no subscription to end", t.ID))
		}
		return a, errs.Conflict("checkout_required", "the workspace has no subscription: start one with POST /v1/billing/checkout")
	}
	now := s.now()
	if price, paid := tiers.PriceOf(tier); paid {
		priceID, err := s.Provider.PriceID(ctx, price)
		if err != nil {
			return a, providerError("find price", err)
		}
		sub, err := s.Provider.ChangePrice(ctx, a.SubscriptionID, a.SubscriptionItemID, priceID)
		if err != nil {
			return a, providerError("change the subscription", err)
		}
		a.SubscriptionItemID, a.Tier, a.AmountCents = sub.ItemID, tier, price.AmountCents
		if !sub.PeriodEnd.IsZero() {
			a.CurrentPeriodEnd = sub.PeriodEnd
		}
	} else {
		if err := s.Provider.Cancel(ctx, a.SubscriptionID); err != nil {
			return a, providerError("cancel the subscription", err)
		}
		a.Status, a.CanceledAt, a.CanceledTier = StatusCanceled, now, a.Tier
		a.Tier, a.AmountCents, a.GraceUntil = tier, 0, time.Time{}
	}
	a.UpdatedAt = now
	if a, err = s.Store.Put(ctx, a); err != nil {
		return a, err
	}
	if _, err := s.Lifecycle.ChangeTier(ctx, tenantID, string(tier), by); err != nil {
		return a, err
	}
	return a, nil
}

// Invoices lists the tenant's invoices (none without a customer).
func (s *Service) Invoices(ctx context.Context, tenantID string, limit int, after string) ([]Invoice, bool, error) {
	a, err := s.Store.Get(ctx, tenantID)
	if errs.Is(err, errs.KindNotFound) || (err == nil && a.CustomerID == "") {
		return []Invoice{}, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	invs, more, err := s.Provider.Invoices(ctx, a.CustomerID, limit, after)
	if err != nil {
		return nil, false, providerError("list invoices", err)
	}
	return invs, more, nil
}

// logf logs what the provider's events and the jobs did.
func logf(ctx context.Context, msg string, args ...any) { slog.InfoContext(ctx, msg, args...) }
