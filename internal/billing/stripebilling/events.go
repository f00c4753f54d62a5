package stripebilling

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// SignedEvent builds a Stripe event of type typ around object (the data
// object, as Stripe would send it) and signs it with secret at time at, the
// way Stripe signs webhooks (webhook.GenerateTestSignedPayload). The tests
// and the local-only `issuetracker billing` commands use it; nothing in a
// deployed function does.
func SignedEvent(secret, id, typ string, object map[string]any, at time.Time) (payload []byte, signature string) {
	ev := map[string]any{
		"id": id, "object": "event", "api_version": APIVersion, "created": at.Unix(), "type": typ,
		"livemode": false, "pending_webhooks": 1, "request": map[string]any{"id": nil, "idempotency_key": nil},
		"data": map[string]any{"object": object},
	}
	payload, _ = json.Marshal(ev)
	return payload, "t=" + strconv.FormatInt(at.Unix(), 10) + ",v1=" + hex.EncodeToString(computeSignature(at, payload, secret))
}

// CheckoutCompleted is the data object of a completed subscription checkout.
func CheckoutCompleted(sessionID, tenantID, customerID, subscriptionID string) map[string]any {
	return map[string]any{"id": sessionID, "object": "checkout.session", "mode": "subscription", "status": "complete",
		"payment_status": "paid", "client_reference_id": tenantID, "customer": customerID, "subscription": subscriptionID,
		"metadata": map[string]string{"tenant_id": tenantID}}
}

// InvoiceObject is the data object of an invoice event (paid or failed).
func InvoiceObject(invoiceID, customerID, subscriptionID, tenantID string, amount int64, paid bool, periodEnd time.Time) map[string]any {
	status, paidAmount := "open", int64(0)
	if paid {
		status, paidAmount = "paid", amount
	}
	return map[string]any{"id": invoiceID, "object": "invoice", "customer": customerID, "status": status,
		"amount_due": amount, "amount_paid": paidAmount, "currency": "usd", "period_end": periodEnd.Unix(),
		"parent": map[string]any{"type": "subscription_details", "subscription_details": map[string]any{
			"subscription": subscriptionID, "metadata": map[string]string{"tenant_id": tenantID}}}}
}

// SubscriptionObject is the data object of a subscription event.
func SubscriptionObject(subscriptionID, customerID, tenantID, status string) map[string]any {
	return map[string]any{"id": subscriptionID, "object": "subscription", "customer": customerID, "status": status,
		"metadata": map[string]string{"tenant_id": tenantID}}
}
