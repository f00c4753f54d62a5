package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/issuetracker/issuetracker/internal/devstack"
	"github.com/issuetracker/issuetracker/internal/envvars"
	"github.com/issuetracker/issuetracker/internal/gateway"
)

// make dev honours the duration knobs of its environment: the browser
// suite shortens the notification mail's batching window with the same
// ITR_NOTIFY_WINDOW the activity stream function reads.
func TestDevConfigReadsTheDurationKnobs(t *testing.T) {
	t.Setenv(envvars.NotifyWindow, "2s")
	t.Setenv(envvars.MigrationSettle, "6s")
	t.Setenv(envvars.BillingGrace, "90s")
	t.Setenv(envvars.OnboardingLease, "5s")
	cfg, err := devConfig(devstack.InProcess, t.TempDir(), t.TempDir(), "localhost:18581", "web/dist", gateway.TierLimits{})
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, cfg.NotifyWindow)
	assert.Equal(t, 6*time.Second, cfg.Migration.Settle)
	assert.Equal(t, 90*time.Second, cfg.BillingGrace)
	assert.Equal(t, 5*time.Second, cfg.OnboardingLease)

	// Unset: the stack's defaults (DevNotifyWindow, the settle default).
	t.Setenv(envvars.NotifyWindow, "")
	t.Setenv(envvars.MigrationSettle, "")
	t.Setenv(envvars.BillingGrace, "")
	t.Setenv(envvars.OnboardingLease, "")
	cfg, err = devConfig(devstack.InProcess, t.TempDir(), t.TempDir(), "localhost:18581", "web/dist", gateway.TierLimits{})
	require.NoError(t, err)
	assert.Zero(t, cfg.NotifyWindow)
	assert.Zero(t, cfg.Migration.Settle)
	assert.Equal(t, devstack.DevGrace, cfg.BillingGrace)
}

// A knob that is no duration stops make dev naming it, instead of
// quietly running with the default (ITR_MIGRATION_SETTLE=6 is not 6 s).
func TestDevConfigRefusesAMalformedDuration(t *testing.T) {
	for _, k := range []string{envvars.NotifyWindow, envvars.MigrationSettle, envvars.BillingGrace, envvars.OnboardingLease} {
		for _, v := range []string{"6", "soon", "-2s", "0s"} {
			t.Run(k+"="+v, func(t *testing.T) {
				t.Setenv(k, v)
				_, err := devConfig(devstack.InProcess, t.TempDir(), t.TempDir(), "localhost:18581", "web/dist", gateway.TierLimits{})
				require.Error(t, err)
				assert.Contains(t, err.Error(), k)
			})
		}
	}
}
