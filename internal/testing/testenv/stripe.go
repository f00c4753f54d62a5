package testenv

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/localcloud"
)

// StripePort is the tests' stripe-mock, HTTP (HTTPS on the next port; dev
// uses 12111): ITR_TEST_STRIPE_PORT moves it.
var StripePort = envPort("ITR_TEST_STRIPE_PORT", 12121)

var (
	stripeOnce sync.Once
	stripeURL  string
	stripeErr  error
)

// StripeMock starts or reuses the tests' stripe-mock (once per run, shared
// by every test binary, stopped by scripts/stop-test-services.sh) and
// returns its base URL. Use localcloud.StripeMockAPIKey as the API key.
func StripeMock(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	stripeOnce.Do(func() { stripeURL, stripeErr = ensureStripe() })
	if stripeErr != nil {
		t.Fatalf("stripe-mock: %v", stripeErr)
	}
	return stripeURL
}

func ensureStripe() (string, error) {
	url := fmt.Sprintf("http://127.0.0.1:%d", StripePort)
	root, dir, unlock, err := lockServices()
	if err != nil {
		return url, err
	}
	defer unlock()
	if !localcloud.PortFree(StripePort) {
		// started by another test binary of this run, or left running
		return url, reuse("stripe-mock", StripePort, "ITR_TEST_STRIPE_PORT",
			httpAnswers(url+"/v1/customers?limit=1", "Authorization", "Bearer "+localcloud.StripeMockAPIKey))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return url, startDetached(ctx, dir, serviceFile("stripe-mock", StripePort), func(o localcloud.Options) (*localcloud.Process, error) {
		o.Port = StripePort
		return localcloud.StartStripeMock(ctx, o)
	}, root)
}
