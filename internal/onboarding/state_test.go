package onboarding_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/issuetracker/issuetracker/internal/onboarding"
)

// Elapsed counts an onboarding from the registration and every other run
// from its start. A tier migration has no registration time: counted from
// it, its audit said elapsed=2562047h47m (the largest duration).
func TestElapsedCountsEachPhaseFromItsOwnStart(t *testing.T) {
	t.Parallel()
	reg := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	start := reg.Add(48 * time.Hour)
	end := start.Add(90 * time.Second)
	for _, tc := range []struct {
		st   onboarding.State
		want time.Duration
	}{
		{onboarding.State{Phase: onboarding.PhaseOnboarding, RegisteredAt: reg, StartedAt: start, FinishedAt: end}, 48*time.Hour + 90*time.Second},
		{onboarding.State{Phase: onboarding.PhaseOffboarding, RegisteredAt: reg, StartedAt: start, FinishedAt: end}, 90 * time.Second},
		{onboarding.State{Phase: onboarding.PhaseMigration, StartedAt: start, FinishedAt: end}, 90 * time.Second},
		{onboarding.State{Phase: onboarding.PhaseMigration, StartedAt: start}, 0},
		{onboarding.State{Phase: onboarding.PhaseMigration, FinishedAt: end}, 0},
	} {
		assert.Equal(t, tc.want, tc.st.Elapsed(), "%s", tc.st.Phase)
	}
}
