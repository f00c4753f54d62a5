package app

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/issuetracker/issuetracker/internal/awsx"
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

// BillingConfig is the billing provider of a deployment.
type BillingConfig struct {
	Provider billing.Provider
	Verifier billing.Verifier
	// Grace after a failed payment; billing.DefaultGrace if zero.
	Grace time.Duration
}

// StripeFromEnv configures Stripe from the environment: the API key and
// webhook secret as values (ITR_STRIPE_API_KEY, ITR_STRIPE_WEBHOOK_SECRET:
// local, tests) or, in AWS, as Secrets Manager secrets read lazily with a
// timeout and cached per cold start (ITR_STRIPE_*_SECRET_ARN); the API base
// points at stripe-mock locally. Nil when billing is off.
func StripeFromEnv(ctx context.Context) (*BillingConfig, error) {
	if os.Getenv(billing.EnvProvider) != billing.ProviderStripe {
		return nil, nil
	}
	var sm *secretsmanager.Client
	secret := func(valueEnv, arnEnv string) func(context.Context) (string, error) {
		if v := os.Getenv(valueEnv); v != "" {
			return stripebilling.Static(v)
		}
		arn := os.Getenv(arnEnv)
		return stripebilling.Secret(func(ctx context.Context) (string, error) {
			if sm == nil {
				e := awsx.EndpointsFromEnv()
				cfg, err := awsx.Load(ctx, e)
				if err != nil {
					return "", err
				}
				sm = secretsmanager.NewFromConfig(cfg)
			}
			out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.SecretString), nil
		}, SecretFetchTimeout)
	}
	c := &BillingConfig{
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
func NewBilling(d Deps) *billing.Service {
	if d.Billing == nil || d.Control() == nil {
		return nil
	}
	svc := d.Lifecycle
	if svc == nil {
		svc = NewLifecycle(d, LifecycleOptions{})
	}
	return &billing.Service{Provider: d.Billing.Provider, Verifier: d.Billing.Verifier, Store: billingdb.New(d.Control(), d.Names),
		Tenants: tenantdb.New(d.Control(), d.Names), Lifecycle: svc, Mail: d.Mail, WebBaseURL: d.WebBaseURL,
		Grace: d.Billing.Grace, Now: d.Now,
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

func billingDeps(d Deps) billingapi.Deps {
	svc := d.BillingService
	if svc == nil {
		svc = NewBilling(d)
	}
	if svc == nil {
		return billingapi.Deps{}
	}
	return billingapi.Deps{Service: svc, Checkouts: ratelimit.Window{DB: d.Control(), Table: d.Names.Control(), Scope: "checkout",
		Max: billingapi.DefaultCheckoutsPerHour, Window: time.Hour, Now: d.Now}, Cursors: d.Cursors}
}
