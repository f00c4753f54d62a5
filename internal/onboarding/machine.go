package onboarding

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/cognito/identity"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/people"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Machine runs lifecycle steps. Build it once per process.
type Machine struct {
	Tenants   tenant.Registry
	States    Store
	Audit     audit.Log
	Pooled    Provisioner
	Platinum  Provisioner // nil: Platinum registrations are refused
	Users     Users
	Directory people.Directory
	Keys      APIKeys
	Data      Data
	Archive   Archive
	// Mail sends the Super Admin's invitation (and, in Service, the
	// registration's verification code); WebBaseURL is the web app for the
	// sign-in link.
	Mail       mail.Sender
	WebBaseURL string
	// SharedPoolID is the shared user pool of pooled tiers: verification
	// checks that the admin email is not a user of another tenant there.
	SharedPoolID string
	// SharedClientID is the shared pool's app client: a directory entry
	// naming the shared pool names it (a pooled tenant's record holds no
	// client of its own).
	SharedClientID string
	// ForgetIssuer removes a destroyed pool's issuer mapping (tenantdb.DeleteIssuer).
	ForgetIssuer func(ctx context.Context, issuer string) error
	Now          func() time.Time
	// Lease is how long a run owns a tenant without progress (default 15 min).
	Lease time.Duration
	// Move copies a tenant's items between homes (tier migrations).
	Move      Mover
	Migration MigrationOptions
	// Cell is this platform's cell, Cells the others a tenant may move to
	// (MoveCell) and CellDirectory the global directory whose switch moves
	// it; CellPool is this cell's shared pool as a moved tenant's
	// FormerPool names it (id, issuer, app client). Empty: one cell, no moves.
	Cell          string
	Cells         *Cells
	CellDirectory CellDirectory
	CellPool      tenant.FormerPool
	// PoolDirectory, when the platform has a directory, is told a
	// Platinum tenant's own pool as its onboarding activates it (the
	// entry named this cell's shared pool until then).
	PoolDirectory PoolDirectory
	// Files copies a tenant's attachment objects between buckets,
	// FilesBucket is this cell's pooled bucket and SiloFiles names its
	// tenant stacks' buckets (schema.Names.SiloFiles): a move between
	// cells moves a tenant's objects to the target cell's bucket of the
	// same kind (Cell.Files, Cell.SiloFiles). Nil: the objects stay where
	// they are.
	Files       FileMover
	FilesBucket string
	SiloFiles   func(tenantID string) string
	// Billing moves a tenant's billing account to the target cell in a
	// move's switch and deletes what is left here at its retirement
	// (billingdb.Mover). Nil: the account stays here (a platform without
	// billing).
	Billing BillingAccounts
	// Transient says whether an error is an overloaded dependency's
	// (awsx.RetriesExhausted): a migration's copy and catch-up failed so
	// are tried again after a pause (retriesInPlace). Nil: none is.
	Transient func(error) bool
	// BeforeStep, when set, runs before every step and fails it with its
	// error: the failure-injection hook of the tests and `make chaos`.
	BeforeStep func(ctx context.Context, tenantID string, p Phase, s Step) error
}

func (m *Machine) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

func (m *Machine) lease() time.Duration {
	if m.Lease > 0 {
		return m.Lease
	}
	return 15 * time.Minute
}

// provisioner is this cell's provisioner of tier t.
func (m *Machine) provisioner(t tiers.Name) (Provisioner, error) {
	here, _ := m.destination(nil)
	return here.provisioner(t)
}

// Run advances the tenant's current phase as far as it goes: every step not
// yet done, in order. A failure is recorded (tenant status failed with the
// step and reason for onboarding) and returned; running again resumes at
// the failed step. Conflict lifecycle_busy if another run holds the tenant.
func (m *Machine) Run(ctx context.Context, tenantID string) (State, error) {
	ctx = tenancy.WithTenant(ctx, tenantID) // its data is written as the tenant
	st, err := m.States.Get(ctx, tenantID)
	if err != nil || !st.FinishedAt.IsZero() {
		return st, err
	}
	if err := m.admitted(ctx, st); err != nil {
		return st, err
	}
	if st, err = m.claim(ctx, st); err != nil {
		return st, err
	}
	t, err := m.Tenants.Get(ctx, tenantID)
	if err != nil {
		return st, err
	}
	if st.Phase == PhaseOnboarding && (t.Status == tenant.StatusRegistered || t.Status == tenant.StatusFailed) {
		t.Status, t.StatusReason, t.UpdatedAt = tenant.StatusProvisioning, "", m.now()
		if t, err = m.Tenants.Put(ctx, t); err != nil {
			return m.fail(ctx, st, "", err)
		}
		m.audit(ctx, tenantID, "onboarding.started", map[string]string{"attempt": fmt.Sprint(st.Attempts)})
	}
	for _, step := range st.todo() {
		if st.IsDone(step) {
			continue
		}
		var waiting bool
		if st, t, waiting, err = m.step(ctx, st, t, step); waiting || err != nil {
			return st, err
		}
	}
	return m.finish(ctx, st)
}

// admitted refuses to onboard a registration that is not verified (and,
// for a paid tier, approved), whoever asks for the run.
func (m *Machine) admitted(ctx context.Context, st State) error {
	if st.Phase != PhaseOnboarding {
		return nil
	}
	t, err := m.Tenants.Get(ctx, st.TenantID)
	if err != nil {
		return err
	}
	if !t.Admitted() {
		return errs.Conflict("registration_not_admitted", fmt.Sprintf("%s is %s: nothing is provisioned before that", st.TenantID, t.Status))
	}
	return nil
}

// claim takes the run's lease (conflict lifecycle_busy while another run
// holds it) and counts the attempt.
func (m *Machine) claim(ctx context.Context, st State) (State, error) {
	now := m.now()
	busy := errs.Conflict("lifecycle_busy", fmt.Sprintf("the %s of %s is running", st.Phase, st.TenantID))
	if now.Before(st.LeaseUntil) {
		return st, busy
	}
	st.LeaseUntil, st.FailedStep, st.Error = now.Add(m.lease()), "", ""
	st.Attempts++
	if st.StartedAt.IsZero() {
		st.StartedAt = now
	}
	saved, err := m.States.Put(ctx, st)
	if errs.Is(err, errs.KindPreconditionFailed) {
		return saved, busy
	}
	return saved, err
}

// step runs one step and records it done, waiting (the run stops without
// failing) or failed.
func (m *Machine) step(ctx context.Context, st State, t tenant.Tenant, step Step) (State, tenant.Tenant, bool, error) {
	start := m.now()
	var err error
	if m.BeforeStep != nil {
		err = m.BeforeStep(ctx, st.TenantID, st.Phase, step)
	}
	if err == nil {
		t, err = m.do(ctx, step, t, &st)
		for try := 1; err != nil && m.retriesInPlace(st, step, err) && try <= m.Migration.stepRetries(); try++ {
			wait := m.Migration.stepBackoff() << (try - 1)
			m.audit(ctx, st.TenantID, "migration.step_retried", map[string]string{"step": string(step), "attempt": fmt.Sprint(try),
				"after": wait.String(), "error": err.Error()})
			select {
			case <-ctx.Done():
				err = ctx.Err()
				continue
			case <-time.After(wait):
			}
			if cur, gerr := m.Tenants.Get(ctx, st.TenantID); gerr == nil {
				t = cur
			}
			t, err = m.do(ctx, step, t, &st)
		}
	}
	if errors.Is(err, ErrWaiting) {
		st, err = m.wait(ctx, st, step)
		return st, t, true, err
	}
	if err != nil {
		st, err = m.fail(ctx, st, step, err)
		return st, t, false, err
	}
	end := m.now()
	st.Waiting, st.WaitingSince = "", time.Time{}
	st.Done = append(st.Done, StepResult{Step: step, FinishedAt: end, Duration: end.Sub(start)})
	st.LeaseUntil = end.Add(m.lease())
	id := st.TenantID
	if st, err = m.States.Put(ctx, st); err != nil {
		return st, t, false, fmt.Errorf("record step %s of %s: %w", step, id, err)
	}
	m.audit(ctx, st.TenantID, string(st.Phase)+".step_completed", map[string]string{"step": string(step), "duration": end.Sub(start).String()})
	return st, t, false, nil
}

// retriesInPlace says whether step, failed with err, is tried again by
// the run itself after a pause (MigrationOptions.StepRetries): a
// migration's copy or catch-up (the tenant writes meanwhile, and both are
// idempotent) or the retirement of its old home (after the switch: the
// tenant works in its new home; Retire records the keys it deletes first,
// so a retirement run again covers them) failed by an overloaded
// dependency (Transient). A move under load slows down instead of
// stopping for Root's retry (a retirement's BatchWriteItem on DynamoDB
// Local timed out 6 times while another process's tests loaded it, and
// the finished move was left failed in retire_old_home).
func (m *Machine) retriesInPlace(st State, step Step, err error) bool {
	return st.Phase == PhaseMigration && (step == StepCopy || step == StepCatchUp || step == StepRetire) &&
		m.Transient != nil && m.Transient(err) && !errors.Is(err, context.Canceled)
}

// finish records the run's end; nothing personal outlives an offboarded
// tenant.
func (m *Machine) finish(ctx context.Context, st State) (State, error) {
	st.FinishedAt, st.LeaseUntil = m.now(), time.Time{}
	if st.Phase == PhaseOffboarding {
		st.AdminEmail, st.AdminSub = "", ""
	}
	st, err := m.States.Put(ctx, st)
	if err != nil {
		return st, err
	}
	if mg := st.Migration; st.Phase == PhaseMigration && mg != nil && mg.RolledBack {
		m.audit(ctx, st.TenantID, "migration.rolled_back", map[string]string{"to": string(mg.FromTier), "table": mg.From.Table})
		return st, nil
	}
	m.audit(ctx, st.TenantID, string(st.Phase)+".completed", map[string]string{"elapsed": st.Elapsed().String()})
	return st, nil
}

// ErrWaiting is returned by a step's dependency (a StackDeployer) that has
// started work finishing elsewhere: the run stops without failing, the
// state records the step as waiting, and running the machine again (on the
// outcome's event, or Root's retry) resumes at that step, which checks the
// work's outcome before starting it again.
var ErrWaiting = errors.New("waiting for an external outcome")

// wait records that step waits for an outcome reported later. It holds no
// lease, so the outcome's event (or a retry) may run the machine at once.
func (m *Machine) wait(ctx context.Context, st State, step Step) (State, error) {
	if st.Waiting != step {
		st.Waiting, st.WaitingSince = step, m.now()
		m.audit(ctx, st.TenantID, string(st.Phase)+".waiting", map[string]string{"step": string(step)})
	}
	st.LeaseUntil = time.Time{}
	return m.States.Put(ctx, st)
}

// FailWaiting records the failure reported for the step a run waits on
// (the tenant stack's deploy failed). A report for a step the run is not
// waiting on (a duplicate, or an outcome already handled) changes nothing
// and returns false.
func (m *Machine) FailWaiting(ctx context.Context, tenantID string, step Step, reason string) (bool, error) {
	st, err := m.States.Get(ctx, tenantID)
	if err != nil {
		return false, err
	}
	if st.Waiting != step || !st.FinishedAt.IsZero() {
		return false, nil
	}
	st.Waiting, st.WaitingSince = "", time.Time{}
	_, _ = m.fail(ctx, st, step, errs.E(errs.KindUnprocessable, "step_failed", "%s", reason))
	return true, nil
}

// fail records a failed step: the state keeps the step and the reason, an
// onboarding tenant becomes failed (never a half-tenant that looks active).
func (m *Machine) fail(ctx context.Context, st State, step Step, cause error) (State, error) {
	reason := cause.Error()
	if e := errs.As(cause); e.Kind != errs.KindInternal {
		reason = e.Message
	}
	st.FailedStep, st.Error, st.LeaseUntil = step, reason, time.Time{}
	m.failMigration(ctx, &st)
	if saved, err := m.States.Put(ctx, st); err == nil {
		st = saved
	}
	if t, err := m.Tenants.Get(ctx, st.TenantID); err == nil {
		if st.Phase == PhaseOnboarding {
			t.Status = tenant.StatusFailed
		}
		t.StatusReason = fmt.Sprintf("%s step %q failed: %s", st.Phase, step, reason)
		t.UpdatedAt = m.now()
		_, _ = m.Tenants.Put(ctx, t)
	}
	m.audit(ctx, st.TenantID, string(st.Phase)+".failed", map[string]string{"step": string(step), "error": reason})
	return st, fmt.Errorf("%s of %s: step %s: %w", st.Phase, st.TenantID, step, cause)
}

func (m *Machine) audit(ctx context.Context, tenantID, action string, detail map[string]string) {
	m.auditAs(ctx, tenantID, audit.System, action, detail)
}

func (m *Machine) auditAs(ctx context.Context, tenantID string, a audit.Actor, action string, detail map[string]string) {
	if m.Audit == nil {
		return
	}
	// The audit trail must not stop a lifecycle step; a lost record is logged by the store's caller.
	_ = m.Audit.Append(ctx, audit.Record{TenantID: tenantID, At: m.now(), Actor: a, Action: action, Detail: detail})
}

func (m *Machine) adminSpec(t tenant.Tenant, st *State) identity.UserSpec {
	return identity.UserSpec{Email: st.AdminEmail, TenantID: t.ID, Role: string(roles.SuperAdmin), Tier: string(t.Tier)}
}

func errAdminEmailInUse() error {
	return errs.Conflict("admin_email_in_use", "the admin email belongs to a user of another tenant; that user was not changed")
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func trimSlash(s string) string { return strings.TrimRight(s, "/") }
