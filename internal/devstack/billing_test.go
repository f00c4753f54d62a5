package devstack_test

import (
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/testing/eventually"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The make dev billing flow, as a developer runs it: a Premium company
// signs up, opens its checkout (stripe-mock), "pays" with the local-only
// signed checkout.session.completed, and is onboarded; a failed payment
// puts it in its grace period, the local scheduler suspends it when that
// ends, and a paid invoice brings it back.
func TestDevBillingFlow(t *testing.T) {
	t.Parallel()
	w := startPlatform(t)
	ctx, call := w.ctx, w.call
	owner := "owner@" + w.prefix + ".wayne.test"
	box := testenv.NewMailbox(t, owner)
	code, body := call("POST", "/v1/registrations", "", map[string]string{"company_name": "Wayne", "slug": "wayne",
		"admin_email": owner, "tier": "premium"})
	require.Equal(t, 202, code, body)
	token, _ := body["status_token"].(string)
	code, body = call("POST", "/v1/registrations/wayne/verify?token="+token, "", map[string]string{"code": box.Next(mail.SubjectVerification).VerificationCode()})
	require.Equal(t, 200, code, body)
	require.Equal(t, "pending_payment", body["status"])
	code, body = call("POST", "/v1/registrations/wayne/checkout?token="+token, "", nil)
	require.Equal(t, 201, code, body)
	assert.Contains(t, body["url"], "https://checkout.stripe.com/")

	status, answer, err := devstack.SendBillingEvent(ctx, w.pl, "wayne", "checkout-completed")
	require.NoError(t, err)
	require.Equal(t, 200, status, answer)
	waitStatus := func(want string) {
		t.Helper()
		got := ""
		for start := time.Now(); time.Since(start) < eventually.Deadline; time.Sleep(50 * time.Millisecond) {
			_, m := call("GET", "/v1/registrations/wayne?token="+token, "", nil)
			if got, _ = m["status"].(string); got == want {
				return
			}
		}
		t.Fatalf("status %s, want %s", got, want)
	}
	waitStatus("active")
	box.Next("You're invited to Wayne on IssueTracker")

	status, answer, err = devstack.SendBillingEvent(ctx, w.pl, "wayne", "payment-failed")
	require.NoError(t, err)
	require.Equal(t, 200, status, answer)
	box.Next(mail.BillingNoticeSubject("Wayne", false))
	waitStatus("suspended") // the grace period is 1 s here, the scheduler runs every 100 ms
	box.Next(mail.BillingNoticeSubject("Wayne", true))

	status, answer, err = devstack.SendBillingEvent(ctx, w.pl, "wayne", "invoice-paid")
	require.NoError(t, err)
	require.Equal(t, 200, status, answer)
	waitStatus("active")
}
