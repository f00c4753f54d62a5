package onboarding_test

import (
	"context"
	"testing"
	"time"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dies stands in for a process killed in the middle of placing the tenant.
type dies struct {
	onboarding.Provisioner
	armed bool
}

func (d *dies) Provision(ctx context.Context, t tenant.Tenant) (onboarding.Placement, error) {
	if d.armed {
		d.armed = false
		panic("the process was killed")
	}
	return d.Provisioner.Provision(ctx, t)
}

// An onboarding whose process died mid-run leaves a provisioning tenant
// (never one that looks active) and is resumed once its lease expires.
func TestAnOnboardingWhoseRunDiedIsResumedAfterItsLease(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	f.svc.Machine.Now = func() time.Time { return now }
	f.svc.Machine.Pooled = &dies{Provisioner: f.svc.Machine.Pooled, armed: true}
	code := f.register(t, "killed", "boss-killed@"+f.domain, "basic")
	func() {
		defer func() { require.NotNil(t, recover(), "the run died") }()
		_, _ = f.svc.Verify(ctx, "killed", code, audit.Actor{Kind: audit.ActorPublic})
	}()
	tn, err := f.reg.Get(ctx, "killed")
	require.NoError(t, err)
	assert.Equal(t, tenant.StatusProvisioning, tn.Status, "no half-tenant that looks active")

	resumed, err := f.svc.ResumeStalled(ctx)
	require.NoError(t, err)
	assert.NotContains(t, resumed, "killed", "within its lease the run may still be alive")

	now = now.Add(16 * time.Minute)
	resumed, err = f.svc.ResumeStalled(ctx)
	require.NoError(t, err)
	assert.Contains(t, resumed, "killed")
	tn, err = f.reg.Get(ctx, "killed")
	require.NoError(t, err)
	assert.Equal(t, tenant.StatusActive, tn.Status)
	resumed, err = f.svc.ResumeStalled(ctx)
	require.NoError(t, err)
	assert.NotContains(t, resumed, "killed", "a finished onboarding is left alone")
}
