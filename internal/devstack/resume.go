package devstack

import (
	"context"
	"fmt"
	"os"
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
// died (onboarding.Service.ResumeStalled), as a restarted platform must.
func resumeOnboardings(ctx context.Context, svc *onboarding.Service, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			ids, err := svc.ResumeStalled(ctx)
			if err != nil && ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "resume onboardings: %v\n", err)
			}
			if len(ids) > 0 {
				fmt.Printf("onboarding: resumed the stalled runs of %v\n", ids)
			}
			if ids, err = svc.RetireExpired(ctx); err != nil && ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "retire old homes: %v\n", err)
			}
			if len(ids) > 0 {
				fmt.Printf("migration: deleting the old homes of %v\n", ids)
			}
		}
	}
}
