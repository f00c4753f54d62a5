package stripebilling

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/billing"
)

// DefaultTolerance is how old a webhook's signature may be (stripe-go's
// webhook.DefaultTolerance).
const DefaultTolerance = 300 * time.Second

// The ways a Stripe-Signature header is refused (stripe-go's webhook
// errors, with their messages); each wraps billing.ErrBadSignature.
var (
	ErrNotSigned        = errors.New("webhook has no Stripe-Signature header")
	ErrInvalidHeader    = errors.New("webhook has invalid Stripe-Signature header")
	ErrNoValidSignature = errors.New("webhook had no valid signature")
	ErrTooOld           = errors.New("timestamp wasn't within tolerance")
)

// Verifier implements billing.Verifier: Stripe's v1 webhook signature
// (HMAC-SHA256 of "<t>.<payload>" with the endpoint's secret), as
// stripe-go's webhook.ConstructEventWithOptions checks it: any of the
// header's v1 signatures may match (a rolled secret sends two), a
// timestamp older than the tolerance is refused, and an event of another
// API release train than APIVersion's is an error.
type Verifier struct {
	// Secret returns the endpoint's signing secret (lazily, in AWS).
	Secret func(ctx context.Context) (string, error)
	// Tolerance of the signature's timestamp; DefaultTolerance (5 min) if zero.
	Tolerance time.Duration
	// Now is the clock (time.Now if nil).
	Now func() time.Time
}

// Verify implements billing.Verifier.
func (v Verifier) Verify(ctx context.Context, payload []byte, signature string) (billing.Event, error) {
	secret, err := v.Secret(ctx)
	if err != nil {
		return billing.Event{}, fmt.Errorf("webhook secret: %w", err)
	}
	tol := v.Tolerance
	if tol == 0 {
		tol = DefaultTolerance
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if err := checkSignature(payload, signature, secret, tol, now()); err != nil {
		return billing.Event{}, fmt.Errorf("%w: %w", billing.ErrBadSignature, err)
	}
	var ev event
	if err := json.Unmarshal(payload, &ev); err != nil {
		return billing.Event{}, fmt.Errorf("Failed to parse webhook body json: %s", err.Error())
	}
	if !sameReleaseTrain(APIVersion, ev.APIVersion) {
		return billing.Event{}, fmt.Errorf("received event with API version %s, expected the release train of %s", ev.APIVersion, APIVersion)
	}
	return read(ev)
}

// checkSignature is stripe-go's validatePayload.
func checkSignature(payload []byte, header, secret string, tolerance time.Duration, now time.Time) error {
	if header == "" {
		return ErrNotSigned
	}
	var at time.Time
	var sigs [][]byte
	for _, pair := range strings.Split(header, ",") {
		parts := strings.Split(pair, "=")
		if len(parts) != 2 {
			return ErrInvalidHeader
		}
		switch parts[0] {
		case "t":
			ts, err := strconv.ParseInt(parts[1], 10, 64)
			if err != nil {
				return ErrInvalidHeader
			}
			at = time.Unix(ts, 0)
		case "v1":
			if sig, err := hex.DecodeString(parts[1]); err == nil {
				sigs = append(sigs, sig)
			}
		}
	}
	if len(sigs) == 0 {
		return ErrNoValidSignature
	}
	if now.Sub(at) > tolerance {
		return ErrTooOld
	}
	want := computeSignature(at, payload, secret)
	for _, sig := range sigs {
		if hmac.Equal(want, sig) {
			return nil
		}
	}
	return ErrNoValidSignature
}

func computeSignature(t time.Time, payload []byte, secret string) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(t.Unix(), 10)))
	mac.Write([]byte("."))
	mac.Write(payload)
	return mac.Sum(nil)
}

// sameReleaseTrain is stripe-go's isCompatibleAPIVersion: versions are
// yyyy-mm-dd.train; a preview train must match exactly.
func sameReleaseTrain(ours, theirs string) bool {
	_, train, ok := strings.Cut(theirs, ".")
	if !ok {
		return false
	}
	_, mine, _ := strings.Cut(ours, ".")
	if mine == "preview" {
		return ours == theirs
	}
	return strings.Split(train, ".")[0] == strings.Split(mine, ".")[0]
}

// event is a webhook's envelope.
type event struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Created    int64  `json:"created"`
	APIVersion string `json:"api_version"`
	Data       *struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// read turns a Stripe event into the domain's Event.
func read(ev event) (billing.Event, error) {
	out := billing.Event{ID: ev.ID, Type: ev.Type, Created: unix(ev.Created)}
	if ev.Data == nil {
		return out, errors.New("event without data")
	}
	raw := ev.Data.Object
	switch out.Type {
	case billing.EventCheckoutCompleted:
		var s checkoutSession
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
		var inv invoice
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
		var s subscriptionObject
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
