package core

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/issuetracker/issuetracker/internal/awsx"
	"github.com/issuetracker/issuetracker/internal/awsx/assumerole"
	"github.com/issuetracker/issuetracker/internal/awsx/awsjson"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/routes"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/tenantcreds"
)

// The list cursor key (internal/list): the key itself (the local platform
// and tests, at least 32 bytes), or, in AWS, the Secrets Manager secret the
// platform stack creates, read on the first list of a cold start.
const (
	EnvCursorKey       = envvars.CursorKey
	EnvCursorKeySecret = envvars.CursorKeySecretARN
)

// CursorKeyFetchTimeout bounds the one Secrets Manager read of a cold start.
const CursorKeyFetchTimeout = 3 * time.Second

// Env is what a function's Setup builds its own clients with: the SDK
// configuration, the local endpoints (none in AWS) and the tenant
// credentials of the tenant-scoped clients.
type Env struct {
	AWS       aws.Config
	Endpoints awsx.Endpoints
	Creds     *tenantcreds.Provider
}

// BaseFromEnv builds the Deps every function shares from its environment
// (the names and which function gets which are internal/envvars): the
// DynamoDB clients (tenant-scoped, and the control plane's), the table
// names, the cursor keyring, the settings read from variables. What only
// some functions use (mail, Cognito, the lifecycle, attachments, billing,
// webhooks, health) is added by their wiring's Setup, so the others do not
// link it. No network call is made here.
func BaseFromEnv(ctx context.Context) (Deps, Env, error) {
	e := awsx.EndpointsFromEnv()
	cfg, err := awsx.LoadFunction(e)
	if err != nil {
		return Deps{}, Env{}, err
	}
	base := awsx.DynamoDB(cfg, e)
	creds, err := TenantCreds(os.LookupEnv, e.Local(), assumerole.New(cfg))
	if err != nil {
		return Deps{}, Env{}, err
	}
	names := schema.Names{Prefix: EnvOr(envvars.TablePrefix, schema.DefaultPrefix)}
	keys, err := CursorKeysFromEnv(cfg)
	if err != nil {
		return Deps{}, Env{}, err
	}
	cell, cellDir := cellsFromEnv(base)
	return Deps{
		Cell:           cell,
		CellDirectory:  cellDir,
		DB:             tenantcreds.Scoped(base, creds),
		ControlDB:      PlatformControl(Env{AWS: cfg, Endpoints: e}, base),
		Names:          names,
		Now:            time.Now,
		TenantPoolID:   os.Getenv(envvars.TenantPoolID),
		TenantClientID: strings.Split(os.Getenv(envvars.TenantClientIDs), ",")[0],
		Region:         cfg.Region,
		WebBaseURL:     mail.WebBaseURL(),
		APIBaseURL:     os.Getenv(envvars.APIBaseURL),
		Cursors:        list.Codec{Keys: keys},
		CORSOrigins:    envvars.List(envvars.CORSOrigins),
	}, Env{AWS: cfg, Endpoints: e, Creds: creds}, nil
}

// TenantCreds is the provider of the tenant-scoped clients (Deps.DB) that
// lookup's environment asks for:
//   - a function that acts as the tenant (envvars.TenantAccessRoleARN)
//     assumes the tenant access role for every tenant, tagged with it, and
//     a tenant in an account of its own (envvars.TenantDataRoles) is
//     reached by a second hop to its account's data role;
//   - a function that reads tenants' tables with its own role
//     (envvars.ReadsTenantTables, given envvars.TenantAccountsHopRoleARN
//     when the cell has tenants in accounts of their own) takes the same
//     two hops for those tenants only and keeps its own role for the
//     others (tenantcreds.Provider.OwnAccountsOnly);
//   - otherwise (and in the local cloud) every call keeps the function's
//     own credentials, once the context names a tenant.
func TenantCreds(lookup func(string) (string, bool), local bool, client assumerole.Client) (*tenantcreds.Provider, error) {
	get := func(n string) string { v, _ := lookup(n); return v }
	role, hop := get(envvars.TenantAccessRoleARN), get(envvars.TenantAccountsHopRoleARN)
	if local || (role == "" && hop == "") {
		return &tenantcreds.Provider{}, nil
	}
	accounts, err := tenantcreds.ParseAccountRoles(get(envvars.TenantDataRoles))
	if err != nil {
		return nil, err
	}
	tag := get(envvars.TenantSessionTag)
	if tag == "" {
		tag = "TenantId"
	}
	if role != "" {
		return &tenantcreds.Provider{STS: client, RoleARN: role, TagKey: tag, AccountRoles: accounts}, nil
	}
	if len(accounts) == 0 {
		return nil, fmt.Errorf("%s is set without %s", envvars.TenantAccountsHopRoleARN, envvars.TenantDataRoles)
	}
	return &tenantcreds.Provider{STS: client, RoleARN: hop, TagKey: tag, AccountRoles: accounts, OwnAccountsOnly: true}, nil
}

// mailSetup builds the mail sender (package mailwire registers it).
var mailSetup Setup

// RegisterMail is how package mailwire plugs the mail sender in.
func RegisterMail(s Setup) { mailSetup = s }

// WithMail adds the platform's mail sender (envvars.MailSender: SES in
// AWS, SMTP locally; none when unset) and the usage meter's threshold
// mails. A Setup step of the functions that mail, whose mains import
// internal/app/mailwire: without it the cold start stops saying so.
func WithMail(ctx context.Context, e Env, d *Deps) error {
	if mailSetup == nil {
		return errors.New("this function sends mail but its main does not import internal/app/mailwire")
	}
	return mailSetup(ctx, e, d)
}

// WithBillingOn marks billing on when envvars.BillingProvider says so,
// without a provider: registrations of paid tiers then wait for their
// first payment (billing.Admission). A Setup step of the functions that
// admit registrations but never call Stripe.
func WithBillingOn(_ context.Context, _ Env, d *Deps) error {
	if os.Getenv(envvars.BillingProvider) == envvars.BillingStripe {
		d.Billing = &BillingConfig{}
	}
	return nil
}

// CursorKeysFromEnv returns the deployment's cursor keyring: ITR_CURSOR_KEY,
// else the secret ITR_CURSOR_KEY_SECRET_ARN (fetched lazily with one
// hand-signed GetSecretValue, awsjson.SecretsManager, cached per cold
// start), else nil (a key of this process only).
func CursorKeysFromEnv(cfg aws.Config) (*list.Keyring, error) {
	if k := os.Getenv(EnvCursorKey); k != "" {
		return list.StaticKey(k)
	}
	id := os.Getenv(EnvCursorKeySecret)
	if id == "" {
		return nil, nil
	}
	sm := awsjson.SecretsManager{Config: cfg}
	return list.LazyKey(func(ctx context.Context) (string, error) {
		return sm.GetSecretString(ctx, id)
	}, CursorKeyFetchTimeout), nil
}

// MustHaveEnvironment stops a Lambda cold start when the platform stack did
// not set a variable the function needs (internal/envvars): a clear init
// error beats a function that half works. Outside Lambda (make dev, tests)
// the local platform configures the code directly.
func MustHaveEnvironment(fn routes.Function) {
	if !InLambda() {
		return
	}
	if err := envvars.Check(fn); err != nil {
		log.Fatal(err)
	}
}

// cellsFromEnv reads the global tenant directory of a platform with cells
// (envvars.ReadsDirectory): this cell's id and the directory. Unset: one
// cell. The placer of registrations is tenantwire's (Placement), so that
// the functions that only read the directory do not link the capacity
// model's types.
func cellsFromEnv(db *dynamodb.Client) (string, *cells.Directory) {
	table, cell := os.Getenv(envvars.DirectoryTable), os.Getenv(envvars.CellID)
	if table == "" || cell == "" {
		return "", nil
	}
	return cell, &cells.Directory{DB: db, Table: table}
}
