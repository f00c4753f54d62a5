package awsstacks

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/stackevents"
)

// Event is the part of an EventBridge event the handler reads.
type Event struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
}

// Handler turns the provisioning pipeline's outcomes into machine runs,
// and runs Maintain when the platform's schedule says it is due.
type Handler struct {
	M *onboarding.Machine
	// Maintain is the lifecycle's periodic job (onboarding.Service.Maintain);
	// nil: the schedule's events are ignored.
	Maintain func(context.Context) error
}

// stepsOf are the machine steps that wait on a stack action: a deploy is
// awaited by onboarding's place and by a migration's provision_target (a
// tier migration into Platinum: before, its outcome was ignored as "a run
// not waiting on it" and the run waited for good), a destroy by
// offboarding's destroy, by a migration's retire (the old tenant stack
// after the grace period) and by a rollback's (the new one). A rollback
// requested while the stack was still being deployed waits for that
// deploy, then requests the destroy: both outcomes resume it.
func stepsOf(action string) ([]onboarding.Step, bool) {
	switch action {
	case stackevents.ActionDeploy:
		return []onboarding.Step{onboarding.StepPlace, onboarding.StepProvisionTarget, onboarding.StepRollback}, true
	case stackevents.ActionDestroy:
		return []onboarding.Step{onboarding.StepDestroy, onboarding.StepRetire, onboarding.StepRollback}, true
	}
	return nil, false
}

// Handle processes one event. Succeeded resumes the tenant's run (the step
// reads the stack's outputs from CloudFormation); Failed records the failure
// on the waiting step. Redelivered or stale events change nothing. An error
// is returned only for what a redelivery could fix (Lambda retries it).
func (h Handler) Handle(ctx context.Context, ev Event) error {
	if ev.Source == stackevents.SourceLifecycle && ev.DetailType == stackevents.DetailTypeRunRequested {
		return h.run(ctx, ev)
	}
	if ev.Source == stackevents.SourceLifecycle && ev.DetailType == stackevents.DetailTypeMaintenanceDue {
		if h.Maintain == nil {
			return nil
		}
		return h.Maintain(ctx)
	}
	if ev.Source != stackevents.SourceProvisioning {
		slog.WarnContext(ctx, "ignored event from another source", "source", ev.Source, "detail_type", ev.DetailType)
		return nil
	}
	var r stackevents.Report
	if err := json.Unmarshal(ev.Detail, &r); err != nil || r.TenantID == "" {
		slog.ErrorContext(ctx, "ignored malformed provisioning event", "detail", string(ev.Detail), "err", err)
		return nil
	}
	steps, ok := stepsOf(r.Action)
	if !ok {
		slog.ErrorContext(ctx, "ignored provisioning event with an unknown action", "tenant", r.TenantID, "action", r.Action)
		return nil
	}
	switch ev.DetailType {
	case stackevents.DetailTypeSucceeded:
		st, err := h.M.States.Get(ctx, r.TenantID)
		if errs.Is(err, errs.KindNotFound) {
			// No run of the tenant here: a stack this cell's pipeline
			// deployed for another cell's move (that cell's maintenance
			// resumes it: ResumeWaitingMoves). A redelivery cannot change
			// that, so it is not an error (which would end in the outcome
			// rule's dead-letter queue and its alarm).
			slog.InfoContext(ctx, "stack outcome for a tenant without a run here", "tenant", r.TenantID, "action", r.Action)
			return nil
		}
		if err != nil {
			return fmt.Errorf("resume %s: %w", r.TenantID, err)
		}
		if !slices.Contains(steps, st.Waiting) || !st.FinishedAt.IsZero() {
			slog.InfoContext(ctx, "stack outcome for a run not waiting on it", "tenant", r.TenantID, "action", r.Action, "waiting", st.Waiting)
			return nil
		}
		st, err = h.M.Run(ctx, r.TenantID)
		// A failed step is recorded in the state (and on the tenant); only a
		// run that could not start or record its progress is retried.
		if err != nil && st.FailedStep == "" {
			return fmt.Errorf("resume %s: %w", r.TenantID, err)
		}
		slog.InfoContext(ctx, "lifecycle resumed", "tenant", r.TenantID, "phase", st.Phase, "finished", !st.FinishedAt.IsZero(), "failed_step", st.FailedStep)
		return nil
	case stackevents.DetailTypeFailed:
		reason := "tenant stack " + r.Action + " failed in the provisioning pipeline"
		if r.Error != "" {
			reason += ": " + r.Error
		}
		step := steps[0]
		if st, err := h.M.States.Get(ctx, r.TenantID); err == nil && slices.Contains(steps, st.Waiting) {
			step = st.Waiting
		}
		failed, err := h.M.FailWaiting(ctx, r.TenantID, step, reason)
		if err != nil {
			return fmt.Errorf("record failure of %s: %w", r.TenantID, err)
		}
		slog.InfoContext(ctx, "stack failure recorded", "tenant", r.TenantID, "action", r.Action, "recorded", failed)
		return nil
	}
	slog.WarnContext(ctx, "ignored provisioning event", "detail_type", ev.DetailType)
	return nil
}

// run runs a tenant's lifecycle as the API asked (Driver). A failed step is
// recorded in the state and on the tenant, and a run already in progress
// holds the lease: neither is retried. Only a run that could not start is.
func (h Handler) run(ctx context.Context, ev Event) error {
	var r stackevents.Request
	if err := json.Unmarshal(ev.Detail, &r); err != nil || r.TenantID == "" {
		slog.ErrorContext(ctx, "ignored malformed lifecycle event", "detail", string(ev.Detail), "err", err)
		return nil
	}
	st, err := h.M.Run(ctx, r.TenantID)
	if err != nil && st.FailedStep == "" && !errs.Is(err, errs.KindConflict) {
		return fmt.Errorf("run the lifecycle of %s: %w", r.TenantID, err)
	}
	slog.InfoContext(ctx, "lifecycle run", "tenant", r.TenantID, "phase", st.Phase, "finished", !st.FinishedAt.IsZero(), "failed_step", st.FailedStep, "waiting", st.Waiting)
	return nil
}
