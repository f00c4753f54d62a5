package usermigration_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/cognito/usermigration"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

type user struct {
	pool, password string
	attrs          map[string]string
	mfa            []string
}

// fakeCognito holds users by pool and username; it counts sign-in attempts.
type fakeCognito struct {
	users    map[string]user // pool/username
	attempts []string
}

func (f *fakeCognito) AdminGetUser(_ context.Context, in *cip.AdminGetUserInput, _ ...func(*cip.Options)) (*cip.AdminGetUserOutput, error) {
	u, ok := f.users[aws.ToString(in.UserPoolId)+"/"+aws.ToString(in.Username)]
	if !ok {
		return nil, &types.UserNotFoundException{Message: aws.String("User does not exist.")}
	}
	out := &cip.AdminGetUserOutput{Username: in.Username, Enabled: true, UserMFASettingList: u.mfa}
	for k, v := range u.attrs {
		out.UserAttributes = append(out.UserAttributes, types.AttributeType{Name: aws.String(k), Value: aws.String(v)})
	}
	return out, nil
}

func (f *fakeCognito) AdminInitiateAuth(_ context.Context, in *cip.AdminInitiateAuthInput, _ ...func(*cip.Options)) (*cip.AdminInitiateAuthOutput, error) {
	key := aws.ToString(in.UserPoolId) + "/" + in.AuthParameters["USERNAME"]
	f.attempts = append(f.attempts, key+" via "+aws.ToString(in.ClientId))
	u, ok := f.users[key]
	if !ok || u.password != in.AuthParameters["PASSWORD"] {
		return nil, &types.NotAuthorizedException{Message: aws.String("Incorrect username or password.")}
	}
	if len(u.mfa) > 0 {
		return &cip.AdminInitiateAuthOutput{ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa}, nil
	}
	return &cip.AdminInitiateAuthOutput{AuthenticationResult: &types.AuthenticationResultType{IdToken: aws.String("x")}}, nil
}

type fakeTenants map[string]tenant.Tenant

func (f fakeTenants) Get(_ context.Context, id string) (tenant.Tenant, error) {
	if t, ok := f[id]; ok {
		return t, nil
	}
	return tenant.Tenant{}, errs.NotFound("tenant")
}

func (f fakeTenants) ByIssuer(_ context.Context, iss string) (tenant.Tenant, error) {
	for _, t := range f {
		if t.Issuer == iss || (t.FormerPool != nil && t.FormerPool.Issuer == iss) {
			return t, nil
		}
	}
	return tenant.Tenant{}, errs.NotFound("tenant")
}

const base = "https://cognito-idp.test"

// The world: acme moved up into its own pool (pool-acme), globex stays in
// the shared pool, initech moved down from its own pool (pool-initech).
func world() (*fakeCognito, usermigration.Trigger) {
	c := &fakeCognito{users: map[string]user{
		"shared/ann@acme.test": {password: "Old-Password-1", attrs: map[string]string{"email": "ann@acme.test", "email_verified": "true",
			"custom:tenant_id": "acme", "custom:role": "admin", "custom:tier": "premium", "sub": "sub-ann", "name": "Ann",
			"phone_number": "+15550100", "phone_number_verified": "true", "custom:other": "x"}, mfa: []string{"SMS_MFA"}},
		"shared/tom@acme.test":          {password: "Old-Password-2", attrs: map[string]string{"email": "tom@acme.test", "custom:tenant_id": "acme", "custom:role": "user"}, mfa: []string{"SOFTWARE_TOKEN_MFA"}},
		"shared/gus@globex.test":        {password: "Globex-Pass-1", attrs: map[string]string{"email": "gus@globex.test", "custom:tenant_id": "globex", "custom:role": "super_admin"}},
		"pool-initech/ida@initech.test": {password: "Initech-Pass-1", attrs: map[string]string{"email": "ida@initech.test", "custom:tenant_id": "initech", "custom:role": "super_admin"}},
	}}
	reg := fakeTenants{
		"acme": {ID: "acme", Tier: tiers.Platinum, Status: tenant.StatusActive, UserPoolID: "pool-acme", Issuer: base + "/pool-acme",
			ClientIDs: []string{"client-acme"}, FormerPool: &tenant.FormerPool{ID: "shared"}},
		"globex": {ID: "globex", Tier: tiers.Basic, Status: tenant.StatusActive, UserPoolID: "shared"},
		"initech": {ID: "initech", Tier: tiers.Premium, Status: tenant.StatusActive, UserPoolID: "shared",
			FormerPool: &tenant.FormerPool{ID: "pool-initech", Issuer: base + "/pool-initech", ClientIDs: []string{"client-initech"}}},
	}
	return c, usermigration.Trigger{C: c, Tenants: reg, SharedPool: "shared", SharedClient: "client-shared", IssuerBase: base}
}

func event(pool, source, username, password string, meta map[string]string) usermigration.Event {
	ev := usermigration.Event{}
	ev.UserPoolID, ev.TriggerSource, ev.UserName = pool, source, username
	ev.Request = events.CognitoEventUserPoolsMigrateUserRequest{Password: password, ValidationData: meta}
	return ev
}

func TestAUserOfTheTenantMovesIntoItsOwnPoolWithTheirAttributes(t *testing.T) {
	t.Parallel()
	c, tr := world()
	out, err := tr.Handle(context.Background(), event("pool-acme", usermigration.SourceAuthentication, "ann@acme.test", "Old-Password-1", nil))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"email": "ann@acme.test", "email_verified": "true", "custom:tenant_id": "acme",
		"custom:role": "admin", "custom:tier": "platinum", "name": "Ann", "phone_number": "+15550100", "phone_number_verified": "true"},
		out.Response.UserAttributes, "no sub, no unknown attribute; the tier the tenant is on now")
	assert.Equal(t, "CONFIRMED", out.Response.FinalUserStatus)
	assert.Equal(t, "SUPPRESS", out.Response.MessageAction)
	assert.True(t, out.Response.EnableSMSMFA, "SMS MFA carries over")
	assert.Equal(t, []string{"shared/ann@acme.test via client-shared"}, c.attempts, "authenticated in the shared pool")

	// A TOTP user: the challenge proves the password; TOTP is not carried.
	out, err = tr.Handle(context.Background(), event("pool-acme", usermigration.SourceAuthentication, "tom@acme.test", "Old-Password-2", nil))
	require.NoError(t, err)
	assert.False(t, out.Response.EnableSMSMFA)
	assert.Equal(t, "user", out.Response.UserAttributes["custom:role"])
}

func TestRefusalsLookLikeAnUnknownUser(t *testing.T) {
	t.Parallel()
	for name, ev := range map[string]usermigration.Event{
		"unknown user":                          event("pool-acme", usermigration.SourceAuthentication, "nobody@acme.test", "Old-Password-1", nil),
		"wrong password":                        event("pool-acme", usermigration.SourceAuthentication, "ann@acme.test", "Wrong-Password-1", nil),
		"another tenant's user, right password": event("pool-acme", usermigration.SourceAuthentication, "gus@globex.test", "Globex-Pass-1", nil),
		"a pool of no tenant":                   event("pool-other", usermigration.SourceAuthentication, "ann@acme.test", "Old-Password-1", nil),
		"shared pool, tenant did not move":      event("shared", usermigration.SourceAuthentication, "gus@globex.test", "Globex-Pass-1", map[string]string{"tenant_id": "globex"}),
		"shared pool, no workspace":             event("shared", usermigration.SourceAuthentication, "ida@initech.test", "Initech-Pass-1", nil),
		"shared pool, wrong workspace":          event("shared", usermigration.SourceAuthentication, "ida@initech.test", "Initech-Pass-1", map[string]string{"tenant_id": "acme"}),
		"shared pool, another tenant's user":    event("shared", usermigration.SourceAuthentication, "ann@acme.test", "Old-Password-1", map[string]string{"tenant_id": "initech"}),
		"another trigger":                       event("pool-acme", "PreSignUp_SignUp", "ann@acme.test", "Old-Password-1", nil),
	} {
		t.Run(name, func(t *testing.T) {
			c, tr := world()
			_, err := tr.Handle(context.Background(), ev)
			assert.Equal(t, usermigration.ErrRefused, err)
			if name == "another tenant's user, right password" {
				assert.Empty(t, c.attempts, "no sign-in attempt on another tenant's user")
			}
		})
	}
}

func TestAUserMovesBackIntoTheSharedPoolFromTheirTenantsOldPool(t *testing.T) {
	t.Parallel()
	c, tr := world()
	out, err := tr.Handle(context.Background(), event("shared", usermigration.SourceAuthentication, "ida@initech.test", "Initech-Pass-1", map[string]string{"tenant_id": "initech"}))
	require.NoError(t, err)
	assert.Equal(t, "initech", out.Response.UserAttributes["custom:tenant_id"])
	assert.Equal(t, "premium", out.Response.UserAttributes["custom:tier"])
	assert.Equal(t, []string{"pool-initech/ida@initech.test via client-initech"}, c.attempts)
}

func TestForgotPasswordLooksTheUserUpWithoutAPassword(t *testing.T) {
	t.Parallel()
	c, tr := world()
	ev := event("pool-acme", usermigration.SourceForgotPassword, "ann@acme.test", "", nil)
	out, err := tr.Handle(context.Background(), ev)
	require.NoError(t, err)
	assert.Empty(t, c.attempts)
	assert.Empty(t, out.Response.FinalUserStatus, "Cognito sends the reset code")
	assert.Equal(t, "SUPPRESS", out.Response.MessageAction)
	assert.Equal(t, "ann@acme.test", out.Response.UserAttributes["email"])

	_, err = tr.Handle(context.Background(), event("pool-acme", usermigration.SourceForgotPassword, "gus@globex.test", "", nil))
	assert.Equal(t, usermigration.ErrRefused, err)
}

// A Platinum tenant moved between cells: its stack in the new cell
// (pool-hooli-2) takes its users from its stack in the old one.
func TestATenantPoolTakesItsUsersFromTheTenantPoolOfItsFormerCell(t *testing.T) {
	t.Parallel()
	c, tr := world()
	c.users["pool-hooli-1/hal@hooli.test"] = user{password: "Hooli-Pass-1", attrs: map[string]string{"email": "hal@hooli.test", "custom:tenant_id": "hooli", "custom:role": "user"}}
	tr.Tenants.(fakeTenants)["hooli"] = tenant.Tenant{ID: "hooli", Tier: tiers.Platinum, Status: tenant.StatusActive, UserPoolID: "pool-hooli-2",
		Issuer: base + "/pool-hooli-2", FormerPool: &tenant.FormerPool{ID: "pool-hooli-1", Issuer: "https://cell-1/pool-hooli-1", ClientIDs: []string{"client-hooli-1"}}}
	out, err := tr.Handle(context.Background(), event("pool-hooli-2", usermigration.SourceAuthentication, "hal@hooli.test", "Hooli-Pass-1", nil))
	require.NoError(t, err)
	assert.Equal(t, "hooli", out.Response.UserAttributes["custom:tenant_id"])
	assert.Equal(t, []string{"pool-hooli-1/hal@hooli.test via client-hooli-1"}, c.attempts)
}

// One cognito-local serves two cells' pools with one trigger
// configuration: Cells hands each event to the trigger of the pool's cell.
func TestCellsHandEachPoolsEventToItsOwnCellsTrigger(t *testing.T) {
	t.Parallel()
	c, one := world()
	c.users["shared-2/gus@globex.test"] = user{password: "Globex-Pass-1", attrs: map[string]string{"email": "gus@globex.test", "custom:tenant_id": "globex", "custom:role": "super_admin"}}
	// globex moved from cell-2's shared pool into cell-1's... and umbrella
	// from cell-1's shared pool into cell-2's.
	two := usermigration.Trigger{C: c, SharedPool: "shared-2", SharedClient: "client-shared-2", IssuerBase: base, Tenants: fakeTenants{
		"umbrella": {ID: "umbrella", Tier: tiers.Standard, Status: tenant.StatusActive, UserPoolID: "shared-2",
			FormerPool: &tenant.FormerPool{ID: "shared", Issuer: base + "/shared", ClientIDs: []string{"client-shared"}}},
		"wonka": {ID: "wonka", Tier: tiers.Platinum, Status: tenant.StatusActive, UserPoolID: "pool-wonka", Issuer: base + "/pool-wonka",
			ClientIDs: []string{"client-wonka"}, FormerPool: &tenant.FormerPool{ID: "shared-2"}},
	}}
	c.users["shared/uma@umbrella.test"] = user{password: "Umbrella-Pass-1", attrs: map[string]string{"email": "uma@umbrella.test", "custom:tenant_id": "umbrella", "custom:role": "user"}}
	c.users["shared-2/wil@wonka.test"] = user{password: "Wonka-Pass-1", attrs: map[string]string{"email": "wil@wonka.test", "custom:tenant_id": "wonka", "custom:role": "user"}}
	var cs usermigration.Cells
	cs.Add(one)
	cs.Add(two)
	raw := func(ev usermigration.Event) []byte {
		b, err := json.Marshal(ev)
		require.NoError(t, err)
		return b
	}
	// cell-2's shared pool: umbrella's users come from cell-1's shared pool.
	out, err := cs.Local(context.Background(), raw(event("shared-2", usermigration.SourceAuthentication, "uma@umbrella.test", "Umbrella-Pass-1", map[string]string{"tenant_id": "umbrella"})))
	require.NoError(t, err)
	assert.Equal(t, "umbrella", out.(usermigration.Event).Response.UserAttributes["custom:tenant_id"])
	// cell-2's tenant pool: wonka's users come from cell-2's shared pool.
	_, err = cs.Local(context.Background(), raw(event("pool-wonka", usermigration.SourceAuthentication, "wil@wonka.test", "Wonka-Pass-1", nil)))
	require.NoError(t, err)
	// cell-1's pools stay cell-1's.
	_, err = cs.Local(context.Background(), raw(event("pool-acme", usermigration.SourceAuthentication, "ann@acme.test", "Old-Password-1", nil)))
	require.NoError(t, err)
	assert.Equal(t, []string{"shared/uma@umbrella.test via client-shared", "shared-2/wil@wonka.test via client-shared-2",
		"shared/ann@acme.test via client-shared"}, c.attempts)
	// One trigger alone refuses the other cell's shared pool (what make
	// dev CELLS=2 did before Cells).
	_, err = one.Handle(context.Background(), event("shared-2", usermigration.SourceAuthentication, "uma@umbrella.test", "Umbrella-Pass-1", map[string]string{"tenant_id": "umbrella"}))
	assert.Equal(t, usermigration.ErrRefused, err)
}
