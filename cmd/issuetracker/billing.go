package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/billing/stripebilling"
	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

var billingUsage = fmt.Sprintf(`usage: issuetracker billing <command>

  event KIND --tenant SLUG   LOCAL ONLY (make dev): sign a Stripe event for the tenant's billing account with
                             the local webhook secret and post it to the local webhook, as Stripe would.
                             KIND: checkout-completed | payment-failed | invoice-paid | subscription-deleted
  complete-checkout --tenant SLUG
                             LOCAL ONLY: the same as 'event checkout-completed' (stripe-mock hosts no
                             checkout page: this is the customer paying)
  sync-prices                create the paid tiers' prices in the Stripe account of %s
                             (found by lookup key; %s for stripe-mock); run once per account
`, envvars.StripeAPIKey, envvars.StripeAPIBase)

func billingCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, billingUsage)
		return fmt.Errorf("billing: a command is required")
	}
	switch args[0] {
	case "event":
		if len(args) < 2 {
			return fmt.Errorf("billing event: KIND is required (%v)", devstack.BillingEvents)
		}
		return billingEvent(ctx, args[1], args[2:])
	case "complete-checkout":
		return billingEvent(ctx, "checkout-completed", args[1:])
	case "sync-prices":
		return syncPrices(ctx)
	}
	fmt.Fprint(os.Stderr, billingUsage)
	return fmt.Errorf("billing: unknown command %q", args[0])
}

func billingEvent(ctx context.Context, kind string, args []string) error {
	if !slices.Contains(devstack.BillingEvents, kind) {
		return fmt.Errorf("billing event: unknown KIND %q (want one of %v)", kind, devstack.BillingEvents)
	}
	fs := flag.NewFlagSet("billing event", flag.ContinueOnError)
	tenantID := fs.String("tenant", "", "the tenant (slug)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *tenantID == "" {
		return fmt.Errorf("billing event: --tenant is required")
	}
	_, state, err := stateDir()
	if err != nil {
		return err
	}
	p, err := devstack.ReadPlatform(filepath.Join(state, "platform.json"))
	if err != nil {
		return err
	}
	if p.StripeWebhookSecret == "" {
		return fmt.Errorf("the local platform has no billing: restart make dev")
	}
	status, body, err := devstack.SendBillingEvent(ctx, p, *tenantID, kind)
	if err != nil {
		return err
	}
	fmt.Printf("POST %s/v1/billing/webhook (%s, signed with the local secret): %d\n%s\n", p.GatewayURL, kind, status, body)
	if status >= 300 {
		return fmt.Errorf("the webhook refused the event")
	}
	if kind == "payment-failed" {
		fmt.Printf("The workspace is in its grace period (%s locally); the local scheduler suspends it when that ends.\n", p.BillingGrace)
	}
	return nil
}

func syncPrices(ctx context.Context) error {
	key := os.Getenv(billing.EnvStripeAPIKey)
	if key == "" {
		return fmt.Errorf("set %s to the Stripe account's secret key", billing.EnvStripeAPIKey)
	}
	p := &stripebilling.Provider{Key: stripebilling.Static(key), APIBase: os.Getenv(billing.EnvStripeAPIBase)}
	for _, pr := range tiers.Prices() {
		id, err := p.PriceID(ctx, pr)
		if err != nil {
			return fmt.Errorf("price of %s: %w", pr.Tier, err)
		}
		fmt.Printf("%-9s %-36s %6.2f %s/%s  %s\n", pr.Tier, pr.LookupKey, float64(pr.AmountCents)/100, pr.Currency, pr.Interval, id)
	}
	return nil
}
