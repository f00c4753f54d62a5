package lifecyclecore_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/app/core"
	"github.com/issuetracker/issuetracker/internal/app/lifecyclecore"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/onboarding/runbus"
	"github.com/issuetracker/issuetracker/internal/tenant"
)

// Billing's lifecycle in AWS (no Steps): runs go on the bus, Platinum is
// admitted (a tier change to Platinum is accepted, as when billing linked
// the CloudFormation provisioner) and a step that reached the provisioner
// here would fail rather than deploy from billing.
func TestRunsElsewhereAdmitsPlatinumAndPutsRunsOnTheBus(t *testing.T) {
	t.Setenv(envvars.EventBus, "issuetracker-bus")
	ctx := context.Background()
	svc, err := lifecyclecore.FromEnv(ctx, core.Env{AWS: aws.Config{Region: "eu-west-1"}}, core.Deps{}, lifecyclecore.Steps{})
	require.NoError(t, err)
	require.IsType(t, lifecyclecore.RunsElsewhere{}, svc.Machine.Platinum)
	_, err = svc.Machine.Platinum.Provision(ctx, tenant.Tenant{ID: "hooli"})
	assert.ErrorIs(t, err, lifecyclecore.ErrRunsElsewhere)

	assert.IsType(t, runbus.Driver{}, svc.Driver)

	t.Run("without a bus Platinum is refused, as before", func(t *testing.T) {
		t.Setenv(envvars.EventBus, "")
		svc, err := lifecyclecore.FromEnv(ctx, core.Env{AWS: aws.Config{Region: "eu-west-1"}}, core.Deps{}, lifecyclecore.Steps{})
		require.NoError(t, err)
		assert.Nil(t, svc.Machine.Platinum)
	})
}

// Billing has no user pools: its runs go on the bus (or, under make dev,
// the local bus or the local lifecycle); in a billing process whose runs
// would happen in it, where their steps need Cognito, a run fails to start.
func TestAFunctionWithoutUserPoolsRunsNoStepsItself(t *testing.T) {
	ctx := context.Background()
	env := core.Env{AWS: aws.Config{Region: "eu-west-1"}}
	t.Setenv(envvars.EventBus, "issuetracker-bus")
	var d core.Deps
	require.NoError(t, lifecyclecore.WithRunsElsewhere(ctx, env, &d))
	assert.IsType(t, runbus.Driver{}, core.As[*onboarding.Service](d.Lifecycle).Driver, "runs on the bus")

	t.Setenv(envvars.EventBus, "")
	d = core.Deps{}
	require.NoError(t, lifecyclecore.WithRunsElsewhere(ctx, env, &d))
	assert.ErrorIs(t, core.As[*onboarding.Service](d.Lifecycle).Driver.Start(ctx, "acme"), lifecyclecore.ErrNoRunner, "no bus: the runs would be inline")

	env.Endpoints.DynamoDB = "http://127.0.0.1:1" // the local cloud
	d = core.Deps{}
	require.NoError(t, lifecyclecore.WithRunsElsewhere(ctx, env, &d))
	assert.ErrorIs(t, core.As[*onboarding.Service](d.Lifecycle).Driver.Start(ctx, "acme"), lifecyclecore.ErrNoRunner, "locally without the bus: async in this process")

	t.Setenv(envvars.EventBus, "issuetracker-bus")
	t.Setenv(envvars.EventsEndpoint, "http://127.0.0.1:1/_local/events")
	d = core.Deps{}
	require.NoError(t, lifecyclecore.WithRunsElsewhere(ctx, env, &d))
	assert.IsType(t, runbus.Driver{}, core.As[*onboarding.Service](d.Lifecycle).Driver, "the local bus")

	t.Run("a function with user pools runs them itself, as before", func(t *testing.T) {
		t.Setenv(envvars.EventBus, "")
		d := core.Deps{Cognito: cognito.Pools{}}
		require.NoError(t, lifecyclecore.WithRunsElsewhere(ctx, core.Env{AWS: aws.Config{Region: "eu-west-1"}}, &d))
		assert.True(t, lifecyclecore.RunsHere(core.As[*onboarding.Service](d.Lifecycle).Driver))
	})
}
