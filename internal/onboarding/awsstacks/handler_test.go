package awsstacks_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/app"
	"github.com/issuetracker/issuetracker/internal/app/lifecyclecore"
	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/awsx/eventbus"
	"github.com/issuetracker/issuetracker/internal/cognito"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/onboarding/awsstacks"
	"github.com/issuetracker/issuetracker/internal/onboarding/runbus"
	"github.com/issuetracker/issuetracker/internal/schema"
	"github.com/issuetracker/issuetracker/internal/stackevents"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/testing/cognitotest"
	"github.com/issuetracker/issuetracker/internal/testing/eventually"
	"github.com/issuetracker/issuetracker/internal/testing/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func event(t *testing.T, detailType, tenantID, action, errText string) awsstacks.Event {
	d, err := json.Marshal(stackevents.Report{TenantID: tenantID, Action: action, Status: "x", Error: errText})
	require.NoError(t, err)
	return awsstacks.Event{Source: stackevents.SourceProvisioning, DetailType: detailType, Detail: d}
}

// platinumWorld is the lifecycle on DynamoDB Local and cognito-local, with
// the provisioning pipeline's AWS APIs faked (they have no local service).
func platinumWorld(t *testing.T) (*onboarding.Service, *fakeAWS, map[string]string) {
	ctx := context.Background()
	db, names := testenv.Tables(t)
	cog := testenv.Cognito(t)
	pools := cognito.Pools{C: cog}
	shared, err := cognitotest.EnsurePool(ctx, pools.C, names.Prefix+"-tenants")
	require.NoError(t, err)
	// What the tenant stack's deploy creates: a dedicated pool and a table
	// (the test table stands in for it).
	pool, err := cognitotest.EnsurePool(ctx, pools.C, names.Prefix+"-tenant-initech")
	require.NoError(t, err)
	client, err := cognitotest.EnsureClient(ctx, pools.C, pool, "web")
	require.NoError(t, err)
	f, stacks := newFake(t)
	d := app.Deps{DB: db, Cognito: cognito.Pools{C: cog}, Names: names, Now: time.Now, TenantPoolID: shared, Mail: testenv.MailSender(t)}
	svc := app.NewLifecycle(d, app.LifecycleOptions{
		Platinum: onboarding.Platinum{IssuerBase: "https://cognito-idp.us-east-1.amazonaws.com", Stacks: stacks},
		Archive:  onboarding.DirArchive{Dir: t.TempDir()},
	})
	return svc, f, map[string]string{"TableName": names.App(), "UserPoolId": pool, "UserPoolClientId": client,
		onboarding.OutputDownloadDomain: "d2222222initech.cloudfront.net", onboarding.OutputDownloadKeyPairID: "KINITECHOWN7Q"}
}

// register signs Initech up on Platinum, verifies the admin email with the
// mailed code and approves it as Root: onboarding then starts.
func register(t *testing.T, svc *onboarding.Service) {
	ctx := context.Background()
	email := "owner-initech@" + testenv.UniquePrefix(t) + ".test"
	box := testenv.NewMailbox(t, email)
	_, _, err := svc.Register(ctx, onboarding.Registration{CompanyName: "Initech", Slug: "initech",
		AdminEmail: email, Tier: "platinum"}, audit.System)
	require.NoError(t, err)
	tn, err := svc.Verify(ctx, "initech", box.Next(mail.SubjectVerification).VerificationCode(), audit.System)
	require.NoError(t, err)
	require.Equal(t, tenant.StatusPendingApproval, tn.Status, "Platinum waits for Root")
	_, err = svc.Approve(ctx, "initech", audit.Actor{Kind: audit.ActorRoot, ID: "root-1"})
	require.NoError(t, err)
}

func TestAPlatinumOnboardingWaitsForItsStackAndResumesOnItsEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, f, outputs := platinumWorld(t)
	h := awsstacks.Handler{M: svc.Machine}
	register(t, svc)

	t.Run("registration requests the stack and leaves the run waiting, not failed", func(t *testing.T) {
		st, err := svc.States.Get(ctx, "initech")
		require.NoError(t, err)
		assert.Equal(t, onboarding.StepPlace, st.Waiting)
		assert.Empty(t, st.FailedStep)
		assert.Empty(t, st.Done)
		tn, err := svc.Tenants.Get(ctx, "initech")
		require.NoError(t, err)
		assert.Equal(t, tenant.StatusProvisioning, tn.Status)
		assert.Len(t, f.puts, 1)
	})
	t.Run("an outcome of another action changes nothing", func(t *testing.T) {
		require.NoError(t, h.Handle(ctx, event(t, stackevents.DetailTypeSucceeded, "initech", stackevents.ActionDestroy, "")))
		st, err := svc.States.Get(ctx, "initech")
		require.NoError(t, err)
		assert.Equal(t, onboarding.StepPlace, st.Waiting)
	})
	t.Run("the succeeded event resumes the run with the stack's outputs to an active tenant", func(t *testing.T) {
		f.set("CREATE_COMPLETE", outputs)
		require.NoError(t, h.Handle(ctx, event(t, stackevents.DetailTypeSucceeded, "initech", stackevents.ActionDeploy, "")))
		tn, err := svc.Tenants.Get(ctx, "initech")
		require.NoError(t, err)
		assert.Equal(t, tenant.StatusActive, tn.Status)
		assert.Equal(t, outputs["TableName"], tn.Table)
		assert.Equal(t, outputs["UserPoolId"], tn.UserPoolID)
		assert.Equal(t, "https://cognito-idp.us-east-1.amazonaws.com/"+outputs["UserPoolId"], tn.Issuer)
		assert.Equal(t, &tenant.Downloads{Domain: "d2222222initech.cloudfront.net", KeyPairID: "KINITECHOWN7Q"}, tn.Downloads,
			"the stack's download distribution is recorded: the attachments function signs the tenant's downloads for it")
		assert.NotEmpty(t, tn.APIKey)
		st, err := svc.States.Get(ctx, "initech")
		require.NoError(t, err)
		assert.Empty(t, st.Waiting)
		assert.False(t, st.FinishedAt.IsZero())
		assert.Len(t, f.puts, 1, "no second deploy request")
	})
	t.Run("a redelivered succeeded event changes nothing", func(t *testing.T) {
		before, err := svc.States.Get(ctx, "initech")
		require.NoError(t, err)
		require.NoError(t, h.Handle(ctx, event(t, stackevents.DetailTypeSucceeded, "initech", stackevents.ActionDeploy, "")))
		after, err := svc.States.Get(ctx, "initech")
		require.NoError(t, err)
		assert.Equal(t, before.Version, after.Version)
	})
}

func TestAFailedStackFailsTheOnboardingWithItsReasonAndARetryRequestsItAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, f, _ := platinumWorld(t)
	h := awsstacks.Handler{M: svc.Machine}
	register(t, svc)

	t.Run("the failed event marks the tenant failed with the pipeline's error", func(t *testing.T) {
		f.set("ROLLBACK_COMPLETE", nil)
		require.NoError(t, h.Handle(ctx, event(t, stackevents.DetailTypeFailed, "initech", stackevents.ActionDeploy, "States.TaskFailed")))
		tn, err := svc.Tenants.Get(ctx, "initech")
		require.NoError(t, err)
		assert.Equal(t, tenant.StatusFailed, tn.Status)
		assert.Contains(t, tn.StatusReason, `step "place" failed`)
		assert.Contains(t, tn.StatusReason, "States.TaskFailed")
		st, err := svc.States.Get(ctx, "initech")
		require.NoError(t, err)
		assert.Equal(t, onboarding.StepPlace, st.FailedStep)
		assert.Empty(t, st.Waiting)
	})
	t.Run("a redelivered failed event is not recorded twice", func(t *testing.T) {
		recorded, err := svc.FailWaiting(ctx, "initech", onboarding.StepPlace, "again")
		require.NoError(t, err)
		assert.False(t, recorded)
	})
	t.Run("Root's retry requests the deploy again and waits", func(t *testing.T) {
		_, err := svc.Retry(ctx, "initech", audit.System)
		require.NoError(t, err)
		st, err := svc.States.Get(ctx, "initech")
		require.NoError(t, err)
		assert.Equal(t, onboarding.StepPlace, st.Waiting)
		assert.Empty(t, st.FailedStep)
		assert.Len(t, f.puts, 2)
		tn, err := svc.Tenants.Get(ctx, "initech")
		require.NoError(t, err)
		assert.Equal(t, tenant.StatusProvisioning, tn.Status)
	})
}

// The platform's schedule sends this event (infra/stacks lifecycle.go): it
// runs the lifecycle's periodic job, and its failure is the invocation's.
func TestTheMaintenanceEventRunsTheLifecycleMaintenance(t *testing.T) {
	t.Parallel()
	var ev awsstacks.Event
	require.NoError(t, json.Unmarshal([]byte(`{"source":"`+stackevents.SourceLifecycle+`","detail-type":"`+stackevents.DetailTypeMaintenanceDue+`","detail":{}}`), &ev))
	calls := 0
	h := awsstacks.Handler{Maintain: func(context.Context) error { calls++; return nil }}
	require.NoError(t, h.Handle(context.Background(), ev))
	assert.Equal(t, 1, calls)
	h.Maintain = func(context.Context) error { return errors.New("registry down") }
	assert.ErrorContains(t, h.Handle(context.Background(), ev), "registry down")
	assert.NoError(t, awsstacks.Handler{}.Handle(context.Background(), ev), "without a job the event is ignored")
}

// A Platinum tenant onboarded before tenant.Downloads existed has none
// recorded, so its downloads were presigned S3 GETs its bucket refuses.
// The lifecycle's maintenance job (the schedule's MaintenanceDue event)
// reads its deployed stack's outputs, never requesting a deploy, and
// records them; a tenant already recorded costs no stack read, and a stack
// not deployed or without a distribution leaves the record as it is.
func TestMaintenanceBackfillsTheDownloadDistributionOfOldPlatinumTenants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, f, outputs := platinumWorld(t)
	register(t, svc)
	f.set("CREATE_COMPLETE", outputs)
	h := awsstacks.Handler{M: svc.Machine, Maintain: svc.Maintain}
	require.NoError(t, h.Handle(ctx, event(t, stackevents.DetailTypeSucceeded, "initech", stackevents.ActionDeploy, "")))
	maintain := func() {
		t.Helper()
		require.NoError(t, h.Handle(ctx, awsstacks.Event{Source: stackevents.SourceLifecycle, DetailType: stackevents.DetailTypeMaintenanceDue}))
	}
	downloads := func() *tenant.Downloads {
		t.Helper()
		tn, err := svc.Tenants.Get(ctx, "initech")
		require.NoError(t, err)
		return tn.Downloads
	}
	// The record as onboarding wrote it before Downloads existed.
	tn, err := svc.Tenants.Get(ctx, "initech")
	require.NoError(t, err)
	tn.Downloads = nil
	_, err = svc.Tenants.Put(ctx, tn)
	require.NoError(t, err)
	deploys := len(f.puts)

	withoutDistribution := map[string]string{}
	for k, v := range outputs {
		withoutDistribution[k] = v
	}
	delete(withoutDistribution, onboarding.OutputDownloadDomain)
	delete(withoutDistribution, onboarding.OutputDownloadKeyPairID)
	f.set("CREATE_COMPLETE", withoutDistribution)
	maintain()
	assert.Nil(t, downloads(), "a stack without a distribution records nothing")
	f.set("UPDATE_IN_PROGRESS", outputs)
	maintain()
	assert.Nil(t, downloads(), "a stack being updated is read once it settles")
	f.set("", nil)
	maintain()
	assert.Nil(t, downloads(), "no stack: nothing recorded")
	assert.Len(t, f.puts, deploys, "the backfill never requests a deploy")

	f.set("UPDATE_COMPLETE", outputs)
	maintain()
	assert.Equal(t, &tenant.Downloads{Domain: "d2222222initech.cloudfront.net", KeyPairID: "KINITECHOWN7Q"}, downloads(),
		"the deployed stack's distribution is recorded")
	assert.Len(t, f.puts, deploys, "read, not deployed")

	// A download-key rotation gives the stack's own key group a new key id
	// (its stack is in the tenant's account): the next run records it.
	version := func() int64 {
		t.Helper()
		tn, err := svc.Tenants.Get(ctx, "initech")
		require.NoError(t, err)
		return tn.Version
	}
	v := version()
	maintain()
	assert.Equal(t, v, version(), "an unchanged stack rewrites nothing")
	rotated := map[string]string{}
	for k, v := range outputs {
		rotated[k] = v
	}
	rotated[onboarding.OutputDownloadKeyPairID] = "KINITECHNEXT9Z"
	f.set("UPDATE_COMPLETE", rotated)
	maintain()
	assert.Equal(t, &tenant.Downloads{Domain: "d2222222initech.cloudfront.net", KeyPairID: "KINITECHNEXT9Z"}, downloads(),
		"the rotated key id is recorded without a hand")
	assert.Len(t, f.puts, deploys, "read, not deployed")

	// A stack trusting the platform's key group (the platform's account)
	// names no key: once recorded it costs no stack read.
	tn, err = svc.Tenants.Get(ctx, "initech")
	require.NoError(t, err)
	tn.Downloads = &tenant.Downloads{Domain: "d2222222initech.cloudfront.net"}
	_, err = svc.Tenants.Put(ctx, tn)
	require.NoError(t, err)
	reads := len(f.stacks)
	f.set("UPDATE_COMPLETE", map[string]string{onboarding.OutputDownloadDomain: "dchanged.cloudfront.net"})
	maintain()
	assert.Len(t, f.stacks, reads, "a tenant already recorded in the platform's key group costs no stack read")
	assert.Equal(t, "d2222222initech.cloudfront.net", downloads().Domain, "and is not rewritten")
}

// pooledInitech is platinumWorld with Initech active on a pooled tier and
// the outputs of its tenant stack naming a table of its own (silo).
func pooledInitech(t *testing.T) (*onboarding.Service, *fakeAWS, map[string]string, schema.Names, onboarding.Pooled) {
	svc, f, outputs := platinumWorld(t)
	_, silo := testenv.Tables(t) // what the tenant stack's deploy creates
	outputs["TableName"] = silo.App()
	pooled := svc.Machine.Pooled.(onboarding.Pooled)
	require.NoError(t, svc.Tenants.Create(context.Background(), tenant.Tenant{ID: "initech", Name: "Initech", Tier: "standard", Status: tenant.StatusActive,
		Table: pooled.Table, UserPoolID: pooled.UserPoolID, APIKeyID: "k", APIKey: "v", CreatedAt: time.Now()}))
	return svc, f, outputs, silo, pooled
}

// A tier migration into Platinum waits in provision_target for its tenant
// stack: the pipeline's deploy outcome resumes it there as it resumes an
// onboarding's place (before, the outcome was ignored as one for a run not
// waiting on it, and the migration waited for good).
func TestADeployOutcomeResumesATierMigrationWaitingForItsTenantStack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, f, outputs, silo, _ := pooledInitech(t)
	h := awsstacks.Handler{M: svc.Machine}
	_, err := svc.Migrate(ctx, "initech", "platinum", audit.Actor{Kind: audit.ActorRoot, ID: "root-1"})
	require.NoError(t, err)
	var st onboarding.State
	require.Eventually(t, func() bool {
		st, err = svc.States.Get(ctx, "initech")
		return err == nil && st.Waiting == onboarding.StepProvisionTarget
	}, eventually.Deadline, 50*time.Millisecond, "the migration waits for the stack")
	require.Len(t, f.puts, 1, "the deploy requested")

	f.set("CREATE_COMPLETE", outputs)
	require.NoError(t, h.Handle(ctx, event(t, stackevents.DetailTypeSucceeded, "initech", stackevents.ActionDeploy, "")))
	require.Eventually(t, func() bool {
		st, err = svc.States.Get(ctx, "initech")
		return err == nil && st.IsDone(onboarding.StepProvisionTarget)
	}, eventually.Deadline, 50*time.Millisecond, "provision_target done after the outcome: %+v", st)
	assert.NotEqual(t, onboarding.StepProvisionTarget, st.Waiting)
	assert.Equal(t, silo.App(), st.Migration.To.Table, "the new home is the stack's table")
	assert.Len(t, f.puts, 1, "no second deploy request")
}

// The pipeline of a cell deploys a stack for another cell's move too: its
// outcome reaches this cell's handler, which holds no run of the tenant.
// It is no error (a redelivery cannot change it, and an error would end in
// the dead-letter queue, whose alarm pages), and nothing is written.
func TestAnOutcomeForATenantWithoutARunHereIsIgnored(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, _, _ := platinumWorld(t)
	h := awsstacks.Handler{M: svc.Machine}
	require.NoError(t, h.Handle(ctx, event(t, stackevents.DetailTypeSucceeded, "umbrella", stackevents.ActionDeploy, "")))
	_, err := svc.States.Get(ctx, "umbrella")
	assert.Error(t, err, "no run created")
}

// busRecorder is the tenants function's bus: it records the events put.
type busRecorder struct {
	mu      sync.Mutex
	entries []eventbus.Entry
}

func (b *busRecorder) Put(_ context.Context, e eventbus.Entry) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.entries = append(b.entries, e)
	return "e-1", nil
}

// A rollback of an upgrade to Platinum that Root asks the tenants function
// for is a run of the onboarding function, as the forward run is: the
// tenants function (whose Platinum provisioner is RunsElsewhere, as in
// AWS) records the request and puts the run's event on the bus, without
// touching the stack; the onboarding function's handler runs it: the
// freeze and key log ended, the tenant stack's destroy requested, the run
// waiting for the destroy's outcome, which finishes it rolled back. Before,
// the tenants function destroyed the stack itself and failed with
// ErrRunsElsewhere.
func TestARollbackOfAnUpgradeIsARunOfTheOnboardingFunction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, f, outputs, siloNames, pooled := pooledInitech(t)
	h := awsstacks.Handler{M: svc.Machine}
	f.set("CREATE_COMPLETE", outputs)
	svc.BeforeStep = func(_ context.Context, _ string, _ onboarding.Phase, s onboarding.Step) error {
		if s == onboarding.StepCatchUp {
			return errors.New("injected")
		}
		return nil
	}
	root := audit.Actor{Kind: audit.ActorRoot, ID: "root-1"}
	_, err := svc.Migrate(ctx, "initech", "platinum", root)
	require.NoError(t, err)
	var st onboarding.State
	require.Eventually(t, func() bool {
		st, err = svc.States.Get(ctx, "initech")
		return err == nil && st.FailedStep == onboarding.StepCatchUp
	}, eventually.Deadline, 50*time.Millisecond, "the migration fails after its copy")
	require.Equal(t, siloNames.App(), st.Migration.To.Table)
	tn, err := svc.Tenants.Get(ctx, "initech")
	require.NoError(t, err)
	require.False(t, tn.KeyLogSince.IsZero(), "the copy started the key log")

	// The tenants function: the same tables, runs on the bus, no stacks.
	bus := &busRecorder{}
	m := *svc.Machine
	m.Platinum = lifecyclecore.RunsElsewhere{}
	tenantsFn := *svc
	tenantsFn.Machine = &m
	tenantsFn.Driver = runbus.Driver{Events: bus, Bus: "issuetracker"}
	requests := len(f.puts)
	st, err = tenantsFn.RollbackMigration(ctx, "initech", root)
	require.NoError(t, err, "the tenants function hands the rollback over")
	require.Len(t, bus.entries, 1, "one run requested on the bus")
	assert.Equal(t, stackevents.DetailTypeRunRequested, bus.entries[0].DetailType)
	assert.True(t, st.Migration.RollbackRequested)
	assert.False(t, st.Migration.RolledBack, "not done by the tenants function")
	assert.True(t, st.FinishedAt.IsZero())
	assert.Contains(t, st.Steps(""), onboarding.StepRollback)
	assert.Len(t, f.puts, requests, "the tenants function requested no destroy")

	// The onboarding function runs it on that event.
	require.NoError(t, h.Handle(ctx, awsstacks.Event{Source: bus.entries[0].Source, DetailType: bus.entries[0].DetailType,
		Detail: json.RawMessage(bus.entries[0].Detail)}))
	st, err = svc.States.Get(ctx, "initech")
	require.NoError(t, err)
	assert.Equal(t, onboarding.StepRollback, st.Waiting, "waits for the stack's destroy: %+v", st)
	require.Len(t, f.puts, requests+1, "the destroy requested")
	assert.Contains(t, f.puts[requests], stackevents.DetailTypeDestroyRequested)
	tn, err = svc.Tenants.Get(ctx, "initech")
	require.NoError(t, err)
	assert.True(t, tn.KeyLogSince.IsZero(), "the key log ended before the destroy")
	assert.False(t, tn.WritesFrozen)
	assert.Equal(t, pooled.Table, tn.Table, "never left its old home")

	f.set("", nil) // destroyed
	require.NoError(t, h.Handle(ctx, event(t, stackevents.DetailTypeSucceeded, "initech", stackevents.ActionDestroy, "")))
	st, err = svc.States.Get(ctx, "initech")
	require.NoError(t, err)
	assert.False(t, st.FinishedAt.IsZero(), "finished: %+v", st)
	assert.True(t, st.Migration.RolledBack)
	assert.EqualValues(t, "standard", st.Tier)
	assert.Empty(t, st.FailedStep, st.Error)
	assert.Len(t, f.puts, requests+1, "one destroy request")
	tn, err = svc.Tenants.Get(ctx, "initech")
	require.NoError(t, err)
	assert.EqualValues(t, "standard", tn.Tier)
	assert.Equal(t, pooled.Table, tn.Table)
}
