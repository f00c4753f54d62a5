package onboarding

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/identity"
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
	// ForgetIssuer removes a destroyed pool's issuer mapping (tenantdb.DeleteIssuer).
	ForgetIssuer func(ctx context.Context, issuer string) error
	Now          func() time.Time
	// Lease is how long a run owns a tenant without progress (default 15 min).
	Lease time.Duration
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

func (m *Machine) provisioner(t tiers.Name) (Provisioner, error) {
	if tiers.MustGet(t).Isolation == tiers.Silo {
		if m.Platinum == nil {
			return nil, errs.E(errs.KindUnprocessable, "tier_unavailable", "the %s tier cannot be provisioned here", t)
		}
		return m.Platinum, nil
	}
	return m.Pooled, nil
}

// Run advances the tenant's current phase as far as it goes: every step not
// yet done, in order. A failure is recorded (tenant status failed with the
// step and reason for onboarding) and returned; running again resumes at
// the failed step. Conflict lifecycle_busy if another run holds the tenant.
func (m *Machine) Run(ctx context.Context, tenantID string) (State, error) {
	ctx = tenancy.WithTenant(ctx, tenantID) // its data is written as the tenant
	st, err := m.States.Get(ctx, tenantID)
	if err != nil {
		return st, err
	}
	if !st.FinishedAt.IsZero() {
		return st, nil
	}
	if st.Phase == PhaseOnboarding {
		// Nothing is provisioned for a registration that is not verified
		// (and, for a paid tier, approved), whoever asks for the run.
		t, err := m.Tenants.Get(ctx, tenantID)
		if err != nil {
			return st, err
		}
		if !t.Admitted() {
			return st, errs.Conflict("registration_not_admitted", fmt.Sprintf("%s is %s: nothing is provisioned before that", tenantID, t.Status))
		}
	}
	now := m.now()
	if now.Before(st.LeaseUntil) {
		return st, errs.Conflict("lifecycle_busy", fmt.Sprintf("the %s of %s is running", st.Phase, tenantID))
	}
	st.LeaseUntil, st.FailedStep, st.Error = now.Add(m.lease()), "", ""
	st.Attempts++
	if st.StartedAt.IsZero() {
		st.StartedAt = now
	}
	if st, err = m.States.Put(ctx, st); err != nil {
		if errs.Is(err, errs.KindPreconditionFailed) {
			return st, errs.Conflict("lifecycle_busy", fmt.Sprintf("the %s of %s is running", st.Phase, tenantID))
		}
		return st, err
	}
	t, err := m.Tenants.Get(ctx, tenantID)
	if err != nil {
		return st, err
	}
	if st.Phase == PhaseOnboarding && (t.Status == tenant.StatusRegistered || t.Status == tenant.StatusFailed) {
		t.Status, t.StatusReason, t.UpdatedAt = tenant.StatusProvisioning, "", now
		if t, err = m.Tenants.Put(ctx, t); err != nil {
			return m.fail(ctx, st, "", err)
		}
		m.audit(ctx, tenantID, "onboarding.started", map[string]string{"attempt": fmt.Sprint(st.Attempts)})
	}
	for _, step := range Plan(st.Phase, tiers.MustGet(st.Tier).Isolation) {
		if st.IsDone(step) {
			continue
		}
		start := m.now()
		if t, err = m.do(ctx, step, t, &st); errors.Is(err, ErrWaiting) {
			return m.wait(ctx, st, step)
		} else if err != nil {
			return m.fail(ctx, st, step, err)
		}
		end := m.now()
		st.Waiting, st.WaitingSince = "", time.Time{}
		st.Done = append(st.Done, StepResult{Step: step, FinishedAt: end, Duration: end.Sub(start)})
		st.LeaseUntil = end.Add(m.lease())
		if st, err = m.States.Put(ctx, st); err != nil {
			return st, fmt.Errorf("record step %s of %s: %w", step, tenantID, err)
		}
		m.audit(ctx, tenantID, string(st.Phase)+".step_completed", map[string]string{"step": string(step), "duration": end.Sub(start).String()})
	}
	st.FinishedAt, st.LeaseUntil = m.now(), time.Time{}
	if st.Phase == PhaseOffboarding {
		st.AdminEmail, st.AdminSub = "", "" // nothing personal outlives the tenant
	}
	if st, err = m.States.Put(ctx, st); err != nil {
		return st, err
	}
	m.audit(ctx, tenantID, string(st.Phase)+".completed", map[string]string{"elapsed": st.Elapsed().String()})
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

// do runs one step. Each step checks what already exists, so running it
// twice is harmless.
func (m *Machine) do(ctx context.Context, step Step, t tenant.Tenant, st *State) (tenant.Tenant, error) {
	put := func(t tenant.Tenant) (tenant.Tenant, error) {
		t.UpdatedAt = m.now()
		return m.Tenants.Put(ctx, t)
	}
	switch step {
	case StepPlace:
		prov, err := m.provisioner(t.Tier)
		if err != nil {
			return t, err
		}
		pl, err := prov.Provision(ctx, t)
		if err != nil {
			return t, err
		}
		t.Table, t.UserPoolID, t.Issuer, t.ClientIDs = pl.Table, pl.UserPoolID, pl.Issuer, pl.ClientIDs
		return put(t)
	case StepAdminUser:
		sub, err := m.Users.EnsureUser(ctx, t.UserPoolID, m.adminSpec(t, st))
		if errors.Is(err, identity.ErrOtherTenant) {
			return t, errAdminEmailInUse()
		}
		if err != nil {
			return t, err
		}
		st.AdminSub = sub
		if _, err := m.Directory.Get(ctx, t.Scope(), sub); err == nil {
			return t, nil
		} else if !errs.Is(err, errs.KindNotFound) {
			return t, err
		}
		now := m.now()
		return t, m.Directory.Put(ctx, t.Scope(), people.User{ID: sub, TenantID: t.ID, Username: st.AdminEmail,
			Email: st.AdminEmail, Role: roles.SuperAdmin, Status: people.UserActive, CreatedAt: now, UpdatedAt: now, Version: 1})
	case StepInvite:
		// A fresh temporary password each time the step runs, until the Super
		// Admin signs in: a failed mail is simply sent again on retry.
		inv, err := m.Users.Invite(ctx, t.UserPoolID, m.adminSpec(t, st))
		if errors.Is(err, identity.ErrOtherTenant) {
			return t, errAdminEmailInUse()
		}
		if err != nil {
			return t, err
		}
		if inv.TemporaryPassword == "" {
			return t, nil // signed in already
		}
		return t, people.SendInvitation(ctx, m.Mail, m.WebBaseURL, t, st.AdminEmail, string(roles.SuperAdmin), inv.TemporaryPassword)
	case StepAPIKey:
		if t.APIKey != "" {
			return t, nil
		}
		id, value, err := m.Keys.Create(ctx, t.ID, t.Tier)
		if err != nil {
			return t, err
		}
		t.APIKeyID, t.APIKey = id, value
		return put(t)
	case StepActivate:
		t.Status, t.StatusReason = tenant.StatusActive, ""
		return put(t)
	case StepSuspend:
		if t.Status == tenant.StatusOffboarding {
			return t, nil
		}
		t.Status, t.StatusReason = tenant.StatusOffboarding, "offboarding"
		return put(t)
	case StepExport:
		body, n, err := m.Data.Export(ctx, t)
		if err != nil {
			return t, err
		}
		loc, err := m.Archive.Store(ctx, fmt.Sprintf("%s/%s-%s.jsonl.gz", t.ID, t.ID, m.now().Format("20060102T150405Z")), body)
		if err != nil {
			return t, err
		}
		st.Archive = loc
		m.audit(ctx, t.ID, "offboarding.exported", map[string]string{"archive": loc, "items": fmt.Sprint(n)})
		return t, nil
	case StepDeleteUsers:
		// Only identities the tenant created: every delete is guarded by the
		// user's custom:tenant_id (set at creation, immutable), so an admin
		// email that belongs to another tenant's user is kept.
		if t.UserPoolID == "" {
			return t, nil // never placed (a registration turned down): no identity
		}
		names, err := m.Data.UserNames(ctx, t)
		if err != nil {
			return t, err
		}
		if st.AdminEmail != "" {
			names = append(names, st.AdminEmail)
		}
		for _, n := range names {
			err := m.Users.DeleteUser(ctx, t.UserPoolID, t.ID, n)
			if errors.Is(err, identity.ErrOtherTenant) {
				m.audit(ctx, t.ID, "offboarding.identity_kept", map[string]string{"reason": "belongs to another tenant"})
				continue
			}
			if err != nil {
				return t, err
			}
		}
		return t, nil
	case StepDeleteData:
		_, err := m.Data.Delete(ctx, t)
		return t, err
	case StepDeleteKey:
		if t.APIKeyID == "" && t.APIKey == "" {
			return t, nil
		}
		if t.APIKeyID != "" {
			if err := m.Keys.Delete(ctx, t.APIKeyID); err != nil {
				return t, err
			}
		}
		t.APIKeyID, t.APIKey = "", ""
		return put(t)
	case StepDestroy:
		prov, err := m.provisioner(t.Tier)
		if err != nil {
			return t, err
		}
		return t, prov.Destroy(ctx, t)
	case StepTombstone:
		if t.Issuer != "" && m.ForgetIssuer != nil {
			if err := m.ForgetIssuer(ctx, t.Issuer); err != nil {
				return t, err
			}
		}
		t = tenant.Tenant{ID: t.ID, Tier: t.Tier, Status: tenant.StatusDeleted, CreatedAt: t.CreatedAt,
			StatusReason: "offboarded " + m.now().Format(time.RFC3339), Version: t.Version}
		return put(t)
	}
	return t, errorf("unknown step %q", step)
}

func (m *Machine) adminSpec(t tenant.Tenant, st *State) identity.UserSpec {
	return identity.UserSpec{Email: st.AdminEmail, TenantID: t.ID, Role: string(roles.SuperAdmin), Tier: string(t.Tier)}
}

func errAdminEmailInUse() error {
	return errs.Conflict("admin_email_in_use", "the admin email belongs to a user of another tenant; that user was not changed")
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func trimSlash(s string) string { return strings.TrimRight(s, "/") }
