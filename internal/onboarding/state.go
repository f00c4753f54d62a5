// Package onboarding is how a company becomes a tenant and stops being one:
// an explicit, persisted state machine per tenant. Onboarding runs the steps
// of the tenant's model (pooled: admin user in the shared pool, API key,
// active; Platinum: the tenant's own stack first), offboarding exports the
// tenant's data and then removes everything. Every step is idempotent and
// recorded when done, so a retry resumes where the last run stopped. The
// machine runs in-process locally and from an event in AWS (Driver).
package onboarding

import (
	"context"
	"slices"
	"time"

	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Step is one idempotent step of a run.
type Step string

// Onboarding steps, in order.
const (
	StepPlace     Step = "place"        // where the data and users live: shared table and pool, or the tenant's own stack
	StepAdminUser Step = "admin_user"   // the Super Admin in the tenant's pool and user directory
	StepAPIKey    Step = "api_key"      // the tenant's API key on its tier's usage plan
	StepInvite    Step = "invite_admin" // the Super Admin's invitation mail (temporary password, sign-in URL)
	StepActivate  Step = "activate"     // the registry record active
)

// Offboarding steps, in order.
const (
	StepSuspend     Step = "suspend"      // status offboarding: every token refused from now on
	StepExport      Step = "export"       // all of the tenant's data to an archive
	StepDeleteUsers Step = "delete_users" // the tenant's users in the shared pool
	StepDeleteData  Step = "delete_data"  // the tenant's items in the pooled table
	StepDeleteKey   Step = "delete_api_key"
	StepDestroy     Step = "destroy_stack" // Platinum: the tenant's stack, table and pool
	StepTombstone   Step = "tombstone"     // status deleted; the id is never reused
)

// Phase is what a run does.
type Phase string

const (
	PhaseOnboarding  Phase = "onboarding"
	PhaseOffboarding Phase = "offboarding"
)

// Plan returns the steps of a phase for a tier's model, in order.
func Plan(p Phase, iso tiers.Isolation) []Step {
	if p == PhaseMigration {
		return migrationPlan()
	}
	if p == PhaseOffboarding {
		if iso == tiers.Silo {
			return []Step{StepSuspend, StepExport, StepDeleteKey, StepDestroy, StepTombstone}
		}
		return []Step{StepSuspend, StepExport, StepDeleteUsers, StepDeleteData, StepDeleteKey, StepTombstone}
	}
	return []Step{StepPlace, StepAdminUser, StepAPIKey, StepInvite, StepActivate}
}

// StepResult is a finished step.
type StepResult struct {
	Step       Step          `json:"step"`
	FinishedAt time.Time     `json:"finished_at"`
	Duration   time.Duration `json:"duration_ns"`
}

// State is the persisted progress of a tenant's lifecycle run.
type State struct {
	TenantID   string     `json:"tenant_id"`
	Phase      Phase      `json:"phase"`
	AdminEmail string     `json:"admin_email"`
	Tier       tiers.Name `json:"tier"`
	// Done lists the finished steps of the current phase, in order.
	Done []StepResult `json:"done"`
	// FailedStep and Error describe the last failure; cleared on success.
	FailedStep Step   `json:"failed_step,omitempty"`
	Error      string `json:"error,omitempty"`
	Attempts   int    `json:"attempts"`
	// Waiting is the step that waits for an outcome reported by an event
	// (the tenant stack's deploy or destroy in AWS), since WaitingSince
	// (for a migration: or since the maintenance last asked for the
	// outcome, ResumeStalled).
	Waiting      Step      `json:"waiting,omitempty"`
	WaitingSince time.Time `json:"waiting_since,omitzero"`
	// AdminSub is the Super Admin's Cognito sub once created.
	AdminSub string `json:"admin_sub,omitempty"`
	// VerifiedAt is when the registrant proved they own AdminEmail;
	// ApprovedAt and ApprovedBy when Root admitted a paid tier.
	VerifiedAt time.Time `json:"verified_at,omitzero"`
	ApprovedAt time.Time `json:"approved_at,omitzero"`
	ApprovedBy string    `json:"approved_by,omitempty"`
	// Archive is where offboarding exported the tenant's data.
	Archive string `json:"archive,omitempty"`
	// Migration is a tier migration's progress (phase migration).
	Migration *MigrationRecord `json:"migration,omitempty"`
	// LeaseUntil keeps two runners off the same tenant.
	LeaseUntil   time.Time `json:"lease_until,omitzero"`
	RegisteredAt time.Time `json:"registered_at"`
	StartedAt    time.Time `json:"started_at,omitzero"`
	FinishedAt   time.Time `json:"finished_at,omitzero"`
	Version      int64     `json:"version"`
}

// todo is what a run does: its phase's plan, or StepRollback alone for a
// migration Root asked to roll back.
func (s State) todo() []Step {
	if s.RollingBack() {
		return []Step{StepRollback}
	}
	return Plan(s.Phase, tiers.MustGet(s.Tier).Isolation)
}

// RollingBack reports whether the run is a migration Root asked to roll
// back (RollbackMigration): its run does StepRollback only.
func (s State) RollingBack() bool {
	return s.Phase == PhaseMigration && s.Migration != nil && s.Migration.RollbackRequested
}

// Steps is the run's plan as shown to Root: its phase's, then StepRollback
// for a migration being rolled back.
func (s State) Steps(iso tiers.Isolation) []Step {
	p := Plan(s.Phase, iso)
	if s.RollingBack() {
		p = append(p, StepRollback)
	}
	return p
}

// IsDone reports whether step s of the current phase has finished.
func (s State) IsDone(step Step) bool {
	return slices.ContainsFunc(s.Done, func(r StepResult) bool { return r.Step == step })
}

// Elapsed is the time from registration (onboarding) or from the start of
// the run (offboarding, a tier migration) to its end; zero while running
// or when the start is unknown.
func (s State) Elapsed() time.Duration {
	from := s.StartedAt
	if s.Phase == PhaseOnboarding {
		from = s.RegisteredAt
	}
	if s.FinishedAt.IsZero() || from.IsZero() {
		return 0
	}
	return s.FinishedAt.Sub(from)
}

// Store persists lifecycle state; the DynamoDB implementation is
// package onboardingdb.
type Store interface {
	// Get returns the state or not_found (onboarding_not_found).
	Get(ctx context.Context, tenantID string) (State, error)
	// Put replaces the state if its Version matches (precondition_failed
	// otherwise) and returns it with the new version.
	Put(ctx context.Context, s State) (State, error)
	// Delete removes the state (offboarding: it holds the admin's email).
	Delete(ctx context.Context, tenantID string) error
}
