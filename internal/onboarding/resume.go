package onboarding

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/tenant"
)

// ResumeStalled starts again every onboarding whose run died: the tenant is
// provisioning, its run has neither finished, failed nor stopped to wait
// for an outcome, and its lease has expired (the process that held it is
// gone: a killed local platform, a function that timed out). Each step is
// idempotent, so the new run picks up at the first step not recorded done.
// Then the tier migrations waiting for an outcome that was never heard
// (resumeMigrations). It returns the tenants resumed. Maintain calls it.
func (s *Service) ResumeStalled(ctx context.Context) ([]string, error) {
	resumed, err := s.resumeOnboardings(ctx)
	if err != nil {
		return resumed, err
	}
	more, err := s.resumeMigrations(ctx)
	return append(resumed, more...), err
}

// resumeMigrations starts again every tier migration of an active tenant
// that has waited a lease or longer for an outcome (the tenant stack's
// deploy or destroy) whose event never came: it finished while the
// process that would have heard it was down, or the event was lost.
// Running the waiting step again asks for the outcome (the deployer's
// Deploy returns the deployed stack, or ErrWaiting again while it is
// under way); after a lease, not sooner, since a stack just requested may
// not exist yet and asking then would request it twice; and a lease
// later again if it still waits.
//
// A run waiting for its grace period (retire_old_home) is RetireExpired's.
// A migration that died in a step is not resumed here: a step has no
// heartbeat, and a local copy of a large tenant under load can outlast
// the lease while still running (Root's retry resumes such a run).
func (s *Service) resumeMigrations(ctx context.Context) ([]string, error) {
	var resumed []string
	for cursor := ""; ; {
		page, err := s.Tenants.ListByStatus(ctx, tenant.StatusActive, list.Request{Limit: list.MaxLimit, Cursor: cursor})
		if err != nil {
			return resumed, fmt.Errorf("resume stalled migrations: %w", err)
		}
		for _, t := range page.Items {
			st, err := s.States.Get(ctx, t.ID)
			if errs.Is(err, errs.KindNotFound) {
				continue
			}
			if err != nil {
				return resumed, err
			}
			if st.Phase != PhaseMigration || !st.FinishedAt.IsZero() || st.FailedStep != "" || st.Waiting == "" || st.Waiting == StepRetire ||
				s.now().Before(st.WaitingSince.Add(s.lease())) {
				continue
			}
			// Asked again a lease from now, not at every maintenance.
			st.WaitingSince = s.now()
			if _, err := s.States.Put(ctx, st); errs.Is(err, errs.KindPreconditionFailed) {
				continue // another process moved the run on
			} else if err != nil {
				return resumed, err
			}
			s.audit(ctx, t.ID, "migration.resumed", map[string]string{"attempt": fmt.Sprint(st.Attempts + 1), "waiting": string(st.Waiting)})
			if err := s.Driver.Start(ctx, t.ID); err != nil && !errs.Is(err, errs.KindConflict) {
				return resumed, fmt.Errorf("resume migration of %s: %w", t.ID, err)
			}
			resumed = append(resumed, t.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			return resumed, nil
		}
	}
}

// resumeOnboardings is ResumeStalled's part for onboardings.
func (s *Service) resumeOnboardings(ctx context.Context) ([]string, error) {
	var resumed []string
	for cursor := ""; ; {
		page, err := s.Tenants.ListByStatus(ctx, tenant.StatusProvisioning, list.Request{Limit: list.MaxLimit, Cursor: cursor})
		if err != nil {
			return resumed, fmt.Errorf("resume stalled onboardings: %w", err)
		}
		for _, t := range page.Items {
			st, err := s.States.Get(ctx, t.ID)
			if errs.Is(err, errs.KindNotFound) {
				continue
			}
			if err != nil {
				return resumed, err
			}
			if st.Phase != PhaseOnboarding || !st.FinishedAt.IsZero() || st.FailedStep != "" || st.Waiting != "" ||
				s.now().Before(st.LeaseUntil) {
				continue
			}
			s.audit(ctx, t.ID, "onboarding.resumed", map[string]string{"attempt": fmt.Sprint(st.Attempts + 1)})
			if err := s.Driver.Start(ctx, t.ID); err != nil && !errs.Is(err, errs.KindConflict) {
				return resumed, fmt.Errorf("resume onboarding of %s: %w", t.ID, err)
			}
			resumed = append(resumed, t.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			return resumed, nil
		}
	}
}

// Maintain is the lifecycle's periodic job: it resumes the runs that died
// (ResumeStalled), starts the retirement of old homes whose grace
// period is over (RetireExpired) and records the download distribution of
// Platinum tenants onboarded before it was recorded, and the key id a
// download-key rotation gave a stack in the tenant's own account
// (BackfillDownloads).
// The local platform calls it every few seconds; in AWS a schedule invokes
// the onboarding function with stackevents.DetailTypeMaintenanceDue every
// few minutes (infra/stacks lifecycle.go). Every part runs even if one
// before it fails.
func (s *Service) Maintain(ctx context.Context) error {
	resumed, err := s.ResumeStalled(ctx)
	if len(resumed) > 0 {
		slog.InfoContext(ctx, "onboarding: resumed stalled runs", "tenants", resumed)
	}
	retiring, rerr := s.RetireExpired(ctx)
	if len(retiring) > 0 {
		slog.InfoContext(ctx, "migration: deleting old homes", "tenants", retiring)
	}
	_, berr := s.BackfillDownloads(ctx)
	return errors.Join(err, rerr, berr)
}
