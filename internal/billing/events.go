package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// WebhookResult says what became of an event.
type WebhookResult struct {
	EventID string `json:"event_id"`
	Type    string `json:"type"`
	// Duplicate: the event was processed before (or is being processed):
	// nothing changed this time.
	Duplicate bool `json:"duplicate"`
	// Ignored: a type the platform does not act on.
	Ignored bool `json:"ignored,omitempty"`
}

// Webhook verifies a provider event and processes it once. A bad, missing
// or old signature is a 400 (invalid_signature) and changes nothing; a
// replayed event changes nothing; a failure releases the event so the
// provider's retry processes it again.
func (s *Service) Webhook(ctx context.Context, payload []byte, signature string) (WebhookResult, error) {
	ev, err := s.Verifier.Verify(ctx, payload, signature)
	if errors.Is(err, ErrBadSignature) {
		return WebhookResult{}, errs.Invalid("invalid_signature", "the Stripe-Signature header does not verify (bad, missing or outside the tolerance window)",
			errs.FieldError{Field: "Stripe-Signature", Reason: err.Error()})
	}
	if err != nil {
		return WebhookResult{}, errs.Invalid("invalid_event", "the event could not be read", errs.FieldError{Field: "body", Reason: err.Error()})
	}
	res := WebhookResult{EventID: ev.ID, Type: ev.Type}
	if ev.ID == "" {
		return res, errs.Field("id", "the event has no id")
	}
	first, err := s.Store.ClaimEvent(ctx, ev.ID, ev.Type, s.now())
	if err != nil {
		return res, err
	}
	if !first {
		res.Duplicate = true
		return res, nil
	}
	handled, err := s.handle(ctx, ev)
	if err != nil {
		if rerr := s.Store.ReleaseEvent(ctx, ev.ID); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return res, err
	}
	res.Ignored = !handled
	return res, s.Store.FinishEvent(ctx, ev.ID, s.now())
}

func (s *Service) handle(ctx context.Context, ev Event) (bool, error) {
	switch ev.Type {
	case EventCheckoutCompleted:
		return true, s.checkoutCompleted(ctx, ev)
	case EventInvoicePaid:
		return true, s.invoicePaid(ctx, ev)
	case EventInvoicePaymentFailed:
		return true, s.paymentFailed(ctx, ev)
	case EventSubscriptionUpdated:
		return true, s.subscriptionUpdated(ctx, ev)
	case EventSubscriptionDeleted:
		return true, s.subscriptionDeleted(ctx, ev)
	}
	return false, nil
}

// account finds the event's account by customer, else by tenant. An
// account that moved to another cell with its tenant is that cell's: here
// it is not found, and its events are answered as an unknown customer's
// (Stripe sends every event to every cell's endpoint).
func (s *Service) account(ctx context.Context, ev Event) (Account, error) {
	a, err := s.findAccount(ctx, ev)
	if err == nil && a.MovedTo != "" {
		logf(ctx, "billing: an event of an account that moved to another cell ignored", "event", ev.ID, "tenant", a.TenantID, "cell", a.MovedTo)
		return Account{}, errs.NotFound("account")
	}
	return a, err
}

func (s *Service) findAccount(ctx context.Context, ev Event) (Account, error) {
	if ev.CustomerID != "" {
		a, err := s.Store.ByCustomer(ctx, ev.CustomerID)
		if err == nil || !errs.Is(err, errs.KindNotFound) {
			return a, err
		}
	}
	if ev.TenantID != "" {
		return s.Store.Get(ctx, ev.TenantID)
	}
	return Account{}, errs.NotFound("account")
}

// checkoutCompleted: the first payment went through. The account is
// active on the tier the checkout sold; a registration is admitted (its
// onboarding starts), an active workspace moves to that tier.
func (s *Service) checkoutCompleted(ctx context.Context, ev Event) error {
	a, err := s.account(ctx, ev)
	if errs.Is(err, errs.KindNotFound) {
		logf(ctx, "billing: checkout of an unknown tenant ignored", "event", ev.ID, "tenant", ev.TenantID)
		return nil
	}
	if err != nil {
		return err
	}
	if ev.CheckoutSessionID != "" && a.CheckoutSessionID != "" && ev.CheckoutSessionID != a.CheckoutSessionID {
		logf(ctx, "billing: a superseded checkout completed", "event", ev.ID, "tenant", a.TenantID)
	}
	tier := a.CheckoutTier
	if tier == "" {
		tier = a.Tier
	}
	price, ok := tiers.PriceOf(tier)
	if !ok {
		return fmt.Errorf("checkout of %s for free tier %q", a.TenantID, tier)
	}
	now := s.now()
	if ev.SubscriptionID != "" {
		sub, err := s.Provider.Subscription(ctx, ev.SubscriptionID)
		if err != nil {
			return providerError("read the subscription", err)
		}
		a.SubscriptionID, a.SubscriptionItemID, a.CurrentPeriodEnd = ev.SubscriptionID, sub.ItemID, sub.PeriodEnd
	}
	if ev.CustomerID != "" {
		a.CustomerID = ev.CustomerID
	}
	if !a.Paying() || a.StartedAt.IsZero() || !a.CanceledAt.IsZero() {
		a.StartedAt, a.CanceledAt, a.CanceledTier = now, time.Time{}, ""
	}
	a.Status, a.Tier, a.AmountCents, a.Currency = StatusActive, tier, price.AmountCents, price.Currency
	a.CheckoutSessionID, a.CheckoutTier, a.GraceUntil, a.UpdatedAt = "", "", time.Time{}, now
	if _, err := s.Store.Put(ctx, a); err != nil {
		return err
	}
	t, err := s.Tenants.Get(ctx, a.TenantID)
	if err != nil {
		return err
	}
	switch {
	case t.Status == tenant.StatusPendingPayment:
		_, err = s.Lifecycle.Admit(ctx, t.ID, System)
	case t.Status == tenant.StatusActive && t.Tier != tier:
		_, err = s.Lifecycle.ChangeTier(ctx, t.ID, string(tier), System)
	}
	return err
}

// invoicePaid: the account is paid up; a workspace suspended for
// non-payment is let in again (a suspension Root made for another reason
// stays).
func (s *Service) invoicePaid(ctx context.Context, ev Event) error {
	a, err := s.account(ctx, ev)
	if errs.Is(err, errs.KindNotFound) {
		return nil // e.g. the first invoice, before checkout.session.completed recorded the customer
	}
	if err != nil {
		return err
	}
	if a.Status == StatusPastDue || a.Status == StatusSuspended {
		a.Status, a.GraceUntil = StatusActive, time.Time{}
	}
	if !ev.PeriodEnd.IsZero() {
		a.CurrentPeriodEnd = ev.PeriodEnd
	}
	a.UpdatedAt = s.now()
	if _, err := s.Store.Put(ctx, a); err != nil {
		return err
	}
	t, err := s.Tenants.Get(ctx, a.TenantID)
	if err != nil {
		return err
	}
	if t.Status == tenant.StatusSuspended && hasPrefix(t.StatusReason, SuspensionReason) {
		if _, err := s.Lifecycle.Reactivate(ctx, t.ID, System); err != nil && !errs.Is(err, errs.KindConflict) {
			return err
		}
	}
	return nil
}

// paymentFailed: the first failure starts the grace period (later ones
// within it change nothing) and tells the Super Admins.
func (s *Service) paymentFailed(ctx context.Context, ev Event) error {
	a, err := s.account(ctx, ev)
	if errs.Is(err, errs.KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if a.Status != StatusActive {
		return nil
	}
	now := s.now()
	a.Status, a.GraceUntil, a.UpdatedAt = StatusPastDue, now.Add(s.grace()), now
	if a, err = s.Store.Put(ctx, a); err != nil {
		return err
	}
	s.notify(ctx, a, false, fmt.Sprintf("A payment for your IssueTracker subscription failed. The workspace keeps working until %s; update the payment method or pay the open invoice before then, or the workspace is suspended.",
		a.GraceUntil.Format("2 January 2006 15:04 MST")))
	return nil
}

// subscriptionUpdated keeps the period end.
func (s *Service) subscriptionUpdated(ctx context.Context, ev Event) error {
	a, err := s.account(ctx, ev)
	if errs.Is(err, errs.KindNotFound) {
		return nil
	}
	if err != nil || ev.PeriodEnd.IsZero() || (ev.SubscriptionID != "" && ev.SubscriptionID != a.SubscriptionID) {
		return err
	}
	a.CurrentPeriodEnd, a.UpdatedAt = ev.PeriodEnd, s.now()
	_, err = s.Store.Put(ctx, a)
	return err
}

// subscriptionDeleted: the provider ended the subscription (the dunning
// retries ran out, or it was canceled in the provider's dashboard). A
// subscription the platform ended itself (a downgrade) is already canceled.
// A workspace still on a paid tier is suspended for non-payment.
func (s *Service) subscriptionDeleted(ctx context.Context, ev Event) error {
	a, err := s.account(ctx, ev)
	if errs.Is(err, errs.KindNotFound) {
		return nil
	}
	if err != nil || a.Status == StatusCanceled || (ev.SubscriptionID != "" && ev.SubscriptionID != a.SubscriptionID) {
		return err
	}
	now := s.now()
	a.Status, a.CanceledAt, a.CanceledTier, a.AmountCents, a.UpdatedAt = StatusCanceled, now, a.Tier, 0, now
	if _, err := s.Store.Put(ctx, a); err != nil {
		return err
	}
	return s.suspend(ctx, a, "the subscription was canceled")
}

// suspend suspends an active workspace for non-payment and tells its Super Admins.
func (s *Service) suspend(ctx context.Context, a Account, why string) error {
	t, err := s.Tenants.Get(ctx, a.TenantID)
	if err != nil || t.Status != tenant.StatusActive {
		return err
	}
	if _, err := s.Lifecycle.Suspend(ctx, t.ID, SuspensionReason+": "+why, System); err != nil && !errs.Is(err, errs.KindConflict) {
		return err
	}
	s.notify(ctx, a, true, "Your IssueTracker workspace is suspended because "+why+". Pay the open invoice to let your people in again; your data is kept.")
	return nil
}

// notify mails the account's contacts; failures are logged only.
func (s *Service) notify(ctx context.Context, a Account, suspended bool, text string) {
	if s.Mail == nil || s.Contacts == nil {
		return
	}
	t, err := s.Tenants.Get(ctx, a.TenantID)
	if err != nil {
		return
	}
	to, err := s.Contacts(ctx, t)
	if err != nil {
		logf(ctx, "billing: no contacts for a notice", "tenant", a.TenantID, "err", err)
		return
	}
	until := ""
	if !suspended && !a.GraceUntil.IsZero() {
		until = a.GraceUntil.Format(time.RFC1123)
	}
	for _, addr := range to {
		m, err := mail.BillingNotice{To: addr, Company: t.Name, Suspended: suspended, Text: text, Until: until,
			BillingURL: mail.WorkspaceURL(s.WebBaseURL, t.ID, "settings/billing")}.Message()
		if err == nil {
			err = s.Mail.Send(ctx, m)
		}
		if err != nil {
			logf(ctx, "billing: notice not sent", "tenant", a.TenantID, "err", err)
		}
	}
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
