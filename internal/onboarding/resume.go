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
// (outcomeUnheard). It returns the tenants resumed. Maintain calls it.
func (s *Service) ResumeStalled(ctx context.Context) ([]string, error) {
	resumed, err := s.resume(ctx, tenant.StatusProvisioning, "onboarding", func(_ context.Context, st State) (bool, error) {
		return st.Phase == PhaseOnboarding && st.FinishedAt.IsZero() && st.FailedStep == "" && st.Waiting == "" &&
			!s.now().Before(st.LeaseUntil), nil
	})
	if err != nil {
		return resumed, err
	}
	more, err := s.resume(ctx, tenant.StatusActive, "migration", s.outcomeUnheard)
	return append(resumed, more...), err
}

// outcomeUnheard says whether to start a run again: a tier migration of
// an active tenant that has waited a lease or longer for an outcome (the
// tenant stack's deploy or destroy) whose event never came: it finished while the
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
func (s *Service) outcomeUnheard(ctx context.Context, st State) (bool, error) {
	if st.Phase != PhaseMigration || !st.FinishedAt.IsZero() || st.FailedStep != "" || st.Waiting == "" || st.Waiting == StepRetire ||
		s.now().Before(st.WaitingSince.Add(s.lease())) {
		return false, nil
	}
	// Asked again a lease from now, not at every maintenance.
	st.WaitingSince = s.now()
	if _, err := s.States.Put(ctx, st); errs.Is(err, errs.KindPreconditionFailed) {
		return false, nil // another process moved the run on
	} else if err != nil {
		return false, err
	}
	return true, nil
}

// resume starts again the runs of the tenants with status that due says
// are due, auditing "<what>.resumed"; it returns the tenants resumed.
func (s *Service) resume(ctx context.Context, status tenant.Status, what string, due func(context.Context, State) (bool, error)) ([]string, error) {
	var resumed []string
	for cursor := ""; ; {
		page, err := s.Tenants.ListByStatus(ctx, status, list.Request{Limit: list.MaxLimit, Cursor: cursor})
		if err != nil {
			return resumed, fmt.Errorf("resume stalled runs (%s): %w", what, err)
		}
		for _, t := range page.Items {
			st, err := s.States.Get(ctx, t.ID)
			if errs.Is(err, errs.KindNotFound) {
				continue
			}
			if err != nil {
				return resumed, err
			}
			if ok, err := due(ctx, st); err != nil {
				return resumed, err
			} else if !ok {
				continue
			}
			detail := map[string]string{"attempt": fmt.Sprint(st.Attempts + 1)}
			if st.Waiting != "" {
				detail["waiting"] = string(st.Waiting)
			}
			s.audit(ctx, t.ID, what+".resumed", detail)
			if err := s.Driver.Start(ctx, t.ID); err != nil && !errs.Is(err, errs.KindConflict) {
				return resumed, fmt.Errorf("resume %s of %s: %w", what, t.ID, err)
			}
			resumed = append(resumed, t.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			return resumed, nil
		}
	}
}

// ResumeWaitingMoves resumes the moves to another cell that wait in
// provision_target for their tenant stack in the target cell, once that
// stack is deployed. The target cell's pipeline reports the outcome on the
// target cell's bus, whose onboarding function holds no run of the tenant
// (the run is this cell's), so this cell polls instead: one read of the
// stack's state (StackOutputs: DescribeStacks, never a deploy request)
// per waiting move and maintenance. A failed or missing stack leaves the
// move waiting (Root rolls it back). It returns the tenants resumed.
func (s *Service) ResumeWaitingMoves(ctx context.Context) ([]string, error) {
	if s.Cells == nil {
		return nil, nil
	}
	all, err := tenant.All(ctx, s.Tenants)
	if err != nil {
		return nil, fmt.Errorf("resume waiting moves: %w", err)
	}
	var resumed []string
	var failed []error
	for _, t := range all {
		if t.Status != tenant.StatusActive {
			continue
		}
		st, err := s.States.Get(ctx, t.ID)
		if errs.Is(err, errs.KindNotFound) {
			continue
		}
		if err != nil {
			return resumed, err
		}
		if st.Phase != PhaseMigration || st.Waiting != StepProvisionTarget || st.Migration == nil || st.Migration.TargetCell == "" ||
			!st.FinishedAt.IsZero() {
			continue
		}
		c, ok := s.Cells.Get(st.Migration.TargetCell)
		if !ok {
			continue
		}
		p, ok := c.Platinum.(Platinum)
		if !ok {
			continue
		}
		r, ok := p.Stacks.(StackOutputs)
		if !ok {
			continue
		}
		if _, deployed, err := r.Outputs(ctx, t.ID); err != nil {
			failed = append(failed, fmt.Errorf("move of %s: %w", t.ID, err))
			continue
		} else if !deployed {
			continue
		}
		if err := s.Driver.Start(ctx, t.ID); err != nil && !errs.Is(err, errs.KindConflict) {
			failed = append(failed, fmt.Errorf("resume the move of %s: %w", t.ID, err))
			continue
		}
		resumed = append(resumed, t.ID)
	}
	return resumed, errors.Join(failed...)
}

// Maintain is the lifecycle's periodic job: it resumes the runs that died
// (ResumeStalled) and the moves whose target cell's tenant stack is
// deployed (ResumeWaitingMoves), starts the retirement of old homes whose grace
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
	moved, merr := s.ResumeWaitingMoves(ctx)
	if len(moved) > 0 {
		slog.InfoContext(ctx, "migration: resumed moves whose target stack is deployed", "tenants", moved)
	}
	retiring, rerr := s.RetireExpired(ctx)
	if len(retiring) > 0 {
		slog.InfoContext(ctx, "migration: deleting old homes", "tenants", retiring)
	}
	_, berr := s.BackfillDownloads(ctx)
	return errors.Join(err, merr, rerr, berr)
}
