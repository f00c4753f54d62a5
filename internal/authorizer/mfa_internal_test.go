package authorizer

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/idtoken"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// settingsDir is a directory that only reads the tenant's settings.
type settingsDir struct {
	people.Directory
	st people.Settings
}

func (d settingsDir) Settings(context.Context, tenancy.Scope) (people.Settings, error) {
	return d.st, nil
}

// Cognito never challenges a federated (Google) sign-in for a second
// factor, even for a user who set MFA up: in a workspace that requires MFA,
// such a session is refused like one without MFA.
func TestAFederatedSessionDoesNotSatisfyAnMFARequirement(t *testing.T) {
	ctx := context.Background()
	a := &Authorizer{
		dir:        settingsDir{st: people.Settings{MFARequired: true}},
		settings:   newCache[people.Settings](time.Minute),
		mfaOn:      newCache[bool](time.Minute),
		mfaEnabled: func(context.Context, string, string) (bool, error) { return true, nil },
		sharedPool: "pool",
	}
	u := people.User{MFAEnabledAt: time.Now().Add(-time.Hour)}
	premium := tenant.Tenant{ID: "acme", Tier: tiers.Premium, Table: "app"}

	got, err := a.mfa(ctx, premium, u, &idtoken.Claims{Subject: "s", Username: "ann", AuthTime: time.Now()})
	require.NoError(t, err)
	assert.Empty(t, got, "a password sign-in with MFA set up satisfies the requirement")

	got, err = a.mfa(ctx, premium, u, &idtoken.Claims{Subject: "s", Username: "ann", AuthTime: time.Now(), Federated: true})
	require.NoError(t, err)
	assert.Equal(t, tenancy.MFAMissing, got, "a Google sign-in does not")

	basic := tenant.Tenant{ID: "small", Tier: tiers.Basic, Table: "app"}
	got, err = a.mfa(ctx, basic, u, &idtoken.Claims{Subject: "s", Username: "ann", AuthTime: time.Now(), Federated: true})
	require.NoError(t, err)
	assert.Empty(t, got, "where MFA is not required, a Google sign-in is a sign-in")
}

// Cognito's UserRead quota is shared by the account: the authorizer asks
// whether MFA is on once per session (sign-in), not once per call, and asks
// again for a new sign-in, which may come after MFA was switched off.
func TestTheMFACheckAsksCognitoOncePerSession(t *testing.T) {
	ctx := context.Background()
	asked, on := 0, true
	a := &Authorizer{
		dir:        settingsDir{st: people.Settings{MFARequired: true}},
		settings:   newCache[people.Settings](time.Minute),
		mfaOn:      newCache[bool](MFASessionTTL),
		mfaEnabled: func(context.Context, string, string) (bool, error) { asked++; return on, nil },
		sharedPool: "pool",
	}
	u := people.User{MFAEnabledAt: time.Now().Add(-time.Hour)}
	acme := tenant.Tenant{ID: "acme", Tier: tiers.Premium, Table: "app"}
	first := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	for range 5 {
		got, err := a.mfa(ctx, acme, u, &idtoken.Claims{Subject: "s", Username: "ann", AuthTime: first})
		require.NoError(t, err)
		assert.Empty(t, got)
	}
	assert.Equal(t, 1, asked, "five calls of one session, one question")

	on = false // switched off behind the API's back, then a new sign-in
	got, err := a.mfa(ctx, acme, u, &idtoken.Claims{Subject: "s", Username: "ann", AuthTime: first.Add(5 * time.Minute)})
	require.NoError(t, err)
	assert.Equal(t, tenancy.MFAMissing, got, "the new session was not challenged")
	assert.Equal(t, 2, asked)

	other := tenant.Tenant{ID: "initech", Tier: tiers.Premium, Table: "app"}
	_, err = a.mfa(ctx, other, u, &idtoken.Claims{Subject: "s", Username: "ann", AuthTime: first})
	require.NoError(t, err)
	assert.Equal(t, 3, asked, "the key holds the tenant: one tenant's answer is not another's")
}
