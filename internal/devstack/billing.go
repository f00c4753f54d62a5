package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsconfig"
	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/billing/billingdb"
	"github.com/issuetracker/issuetracker/internal/billing/stripebilling"
	"github.com/issuetracker/issuetracker/internal/schema"
)

// LOCAL ONLY. stripe-mock keeps no state and hosts no checkout page, so the
// local platform cannot be paid the way Stripe is. These helpers stand in
// for Stripe's side: they sign events with the local platform's webhook
// secret (which only `make dev` knows; a deployed platform's secret is in
// Secrets Manager) exactly as Stripe signs them, and post them to the
// platform's own public webhook, so the same code path runs as in AWS. The
// CLI's `issuetracker billing ...` commands call them.

// DevWebhookSecret is the local platform's webhook signing secret.
const DevWebhookSecret = "whsec_local_dev_only_not_a_stripe_secret"

// DevGrace is the local grace period after a failed payment (ITR_BILLING_GRACE
// moves it), short so a developer sees the suspension within minutes.
const DevGrace = 2 * time.Minute

// BillingSweepInterval is how often the local platform runs the hourly
// billing job (AWS: EventBridge Scheduler, every hour).
const BillingSweepInterval = 10 * time.Second

// BillingEvents are the events `issuetracker billing event` can send.
var BillingEvents = []string{"checkout-completed", "payment-failed", "invoice-paid", "subscription-deleted"}

// SendBillingEvent signs an event of kind (one of BillingEvents) for the
// tenant's billing account, as Stripe would send it, and posts it to the
// local platform's webhook. It returns the webhook's answer.
func SendBillingEvent(ctx context.Context, p Platform, tenantID, kind string) (int, string, error) {
	e := awsx.Endpoints{DynamoDB: p.DynamoDBEndpoint, Cognito: p.CognitoEndpoint, S3: p.S3Endpoint}
	cfg, err := awsconfig.Load(ctx, e)
	if err != nil {
		return 0, "", err
	}
	a, err := billingdb.New(awsx.DynamoDB(cfg, e), schema.Names{Prefix: p.Prefix}).Get(ctx, tenantID)
	if err != nil {
		return 0, "", fmt.Errorf("no billing account for %s (open a checkout first: POST /v1/registrations/%s/checkout or /v1/billing/checkout): %w", tenantID, tenantID, err)
	}
	now := time.Now()
	sub := a.SubscriptionID
	if sub == "" {
		sub = "sub_local_" + tenantID
	}
	var typ string
	var obj map[string]any
	invoice := fmt.Sprintf("in_local_%s_%d", tenantID, now.Unix())
	switch kind {
	case "checkout-completed":
		if a.CheckoutSessionID == "" {
			return 0, "", fmt.Errorf("%s has no open checkout", tenantID)
		}
		typ, obj = billing.EventCheckoutCompleted, stripebilling.CheckoutCompleted(a.CheckoutSessionID, tenantID, a.CustomerID, sub)
	case "payment-failed":
		typ, obj = billing.EventInvoicePaymentFailed, stripebilling.InvoiceObject(invoice, a.CustomerID, sub, tenantID, a.AmountCents, false, now.AddDate(0, 1, 0))
	case "invoice-paid":
		typ, obj = billing.EventInvoicePaid, stripebilling.InvoiceObject(invoice, a.CustomerID, sub, tenantID, a.AmountCents, true, now.AddDate(0, 1, 0))
	case "subscription-deleted":
		typ, obj = billing.EventSubscriptionDeleted, stripebilling.SubscriptionObject(sub, a.CustomerID, tenantID, "canceled")
	default:
		return 0, "", fmt.Errorf("unknown event %q (want one of %v)", kind, BillingEvents)
	}
	payload, sig := stripebilling.SignedEvent(p.StripeWebhookSecret, fmt.Sprintf("evt_local_%d", now.UnixNano()), typ, obj, now)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.GatewayURL+"/v1/billing/webhook", bytes.NewReader(payload))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", sig)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		body = pretty.Bytes()
	}
	return res.StatusCode, string(body), nil
}
