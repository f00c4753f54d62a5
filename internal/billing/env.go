package billing

// Environment of the functions (the one place these names live: the CDK
// app sets them, internal/app reads them).
const (
	// EnvProvider turns billing on ("stripe"): paid pooled tiers then wait
	// for their first payment at registration (Admission).
	EnvProvider = "ITR_BILLING_PROVIDER"
	// ProviderStripe is the one provider.
	ProviderStripe = "stripe"
	// EnvGrace is the grace period after a failed payment (a Go duration;
	// DefaultGrace when unset).
	EnvGrace = "ITR_BILLING_GRACE"
	// EnvStripeAPIKey is Stripe's secret API key itself (local, tests); in
	// AWS EnvStripeAPIKeySecretARN names the Secrets Manager secret holding it.
	EnvStripeAPIKey          = "ITR_STRIPE_API_KEY"
	EnvStripeAPIKeySecretARN = "ITR_STRIPE_API_KEY_SECRET_ARN"
	// EnvStripeWebhookSecret is the webhook endpoint's signing secret
	// (local, tests); in AWS EnvStripeWebhookSecretARN names its secret.
	EnvStripeWebhookSecret    = "ITR_STRIPE_WEBHOOK_SECRET"
	EnvStripeWebhookSecretARN = "ITR_STRIPE_WEBHOOK_SECRET_ARN"
	// EnvStripeAPIBase points the client at stripe-mock
	// (http://127.0.0.1:12111); unset in AWS (Stripe's API).
	EnvStripeAPIBase = "ITR_STRIPE_API_BASE"
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
