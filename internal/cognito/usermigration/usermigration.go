// Package usermigration is the user-migration trigger of the tenant user
// pools (functions/usermigration). A tier migration moves a tenant between
// the shared pool and a pool of its own (internal/onboarding's switch
// records the pool it leaves as the tenant's FormerPool); its users follow
// one by one, with their passwords, the first time they sign in to the new
// pool (or ask for a password reset there): Cognito calls this trigger for
// a user it does not know, the trigger authenticates them in the former
// pool and answers with their attributes, and Cognito creates them.
//
// Which tenant, which former pool:
//   - in a tenant's own pool (an upgrade to Platinum), the tenant is the
//     pool's owner (its issuer in the registry) and the former pool the
//     shared one (its id and app client from the environment);
//   - in the shared pool (a downgrade), the sign-in names its workspace
//     (ClientMetadata tenant_id, which Cognito passes as validationData),
//     and the former pool is that tenant's old pool (the registry's
//     FormerPool). A wrong tenant_id gets nothing: the user must still
//     authenticate in that tenant's old pool.
//
// Only users of that tenant move: a user of another tenant in the former
// pool (the shared pool holds every pooled tenant's users) is refused
// exactly like an unknown user, before their password is tried.
//
// MFA: the phone number (and whether it was verified) carries over, and a
// user who had SMS MFA turned on gets it on again (enableSMSMFA). TOTP
// cannot move: Cognito never returns an authenticator's secret, so those
// users set their authenticator app up again (a tenant that requires MFA
// sends them to MFA set-up: the directory's MFA record is older than the
// new pool's user, and the authorizer asks the new pool).
package usermigration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/google/uuid"

	"github.com/issuetracker/issuetracker/internal/awsx/assumerole"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenant"
)

// Trigger sources Cognito sends.
const (
	SourceAuthentication = "UserMigration_Authentication"
	SourceForgotPassword = "UserMigration_ForgotPassword"
)

// TenantKey is the ClientMetadata key a sign-in to the shared pool names
// its workspace with (the web sends it with every sign-in).
const TenantKey = cognito.WorkspaceKey

// Event is Cognito's user-migration event. aws-lambda-go's response type
// lacks enableSMSMFA, hence this one.
type Event struct {
	events.CognitoEventUserPoolsHeader
	Request  events.CognitoEventUserPoolsMigrateUserRequest `json:"request"`
	Response Response                                       `json:"response"`
}

// Response is what Cognito creates the user with.
type Response struct {
	UserAttributes  map[string]string `json:"userAttributes,omitempty"`
	FinalUserStatus string            `json:"finalUserStatus,omitempty"`
	MessageAction   string            `json:"messageAction,omitempty"`
	EnableSMSMFA    bool              `json:"enableSMSMFA,omitempty"`
}

// Cognito is what the trigger calls in the former pool.
type Cognito interface {
	AdminGetUser(ctx context.Context, in *cip.AdminGetUserInput, opts ...func(*cip.Options)) (*cip.AdminGetUserOutput, error)
	AdminInitiateAuth(ctx context.Context, in *cip.AdminInitiateAuthInput, opts ...func(*cip.Options)) (*cip.AdminInitiateAuthOutput, error)
}

// Tenants is the part of the registry the trigger reads.
type Tenants interface {
	Get(ctx context.Context, id string) (tenant.Tenant, error)
	ByIssuer(ctx context.Context, issuer string) (tenant.Tenant, error)
}

// Trigger handles the events of every tenant pool.
type Trigger struct {
	C       Cognito
	Tenants Tenants
	// SharedPool and SharedClient are the shared pool and its app client
	// (ITR_TENANT_POOL_ID, the first of ITR_TENANT_CLIENT_IDS).
	SharedPool, SharedClient string
	// IssuerBase prefixes a pool id to make its issuer
	// (https://cognito-idp.<region>.amazonaws.com; cognito-local's URL).
	IssuerBase string
	Log        *slog.Logger
	// TenantPools reach the pools of Platinum tenants in AWS accounts of
	// their own, by tenant id (a downgrade's source: the shared pool's
	// trigger reads the tenant's former pool there, through the role the
	// tenant stack gives the platform; CrossAccount). C serves the others.
	TenantPools map[string]Cognito
}

// cognitoFor is the client that reaches src's pool.
func (tr Trigger) cognitoFor(src source) Cognito {
	if c, ok := tr.TenantPools[src.tenant.ID]; ok && src.pool != tr.SharedPool {
		return c
	}
	return tr.C
}

// CrossAccount is base with the credentials of roleARN, assumed through
// st (AssumeRole with base's credentials: assumerole) and
// cached until they near expiry: the clients of a trigger that reaches a
// pool or table of another account (docs/migration.md "A Platinum tenant
// in its own account").
func CrossAccount(base aws.Config, st assumerole.Client, roleARN, session string) aws.Config {
	cfg := base.Copy()
	cfg.Credentials = assumerole.NewCache(st, assumerole.Input{RoleARN: roleARN, SessionName: session})
	return cfg
}

// ErrRefused is what every refusal answers, whatever the reason (unknown
// user, another tenant's user, a wrong password): Cognito turns a trigger
// error into a failed sign-in, and the caller must not learn which it was.
var ErrRefused = errors.New("user not found")

// source is where a pool's unknown users may come from.
type source struct {
	tenant         tenant.Tenant
	pool, clientID string
}

// Handle answers one event. Only ErrRefused and infrastructure errors
// leave it; the reason of a refusal is logged.
func (tr Trigger) Handle(ctx context.Context, ev Event) (Event, error) {
	out, reason, err := tr.handle(ctx, ev)
	if err != nil {
		tr.log().Error("user migration failed", "pool", ev.UserPoolID, "source", ev.TriggerSource, "error", err)
		return ev, err
	}
	if reason != "" {
		tr.log().Info("user migration refused", "pool", ev.UserPoolID, "source", ev.TriggerSource, "reason", reason)
		return ev, ErrRefused
	}
	return out, nil
}

func (tr Trigger) log() *slog.Logger {
	if tr.Log != nil {
		return tr.Log
	}
	return slog.Default()
}

// handle returns the answered event, or a reason to refuse.
func (tr Trigger) handle(ctx context.Context, ev Event) (Event, string, error) {
	if ev.TriggerSource != SourceAuthentication && ev.TriggerSource != SourceForgotPassword {
		return ev, "trigger source " + ev.TriggerSource, nil
	}
	src, reason, err := tr.source(ctx, ev)
	if err != nil || reason != "" {
		return ev, reason, err
	}
	u, err := tr.cognitoFor(src).AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(src.pool), Username: aws.String(ev.UserName)})
	var nf *types.UserNotFoundException
	if errors.As(err, &nf) {
		return ev, "not in the former pool", nil
	}
	if err != nil {
		return ev, "", fmt.Errorf("read %s in %s: %w", ev.UserName, src.pool, err)
	}
	attrs := map[string]string{}
	for _, a := range u.UserAttributes {
		attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	// Checked before the password: another tenant's user in the shared
	// pool is refused without a sign-in attempt on their account.
	if attrs["custom:"+cognito.AttrTenant] != src.tenant.ID {
		return ev, "a user of another tenant", nil
	}
	if !u.Enabled {
		return ev, "disabled in the former pool", nil
	}
	if ev.TriggerSource == SourceAuthentication {
		if reason, err := tr.authenticate(ctx, src, ev.UserName, ev.Request.Password); err != nil || reason != "" {
			return ev, reason, err
		}
		ev.Response.FinalUserStatus = string(types.UserStatusTypeConfirmed)
	}
	ev.Response.MessageAction = string(types.MessageActionTypeSuppress)
	ev.Response.UserAttributes = carried(attrs, src.tenant)
	ev.Response.EnableSMSMFA = slices.Contains(u.UserMFASettingList, "SMS_MFA")
	return ev, "", nil
}

// source finds the tenant and former pool of the pool that asks.
func (tr Trigger) source(ctx context.Context, ev Event) (source, string, error) {
	if ev.UserPoolID == tr.SharedPool {
		id := ev.Request.ValidationData[TenantKey]
		if id == "" {
			id = ev.Request.ClientMetadata[TenantKey]
		}
		if id == "" {
			return source{}, "no workspace named", nil
		}
		t, err := tr.Tenants.Get(ctx, id)
		if errs.Is(err, errs.KindNotFound) {
			return source{}, "unknown workspace", nil
		}
		if err != nil {
			return source{}, "", err
		}
		f := t.FormerPool
		if t.Issuer != "" || f == nil || f.Shared() || len(f.ClientIDs) == 0 {
			return source{}, "the workspace did not move into the shared pool", nil
		}
		return source{tenant: t, pool: f.ID, clientID: f.ClientIDs[0]}, "", nil
	}
	iss := strings.TrimSuffix(tr.IssuerBase, "/") + "/" + ev.UserPoolID
	t, err := tr.Tenants.ByIssuer(ctx, iss)
	if errs.Is(err, errs.KindNotFound) {
		return source{}, "a pool of no tenant", nil
	}
	if err != nil {
		return source{}, "", err
	}
	if t.Issuer != iss || t.FormerPool == nil {
		return source{}, "the workspace did not move into this pool", nil
	}
	if f := t.FormerPool; !f.Shared() {
		// A tenant stack of another cell (a move between cells): its pool.
		if len(f.ClientIDs) == 0 {
			return source{}, "the former pool has no app client", nil
		}
		return source{tenant: t, pool: f.ID, clientID: f.ClientIDs[0]}, "", nil
	}
	return source{tenant: t, pool: tr.SharedPool, clientID: tr.SharedClient}, "", nil
}

// Cells is the trigger of every cell that shares one cognito-local (make
// dev CELLS=2): cognito-local has one trigger configuration for all its
// pools, so the function it calls hands each event to the trigger of the
// cell that owns the event's pool (its shared pool, or a tenant pool its
// registry knows by issuer). In AWS each cell's pools call their own
// cell's function. Safe for concurrent use.
type Cells struct {
	mu    sync.RWMutex
	cells []Trigger
}

// Add makes tr the trigger of its cell's pools.
func (c *Cells) Add(tr Trigger) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cells = append(c.cells, tr)
}

// owner is the trigger of the cell that owns pool, or the first (which
// refuses a pool it does not know).
func (c *Cells) owner(ctx context.Context, pool string) (Trigger, error) {
	c.mu.RLock()
	all := slices.Clone(c.cells)
	c.mu.RUnlock()
	if len(all) == 0 {
		return Trigger{}, errors.New("no user-migration trigger")
	}
	for _, tr := range all {
		if tr.SharedPool == pool {
			return tr, nil
		}
	}
	for _, tr := range all {
		_, err := tr.Tenants.ByIssuer(ctx, strings.TrimSuffix(tr.IssuerBase, "/")+"/"+pool)
		if err == nil {
			return tr, nil
		}
		if !errs.Is(err, errs.KindNotFound) {
			return Trigger{}, err
		}
	}
	return all[0], nil
}

// Local is Trigger.Local of the cell that owns the event's pool.
func (c *Cells) Local(ctx context.Context, raw json.RawMessage) (any, error) {
	var head struct {
		UserPoolID string `json:"userPoolId"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, err
	}
	tr, err := c.owner(ctx, head.UserPoolID)
	if err != nil {
		return nil, err
	}
	return tr.Local(ctx, raw)
}

// authenticate checks the password in the former pool. A second-factor
// challenge means the password was right (Cognito asks for the factor
// only then); a new-password challenge means the user never finished
// their invitation, and is refused (an admin invites them again).
func (tr Trigger) authenticate(ctx context.Context, src source, username, password string) (string, error) {
	if password == "" {
		return "no password", nil
	}
	out, err := tr.cognitoFor(src).AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId: aws.String(src.pool), ClientId: aws.String(src.clientID),
		AuthFlow:       types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": password},
	})
	var na *types.NotAuthorizedException
	var nf *types.UserNotFoundException
	var reset *types.PasswordResetRequiredException
	switch {
	case errors.As(err, &na), errors.As(err, &nf):
		return "wrong password", nil
	case errors.As(err, &reset):
		return "password reset required in the former pool", nil
	case err != nil:
		return "", fmt.Errorf("authenticate %s in %s: %w", username, src.pool, err)
	}
	switch out.ChallengeName {
	case "", types.ChallengeNameTypeSmsMfa, types.ChallengeNameTypeSoftwareTokenMfa, types.ChallengeNameTypeSelectMfaType,
		types.ChallengeNameTypeMfaSetup, types.ChallengeNameTypeEmailOtp:
		return "", nil
	default:
		return fmt.Sprintf("challenge %s", out.ChallengeName), nil
	}
}

// carried are the attributes the new pool's user gets: the email (its
// username), verified; the tenant and role claims; the tier the tenant is
// on now; the name and phone number (SMS MFA) when set. Never sub (the new
// pool gives its own) nor anything else.
func carried(attrs map[string]string, t tenant.Tenant) map[string]string {
	out := map[string]string{
		"email":                        attrs["email"],
		"email_verified":               "true",
		"custom:" + cognito.AttrTenant: t.ID,
		"custom:" + cognito.AttrTier:   string(t.Tier),
	}
	for _, k := range []string{"custom:" + cognito.AttrRole, "name", "phone_number", "phone_number_verified"} {
		if v := attrs[k]; v != "" {
			out[k] = v
		}
	}
	return out
}

// IssuerBase is base when set (cognito-local), else the issuer prefix of
// the region's Cognito.
func IssuerBase(base, region string) string {
	if base != "" {
		return base
	}
	return "https://cognito-idp." + region + ".amazonaws.com"
}

// Local adapts the trigger to cognito-local 5.3, which creates a migrated
// user with exactly the attributes the trigger answers and no sub of its
// own (Cognito assigns one): locally the answer carries a fresh sub, so
// the user's tokens have one, as in AWS.
func (tr Trigger) Local(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	out, err := tr.Handle(ctx, ev)
	if err != nil {
		return nil, err
	}
	out.Response.UserAttributes["sub"] = uuid.NewString()
	return out, nil
}
