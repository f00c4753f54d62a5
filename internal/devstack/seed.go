// Package devstack assembles the whole platform on one machine: DynamoDB
// Local and cognito-local, the platform's tables and pools, the demo seed,
// and the local API gateway running every function and the authorizer.
// `make dev` (cmd/issuetracker dev) and the end-to-end tests use it.
package devstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/localdeploy"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/people/peopledb"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tenant/tenantdb"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// DemoPassword is the password of every demo login.
const DemoPassword = "Demo-Passw0rd!"

// DemoUser is a seeded login.
type DemoUser struct {
	Email    string     `json:"email"`
	Role     roles.Role `json:"role"`
	TenantID string     `json:"tenant_id,omitempty"`
	Provider bool       `json:"provider,omitempty"`
}

// DemoTenant is a seeded tenant.
type DemoTenant struct {
	ID    string
	Name  string
	Tier  tiers.Name
	Users []DemoUser
}

// Demo is the seed: the provider's root, a Standard tenant with a Super
// Admin, an Admin and a User, and a Basic tenant (to see its usage plan bite).
var Demo = struct {
	Root    DemoUser
	Tenants []DemoTenant
}{
	Root: DemoUser{Email: "root@issuetracker.local", Role: roles.Root, Provider: true},
	Tenants: []DemoTenant{
		{ID: "acme", Name: "Acme Corp", Tier: tiers.Standard, Users: []DemoUser{
			{Email: "owner@acme.test", Role: roles.SuperAdmin, TenantID: "acme"},
			{Email: "admin@acme.test", Role: roles.Admin, TenantID: "acme"},
			{Email: "user@acme.test", Role: roles.User, TenantID: "acme"},
		}},
		{ID: "globex", Name: "Globex", Tier: tiers.Basic, Users: []DemoUser{
			{Email: "owner@globex.test", Role: roles.SuperAdmin, TenantID: "globex"},
		}},
	},
}

// Platform is what a bootstrap created: the pools the authorizer trusts and
// the clients that sign people in.
type Platform struct {
	Prefix string `json:"table_prefix"`
	// Cell is the cell this platform is (schema.DefaultCell without cells).
	Cell              string `json:"cell,omitempty"`
	CognitoEndpoint   string `json:"cognito_endpoint"`
	DynamoDBEndpoint  string `json:"dynamodb_endpoint"`
	S3Endpoint        string `json:"s3_endpoint"`
	ExportBucket      string `json:"export_bucket"`
	AttachmentsBucket string `json:"attachments_bucket"`
	TenantPoolID      string `json:"tenant_pool_id"`
	TenantClientID    string `json:"tenant_client_id"`
	ProviderPoolID    string `json:"provider_pool_id"`
	ProviderClientID  string `json:"provider_client_id"`
	GatewayURL        string `json:"gateway_url"`
	// MailUIURL is mailpit's web UI (and /api/v1), SMTPAddr its SMTP server:
	// verification codes and invitations land there.
	MailUIURL  string `json:"mail_ui_url"`
	SMTPAddr   string `json:"smtp_addr"`
	WebBaseURL string `json:"web_base_url"`
	// StripeAPIBase is stripe-mock; StripeWebhookSecret the local webhook
	// signing secret (local only: `issuetracker billing event` signs with it).
	StripeAPIBase       string `json:"stripe_api_base"`
	StripeWebhookSecret string `json:"stripe_webhook_secret"`
	// BillingGrace is the local grace period after a failed payment.
	BillingGrace string `json:"billing_grace"`
	// NotEmulated counts the template's resources the local cloud does not run (alarms, API, ...).
	NotEmulated int        `json:"not_emulated"`
	Logins      []DemoUser `json:"logins"`
}

// PlatformTemplate is the platform stack as the CDK app synthesizes it
// (relative to the repository root). The snapshot test (test/infra) keeps
// it equal to a fresh synth, so the local tables and pools are the deployed
// ones without paying for a synth (and 11 Lambda builds) on every `make dev`.
const PlatformTemplate = "infra/templates/IssueTracker-Platform.json"

// Bootstrap applies the platform template's tables and pools to the local
// cloud (through the same local deployer Platinum onboarding uses) and seeds
// the demo. It is idempotent: run it on every start. Names follow
// names.Prefix, so tests run side by side.
func Bootstrap(ctx context.Context, db *dynamodb.Client, cog *cognitoidentityprovider.Client, names schema.Names, template string) (Platform, error) {
	pl, _, err := bootstrap(ctx, db, cog, names, template, Demo.Tenants)
	return pl, err
}

// bootstrap is Bootstrap that also returns what the deployer applied.
func bootstrap(ctx context.Context, db *dynamodb.Client, cog *cognitoidentityprovider.Client, names schema.Names, template string, tenants []DemoTenant) (Platform, localdeploy.Result, error) {
	d := localdeploy.Deployer{DB: db, Cognito: cog, Rename: localdeploy.PrefixRename(names.Prefix)}
	res, err := d.Apply(ctx, template)
	if err != nil {
		return Platform{}, res, fmt.Errorf("apply %s: %w", template, err)
	}
	pl, err := seedPlatform(ctx, db, cog, names, res, tenants)
	return pl, res, err
}

func seedPlatform(ctx context.Context, db *dynamodb.Client, cog *cognitoidentityprovider.Client, names schema.Names, res localdeploy.Result, tenants []DemoTenant) (Platform, error) {
	out := res.Outputs
	pl := Platform{Prefix: names.Prefix, TenantPoolID: out["TenantUserPoolId"], TenantClientID: out["TenantClientId"],
		ProviderPoolID: out["ProviderUserPoolId"], ProviderClientID: out["ProviderClientId"], NotEmulated: len(res.NotEmulated)}
	if pl.TenantPoolID == "" || pl.TenantClientID == "" || pl.ProviderPoolID == "" || pl.ProviderClientID == "" {
		return pl, fmt.Errorf("the platform template lacks the pool and client outputs: %v", out)
	}
	for _, n := range []string{names.App(), names.Control()} {
		if !slices.ContainsFunc(res.Applied, func(r localdeploy.Resource) bool { return r.PhysicalID == n }) {
			return pl, fmt.Errorf("the platform template has no table %s", n)
		}
	}
	pools := cognito.Pools{C: cog}
	if _, err := pools.EnsureUser(ctx, pl.ProviderPoolID, cognito.UserSpec{Email: Demo.Root.Email,
		Password: DemoPassword, Role: string(roles.Root)}); err != nil {
		return pl, err
	}
	pl.Logins = append(pl.Logins, Demo.Root)
	reg := tenantdb.New(db, names)
	dir := peopledb.UserDB{DB: db}
	for _, dt := range tenants {
		if err := seedTenant(ctx, reg, dir, pools, pl.TenantPoolID, names, dt); err != nil {
			return pl, fmt.Errorf("seed %s: %w", dt.ID, err)
		}
		pl.Logins = append(pl.Logins, dt.Users...)
	}
	return pl, nil
}

func seedTenant(ctx context.Context, reg tenant.Registry, dir people.Directory, pools cognito.Pools, poolID string, names schema.Names, dt DemoTenant) error {
	now := time.Now().UTC()
	err := reg.Create(ctx, tenant.Tenant{ID: dt.ID, Name: dt.Name, Tier: dt.Tier, Status: tenant.StatusActive,
		Table: names.App(), APIKey: randomKey(), CreatedAt: now, UpdatedAt: now})
	if err != nil && !errs.Is(err, errs.KindConflict) {
		return err
	}
	for _, u := range dt.Users {
		sub, err := pools.EnsureUser(ctx, poolID, cognito.UserSpec{Email: u.Email, Password: DemoPassword,
			TenantID: dt.ID, Role: string(u.Role), Tier: string(dt.Tier)})
		if err != nil {
			return err
		}
		sc := tenancy.Scope{Table: names.App(), TenantID: dt.ID}
		if _, err := dir.Get(ctx, sc, sub); err == nil {
			continue // keep what the developer changed since
		}
		if err := dir.Put(ctx, sc, people.User{ID: sub, TenantID: dt.ID, Username: u.Email, Email: u.Email,
			Role: u.Role, Status: people.UserActive, CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
			return err
		}
	}
	return nil
}

func randomKey() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
