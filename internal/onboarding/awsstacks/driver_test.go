package awsstacks_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/onboarding/awsstacks"
	"github.com/issuetracker/issuetracker/internal/onboarding/runbus"
	"github.com/issuetracker/issuetracker/internal/stackevents"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// In AWS the API only asks for a lifecycle run (an event on the bus); the
// onboarding function runs it. Nothing of the run happens in the request.
func TestARegistrationIsRunByTheOnboardingFunctionNotTheRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, names := testenv.Tables(t)
	cog := testenv.Cognito(t)
	shared, err := cognitotest.EnsurePool(ctx, cog, names.Prefix+"-tenants")
	require.NoError(t, err)
	f, stacks := newFake(t)
	svc := app.NewLifecycle(app.Deps{DB: db, Cognito: cognito.Pools{C: cog}, Names: names, TenantPoolID: shared, Mail: testenv.MailSender(t)}, app.LifecycleOptions{
		Archive: onboarding.DirArchive{Dir: t.TempDir()},
		Driver: func(*onboarding.Machine) onboarding.Driver {
			return runbus.Driver{Events: stacks.Events, Bus: "issuetracker"}
		},
	})

	email := "gavin@" + names.Prefix + ".test"
	box := testenv.NewMailbox(t, email)
	_, _, err = svc.Register(ctx, onboarding.Registration{CompanyName: "Hooli", Slug: "hooli",
		AdminEmail: email, Tier: "basic"}, audit.System)
	require.NoError(t, err)
	require.Empty(t, f.puts, "an unverified registration asks for no run")
	_, err = svc.Verify(ctx, "hooli", box.Next(mail.SubjectVerification).VerificationCode(), audit.System)
	require.NoError(t, err)

	t.Run("the request puts one run-requested event and provisions nothing", func(t *testing.T) {
		require.Len(t, f.puts, 1)
		var body struct {
			Entries []struct{ EventBusName, Source, DetailType, Detail string }
		}
		require.NoError(t, json.Unmarshal([]byte(f.puts[0]), &body))
		require.Len(t, body.Entries, 1)
		e := body.Entries[0]
		assert.Equal(t, "issuetracker", e.EventBusName)
		assert.Equal(t, stackevents.SourceLifecycle, e.Source)
		assert.Equal(t, stackevents.DetailTypeRunRequested, e.DetailType)
		assert.JSONEq(t, `{"tenantId":"hooli"}`, e.Detail)
		tn, err := svc.Tenants.Get(ctx, "hooli")
		require.NoError(t, err)
		assert.NotEqual(t, tenant.StatusActive, tn.Status)
	})
	t.Run("the onboarding function's handler runs it to an active tenant", func(t *testing.T) {
		detail, _ := json.Marshal(stackevents.Request{TenantID: "hooli"})
		h := awsstacks.Handler{M: svc.Machine}
		require.NoError(t, h.Handle(ctx, awsstacks.Event{Source: stackevents.SourceLifecycle,
			DetailType: stackevents.DetailTypeRunRequested, Detail: detail}))
		tn, err := svc.Tenants.Get(ctx, "hooli")
		require.NoError(t, err)
		assert.Equal(t, tenant.StatusActive, tn.Status)
		require.NoError(t, h.Handle(ctx, awsstacks.Event{Source: stackevents.SourceLifecycle,
			DetailType: stackevents.DetailTypeRunRequested, Detail: detail}), "a redelivered request is harmless")
	})
}
