package devstack

import (
	"context"
	"time"

	"github.com/issuetracker/issuetracker/internal/onboarding"
)

// OnboardingLease is how long a local onboarding run owns its tenant
// without progress: a run that died with a killed `make dev` is resumed
// this long after its last step (a Platinum synth step stays well under it).
const OnboardingLease = 3 * time.Minute

func every(d time.Duration) time.Duration {
	if d == 0 {
		return BillingSweepInterval
	}
	return d
}

// resumeOnboardings starts again, every interval, the onboardings whose run
// died and retires expired old homes (onboarding.Service.Maintain), as a
// restarted platform must.
func resumeOnboardings(ctx context.Context, svc *onboarding.Service, interval time.Duration) {
	schedule(ctx, interval, "lifecycle maintenance", func(time.Time) error { return svc.Maintain(ctx) })
}
