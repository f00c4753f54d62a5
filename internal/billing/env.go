package billing

import "github.com/issuetracker/issuetracker/internal/envvars"

// Environment of the functions (named in internal/envvars, the contract
// between the CDK app and the functions).
const (
	// EnvProvider turns billing on ("stripe"): paid pooled tiers then wait
	// for their first payment at registration (Admission).
	EnvProvider = envvars.BillingProvider
	// ProviderStripe is the one provider.
	ProviderStripe = envvars.BillingStripe
	// EnvGrace is the grace period after a failed payment (a Go duration;
	// DefaultGrace when unset).
	EnvGrace = envvars.BillingGrace
	// EnvStripeAPIKey is Stripe's secret API key itself (local, tests); in
	// AWS EnvStripeAPIKeySecretARN names the Secrets Manager secret holding it.
	EnvStripeAPIKey          = envvars.StripeAPIKey
	EnvStripeAPIKeySecretARN = envvars.StripeAPIKeySecretARN
	// EnvStripeWebhookSecret is the webhook endpoint's signing secret
	// (local, tests); in AWS EnvStripeWebhookSecretARN names its secret.
	EnvStripeWebhookSecret    = envvars.StripeWebhookSecret
	EnvStripeWebhookSecretARN = envvars.StripeWebhookSecretARN
	// EnvStripeAPIBase points the client at stripe-mock
	// (http://127.0.0.1:12111); unset in AWS (Stripe's API).
	EnvStripeAPIBase = envvars.StripeAPIBase
)

// Scheduled jobs of the billing function: EventBridge Scheduler invokes it
// with {"job": <name>} (the CDK app) and internal/app runs them.
const (
	// JobHourly suspends workspaces whose grace period ran out, records
	// every tenant's seats on its month and mails the usage thresholds
	// that a flush in a function without mail could not.
	JobHourly = "hourly"
	// JobMonthlyClose records the month that ended (MRR, churn per tier),
	// then does the hourly work.
	JobMonthlyClose = "monthly_close"
)
