// Package billingwire wires billing (Stripe; stripe-mock locally) and
// usage: the billing function's routes and its hourly and monthly jobs.
// Only the billing function imports it, so only it links the Stripe client.
package billingwire

import (
	"context"
	"maps"
	"os"
	"sync"
	"time"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/lifecyclecore"
	"github.com/issuetracker/issuetracker/internal/app/tenantwire"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/tenantdata"
	"github.com/issuetracker/issuetracker/internal/usage/usageapi"
	"github.com/issuetracker/issuetracker/internal/usage/usagedb"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
	"github.com/issuetracker/issuetracker/internal/billing"
	"github.com/issuetracker/issuetracker/internal/billing/billingapi"
	"github.com/issuetracker/issuetracker/internal/billing/billingdb"
	"github.com/issuetracker/issuetracker/internal/billing/stripebilling"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/ratelimit"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
)

// SecretFetchTimeout bounds the one Secrets Manager read per secret and cold start.
const SecretFetchTimeout = 3 * time.Second

// StripeFromEnv configures Stripe from the environment: the API key and
// webhook secret as values (ITR_STRIPE_API_KEY, ITR_STRIPE_WEBHOOK_SECRET:
// local, tests) or, in AWS, as Secrets Manager secrets read lazily with a
// timeout and cached per cold start (ITR_STRIPE_*_SECRET_ARN); the API base
// points at stripe-mock locally. Nil when billing is off.
func StripeFromEnv(ctx context.Context) (*core.BillingConfig, error) {
	if os.Getenv(billing.EnvProvider) != billing.ProviderStripe {
		return nil, nil
	}
	// One configuration for both secrets (each read under its own lock).
	sm := sync.OnceValues(func() (awsjson.SecretsManager, error) {
		cfg, err := awsx.LoadFunction(awsx.EndpointsFromEnv())
		return awsjson.SecretsManager{Config: cfg}, err
	})
	secret := func(valueEnv, arnEnv string) func(context.Context) (string, error) {
		if v := os.Getenv(valueEnv); v != "" {
			return stripebilling.Static(v)
		}
		arn := os.Getenv(arnEnv)
		return stripebilling.Secret(func(ctx context.Context) (string, error) {
			c, err := sm()
			if err != nil {
				return "", err
			}
			return c.GetSecretString(ctx, arn)
		}, SecretFetchTimeout)
	}
	c := &core.BillingConfig{
		Provider: &stripebilling.Provider{Key: secret(billing.EnvStripeAPIKey, billing.EnvStripeAPIKeySecretARN), APIBase: os.Getenv(billing.EnvStripeAPIBase)},
		Verifier: stripebilling.Verifier{Secret: secret(billing.EnvStripeWebhookSecret, billing.EnvStripeWebhookSecretARN)},
	}
	if g := os.Getenv(billing.EnvGrace); g != "" {
		d, err := time.ParseDuration(g)
		if err != nil {
			return nil, err
		}
		c.Grace = d
	}
	return c, nil
}

// NewBilling builds the billing service of d (nil without a provider or a
// database). Its lifecycle is d's (admitting a paid registration starts
// its onboarding with d's driver).
func NewBilling(d core.Deps) *billing.Service {
	if d.Billing == nil || d.Control() == nil {
		return nil
	}
	svc := tenantwire.Lifecycle(d)
	if svc == nil {
		svc = tenantwire.NewLifecycle(d, tenantwire.LifecycleOptions{})
	}
	return &billing.Service{Provider: core.As[billing.Provider](d.Billing.Provider), Verifier: core.As[billing.Verifier](d.Billing.Verifier), Store: billingdb.New(d.Control(), d.Names),
		Tenants: tenantdb.New(d.Control(), d.Names), Lifecycle: svc, Mail: d.Mail, WebBaseURL: d.WebBaseURL,
		Grace: d.Billing.Grace, Now: d.Now,
		Here: func(ctx context.Context, tenantID string) (bool, error) { return core.HousedHere(ctx, d, tenantID) },
		Contacts: func(ctx context.Context, t tenant.Tenant) ([]string, error) {
			if t.Admitted() && t.Table != "" {
				if emails, err := people.SuperAdminEmails(tenancy.WithTenant(ctx, t.ID), peopledb.UserDB{DB: d.DB}, t.Scope()); err != nil || len(emails) > 0 {
					return emails, err
				}
			}
			st, err := svc.States.Get(ctx, t.ID) // a registration: the admin who signed up
			if err != nil {
				return nil, err
			}
			return []string{st.AdminEmail}, nil
		}}
}

func billingDeps(d core.Deps) billingapi.Deps {
	svc := Service(d)
	if svc == nil {
		svc = NewBilling(d)
	}
	if svc == nil {
		return billingapi.Deps{}
	}
	return billingapi.Deps{Service: svc, Checkouts: ratelimit.Window{DB: d.Control(), Table: d.Names.Control(), Scope: "checkout",
		Max: billingapi.DefaultCheckoutsPerHour, Window: time.Hour, Now: d.Now}, Cursors: d.Cursors}
}

// Service is d's shared billing service (core.Deps.BillingService), nil
// when d has none.
func Service(d core.Deps) *billing.Service { return core.As[*billing.Service](d.BillingService) }

// Operations are the billing and usage operations.
func Operations(d core.Deps) httpapi.Operations {
	all := billingapi.Operations(billingDeps(d))
	maps.Copy(all, usageapi.Operations(usageDeps(d)))
	return all
}

// WithStripe adds the billing provider of the environment (StripeFromEnv;
// none when billing is off). A Setup step.
func WithStripe(ctx context.Context, _ core.Env, d *core.Deps) error {
	bc, err := StripeFromEnv(ctx)
	d.Billing = bc
	return err
}

// Billing is the billing function: usage, plans, Stripe's checkout and
// webhook; its jobs come from its schedule (ServeBilling). It has no user
// pools (it does not link the Cognito client): its lifecycle runs (tier
// changes, suspensions, reactivations) go on the bus to the onboarding
// function, whose steps manage users (lifecyclecore.WithRunsElsewhere
// refuses to start otherwise).
var Billing = core.Wiring{Fn: routes.FnBilling,
	Setup:      []core.Setup{core.WithMail, WithStripe, lifecyclecore.WithRunsElsewhere},
	Operations: Operations}

// usageDeps are the usage operations' dependencies (none without a database).
func usageDeps(d core.Deps) usageapi.Deps {
	if d.Control() == nil {
		return usageapi.Deps{}
	}
	store := usagedb.New(d.Control(), d.Names)
	data := tenantdata.Store{DB: d.DB, Platform: d.Control()}
	return usageapi.Deps{Store: store, Tenants: tenantdb.New(d.Control(), d.Names), Now: d.Now,
		Seats: func(ctx context.Context, t tenant.Tenant) (int, error) { return data.CountUsers(ctx, t) }}
}
