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
// It returns the tenants resumed. Maintain calls it.
func (s *Service) ResumeStalled(ctx context.Context) ([]string, error) {
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
