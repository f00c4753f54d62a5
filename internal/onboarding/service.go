package onboarding

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/mail"
	"github.com/issuetracker/issuetracker/internal/mail/address"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/text"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Registrar creates a tenant together with its lifecycle state and its
// pending email verification (onboardingdb.Store), in one transaction:
// conflict tenant_exists if the id was ever used.
type Registrar interface {
	Register(ctx context.Context, t tenant.Tenant, st State, v Verification) error
	// Reclaim removes a registration that was never verified (tenant,
	// state, verification) if t is still its current version and pending
	// verification: conflict otherwise.
	Reclaim(ctx context.Context, t tenant.Tenant) error
}

// UnverifiedTTL is how long an unverified registration holds its slug: after
// that, a new registration of the slug replaces it (so a form filled with an
// address nobody reads cannot block a name for good).
const UnverifiedTTL = 24 * time.Hour

// Reclaimable reports whether t is an unverified registration past UnverifiedTTL.
func Reclaimable(t tenant.Tenant, now time.Time) bool {
	return t.Status == tenant.StatusPendingVerification && now.Sub(t.CreatedAt) > UnverifiedTTL
}

// Service is the lifecycle as callers see it: registration and its email
// verification, Root's actions and branding. Every change is audited with
// its actor.
type Service struct {
	*Machine
	Registrar     Registrar
	Verifications Verifications
	Driver        Driver
	// Admission decides what a verified registration waits for; RootApproval if nil.
	Admission Admission
}

// Registration is a company's sign-up.
type Registration struct {
	CompanyName string `json:"company_name"`
	Slug        string `json:"slug"`
	AdminEmail  string `json:"admin_email"`
	Tier        string `json:"tier"`
}

// Validate checks every field and names each bad one.
func (r *Registration) Validate() error {
	var tf text.Fields
	tf.Clean("company_name", &r.CompanyName, text.Line)
	tf.Clean("slug", &r.Slug, text.Line)
	tf.Clean("admin_email", &r.AdminEmail, text.Line)
	if err := tf.Err(); err != nil {
		return err
	}
	var bad []errs.FieldError
	if n := utf8.RuneCountInString(strings.TrimSpace(r.CompanyName)); n < 2 || n > 100 {
		bad = append(bad, errs.FieldError{Field: "company_name", Reason: "must be 2-100 characters"})
	}
	if err := tenant.ValidateSlug(r.Slug); err != nil {
		bad = append(bad, errs.As(err).Fields...)
	}
	if why := address.Check(r.AdminEmail); why != "" {
		bad = append(bad, errs.FieldError{Field: "admin_email", Reason: why})
	}
	if _, err := tiers.Parse(r.Tier); err != nil {
		bad = append(bad, errs.FieldError{Field: "tier", Reason: err.Error()})
	}
	if len(bad) > 0 {
		return errs.Fields(bad...)
	}
	return nil
}

// Register records a sign-up (status pending_verification) and mails a
// code to the admin email. Nothing is provisioned, and no identity is
// created or looked at, until the code comes back (Verify): so an address
// never tells an anonymous caller whether it is a user already. A failure
// to send the mail is logged and leaves the registration in place: the
// registrant asks for another code (ResendVerification).
func (s *Service) Register(ctx context.Context, r Registration, by audit.Actor) (tenant.Tenant, Verification, error) {
	r.CompanyName, r.AdminEmail = strings.TrimSpace(r.CompanyName), strings.ToLower(strings.TrimSpace(r.AdminEmail))
	if err := r.Validate(); err != nil {
		return tenant.Tenant{}, Verification{}, err
	}
	tier := tiers.Name(r.Tier)
	if _, err := s.provisioner(tier); err != nil {
		return tenant.Tenant{}, Verification{}, err
	}
	if s.Mail == nil {
		return tenant.Tenant{}, Verification{}, errMailUnavailable()
	}
	now := s.now()
	code, v, err := newCode(r.Slug, now)
	if err != nil {
		return tenant.Tenant{}, Verification{}, err
	}
	token, tokenHash, err := tenant.NewRegistrationToken()
	if err != nil {
		return tenant.Tenant{}, Verification{}, err
	}
	t := tenant.Tenant{ID: r.Slug, Name: r.CompanyName, Tier: tier, Status: tenant.StatusPendingVerification,
		Branding: tenant.Branding{DisplayName: r.CompanyName}, RegistrationTokenHash: tokenHash, CreatedAt: now, UpdatedAt: now}
	st := State{TenantID: t.ID, Phase: PhaseOnboarding, AdminEmail: r.AdminEmail, Tier: tier, RegisteredAt: now}
	err = s.Registrar.Register(ctx, t, st, v)
	if errs.Is(err, errs.KindConflict) {
		if old, gerr := s.Tenants.Get(ctx, t.ID); gerr == nil && Reclaimable(old, now) && s.Registrar.Reclaim(ctx, old) == nil {
			s.auditAs(ctx, t.ID, by, "registration.reclaimed", map[string]string{"registered_at": old.CreatedAt.Format(time.RFC3339)})
			err = s.Registrar.Register(ctx, t, st, v)
		}
	}
	if err != nil {
		if errs.Is(err, errs.KindConflict) {
			return tenant.Tenant{}, Verification{}, errs.Conflict("slug_taken", fmt.Sprintf("the slug %q is taken", r.Slug))
		}
		return tenant.Tenant{}, Verification{}, err
	}
	s.auditAs(ctx, t.ID, by, "tenant.registered", map[string]string{"tier": string(tier), "name": t.Name})
	t.Version = 1
	if err := s.sendCode(ctx, t, r.AdminEmail, code); err != nil {
		slog.ErrorContext(ctx, "registration: verification mail not sent", "tenant", t.ID, "err", err)
	}
	v.StatusToken = token
	return t, v, nil
}

func errMailUnavailable() error {
	return errs.E(errs.KindInternal, "mail_unavailable", "mail cannot be sent from this deployment (no mail sender configured)")
}

func (s *Service) sendCode(ctx context.Context, t tenant.Tenant, to, code string) error {
	if s.Mail == nil {
		return errMailUnavailable()
	}
	m, err := mail.Verification{To: to, Company: t.Name, Code: code, ExpiresIn: CodeTTL}.Message()
	if err != nil {
		return err
	}
	return s.Mail.Send(ctx, m)
}

// pendingRegistration returns a tenant that is still a registration;
// not_found for unknown and deleted ids.
func (s *Service) registration(ctx context.Context, tenantID string) (tenant.Tenant, error) {
	t, err := s.Tenants.Get(ctx, tenantID)
	if errs.Is(err, errs.KindNotFound) || (err == nil && t.Status == tenant.StatusDeleted) {
		return tenant.Tenant{}, errs.NotFound("registration")
	}
	return t, err
}

// ResendVerification mails a new code for a registration that waits for
// one (the old code stops working, the attempts start again).
// Conflict registration_verified when it is verified already.
func (s *Service) ResendVerification(ctx context.Context, tenantID string, by audit.Actor) (tenant.Tenant, Verification, error) {
	t, err := s.registration(ctx, tenantID)
	if err != nil {
		return t, Verification{}, err
	}
	if t.Status != tenant.StatusPendingVerification {
		return t, Verification{}, errs.Conflict("registration_verified", fmt.Sprintf("the registration of %s is verified already (status %s)", tenantID, t.Status))
	}
	old, err := s.Verifications.Get(ctx, tenantID)
	if err != nil {
		return t, Verification{}, err
	}
	st, err := s.States.Get(ctx, tenantID)
	if err != nil {
		return t, Verification{}, err
	}
	code, v, err := newCode(tenantID, s.now())
	if err != nil {
		return t, Verification{}, err
	}
	v.Sends = old.Sends + 1
	if err := s.Verifications.Replace(ctx, v); err != nil {
		return t, Verification{}, err
	}
	s.auditAs(ctx, tenantID, by, "registration.code_resent", map[string]string{"sends": fmt.Sprint(v.Sends)})
	if err := s.sendCode(ctx, t, st.AdminEmail, code); err != nil {
		return t, Verification{}, errs.Unavailable("mail_unavailable", "the verification mail could not be sent; try again later", err)
	}
	return t, v, nil
}

// Verify checks the code mailed to the admin email. The right code proves
// the registrant owns it; then, for pooled tiers, the email must not be a
// user of another tenant in the shared pool (conflict admin_email_in_use:
// the registration fails, that user is not touched), and the registration
// moves on as Admission says: Basic is provisioned at once, paid tiers wait
// for approval. Errors: invalid_code and code_expired (400),
// verification_locked (409) after MaxCodeAttempts entries. Verifying a
// verified registration again (a retry) returns it as it is, with the
// right code only: a wrong one is refused as before the verification, so
// the answer never tells a stranger the registration's tier or status.
func (s *Service) Verify(ctx context.Context, tenantID, code string, by audit.Actor) (tenant.Tenant, error) {
	t, err := s.registration(ctx, tenantID)
	if err != nil {
		return t, err
	}
	if t.Status != tenant.StatusPendingVerification {
		return s.verifyAgain(ctx, t, code)
	}
	v, err := s.Verifications.Get(ctx, tenantID)
	if errs.Is(err, errs.KindNotFound) {
		if t, err = s.registration(ctx, tenantID); err != nil {
			return t, err
		} else if t.Status != tenant.StatusPendingVerification {
			return s.verifyAgain(ctx, t, code) // verified meanwhile
		}
		return t, errCodeExpired() // long expired and cleared
	}
	if err != nil {
		return t, err
	}
	switch {
	case v.Locked():
		return t, errVerificationLocked()
	case !s.now().Before(v.ExpiresAt):
		return t, errCodeExpired()
	}
	ok, err := s.Verifications.CountAttempt(ctx, tenantID, v.Salt)
	if err != nil {
		return t, err
	}
	if !ok { // locked, or replaced by a resend meanwhile
		return t, errVerificationLocked()
	}
	if !v.matches(code) {
		s.auditAs(ctx, tenantID, by, "registration.code_rejected", map[string]string{"attempt": fmt.Sprint(v.Attempts + 1)})
		return t, errInvalidCode(v.Attempts)
	}
	return s.verified(ctx, t, by)
}

// verifyAgain answers a verify of a registration verified already: the
// code that verified it (kept until its record's TTL) returns it; any
// other is refused like a wrong code, and counts as an attempt.
func (s *Service) verifyAgain(ctx context.Context, t tenant.Tenant, code string) (tenant.Tenant, error) {
	v, err := s.Verifications.Get(ctx, t.ID)
	if errs.Is(err, errs.KindNotFound) {
		return tenant.Tenant{}, errCodeExpired()
	}
	if err != nil {
		return tenant.Tenant{}, err
	}
	if v.Locked() {
		return tenant.Tenant{}, errVerificationLocked()
	}
	if ok, err := s.Verifications.CountAttempt(ctx, t.ID, v.Salt); err != nil {
		return tenant.Tenant{}, err
	} else if !ok {
		return tenant.Tenant{}, errVerificationLocked()
	}
	if !v.matches(code) {
		return tenant.Tenant{}, errInvalidCode(v.Attempts)
	}
	return t, nil
}

func errInvalidCode(attempts int) error {
	return errs.Invalid("invalid_code", fmt.Sprintf("the code is not right; %d attempt(s) left", MaxCodeAttempts-attempts-1),
		errs.FieldError{Field: "code", Reason: "does not match"})
}

func errCodeExpired() error {
	return errs.Invalid("code_expired", "the code has expired: ask for a new one", errs.FieldError{Field: "code", Reason: "expired"})
}

func errVerificationLocked() error {
	return errs.Conflict("verification_locked", fmt.Sprintf("the code was entered wrong %d times: ask for a new one", MaxCodeAttempts))
}

// verified moves a registration on once its admin email is proven.
func (s *Service) verified(ctx context.Context, t tenant.Tenant, by audit.Actor) (tenant.Tenant, error) {
	st, err := s.States.Get(ctx, t.ID)
	if err != nil {
		return t, err
	}
	now := s.now()
	st.VerifiedAt = now
	if st, err = s.States.Put(ctx, st); errs.Is(err, errs.KindPreconditionFailed) {
		return s.registration(ctx, t.ID) // a concurrent right code is moving it on
	} else if err != nil {
		return t, err
	}
	s.auditAs(ctx, t.ID, by, "registration.verified", nil)
	if tiers.MustGet(t.Tier).Isolation == tiers.Pooled && s.SharedPoolID != "" {
		owner, found, err := s.Users.TenantOf(ctx, s.SharedPoolID, st.AdminEmail)
		if err != nil {
			return t, err
		}
		if found && owner != t.ID {
			t.Status, t.StatusReason, t.UpdatedAt = tenant.StatusFailed, "admin_email_in_use: the admin email is a user of another workspace", now
			if _, err := s.Tenants.Put(ctx, t); err != nil {
				return t, err
			}
			_ = s.Verifications.Delete(ctx, t.ID)
			s.auditAs(ctx, t.ID, by, "registration.refused", map[string]string{"reason": "admin_email_in_use"})
			return t, errs.Conflict("admin_email_in_use", "this email address is already a user of another IssueTracker workspace; register with another address")
		}
	}
	admission := s.Admission
	if admission == nil {
		admission = RootApproval{}
	}
	t.Status, t.UpdatedAt = admission.AfterVerification(t), now
	if t, err = s.Tenants.Put(ctx, t); err != nil {
		if errs.Is(err, errs.KindPreconditionFailed) { // a concurrent right code won
			return s.registration(ctx, t.ID)
		}
		return t, err
	}
	// The verification record stays (its TTL clears it): a retry of this
	// verify with the same code is answered as the first (verifyAgain).
	if t.Status != tenant.StatusRegistered {
		s.auditAs(ctx, t.ID, by, "registration.awaiting", map[string]string{"status": string(t.Status)})
		return t, nil
	}
	if err := s.Driver.Start(ctx, t.ID); err != nil {
		return t, err
	}
	return s.registration(ctx, t.ID)
}

// Approve admits a registration that waits for the provider's approval
// or for its first payment (Root may let a paid tier in without one, e.g.
// a customer paying by invoice) and starts its onboarding. Conflict
// tenant_not_pending_approval otherwise.
func (s *Service) Approve(ctx context.Context, tenantID string, by audit.Actor) (tenant.Tenant, error) {
	t, err := s.update(ctx, tenantID, by, "tenant.approved", nil, func(t *tenant.Tenant) error {
		if t.Status != tenant.StatusPendingApproval && t.Status != tenant.StatusPendingPayment {
			return errs.Conflict("tenant_not_pending_approval", fmt.Sprintf("only a registration pending approval or payment can be approved; %s is %s", t.ID, t.Status))
		}
		t.Status, t.StatusReason = tenant.StatusRegistered, ""
		return nil
	})
	if err != nil {
		return t, err
	}
	if st, err := s.States.Get(ctx, tenantID); err == nil {
		st.ApprovedAt, st.ApprovedBy = s.now(), by.ID
		_, _ = s.States.Put(ctx, st) // informational; the tenant's status is what admits it
	}
	if err := s.Driver.Start(ctx, tenantID); err != nil {
		return t, err
	}
	return s.Tenants.Get(ctx, tenantID)
}

// Admit lets in a registration whose first payment the billing provider
// confirmed (status pending_payment) and starts its onboarding. Admitting
// an admitted tenant returns it unchanged (the provider's confirmation may
// come twice); conflict tenant_not_pending_payment for a registration that
// waits for something else.
func (s *Service) Admit(ctx context.Context, tenantID string, by audit.Actor) (tenant.Tenant, error) {
	t, err := s.Tenants.Get(ctx, tenantID)
	if err != nil {
		return t, err
	}
	switch {
	case t.Admitted():
		return t, nil
	case t.Status != tenant.StatusPendingPayment:
		return t, errs.Conflict("tenant_not_pending_payment", fmt.Sprintf("%s is %s, not waiting for a payment", tenantID, t.Status))
	}
	t, err = s.update(ctx, tenantID, by, "tenant.paid", nil, func(t *tenant.Tenant) error {
		if t.Status != tenant.StatusPendingPayment {
			return errs.E(errs.KindPreconditionFailed, "tenant_version_conflict", "%s changed meanwhile", t.ID)
		}
		t.Status, t.StatusReason = tenant.StatusRegistered, ""
		return nil
	})
	if errs.Is(err, errs.KindPreconditionFailed) { // a concurrent confirmation admitted it
		return s.Tenants.Get(ctx, tenantID)
	}
	if err != nil {
		return t, err
	}
	if err := s.Driver.Start(ctx, tenantID); err != nil {
		return t, err
	}
	return s.Tenants.Get(ctx, tenantID)
}

// Retry restarts a failed onboarding or offboarding where it stopped.
// Conflict lifecycle_not_failed if there is nothing to retry.
func (s *Service) Retry(ctx context.Context, tenantID string, by audit.Actor) (State, error) {
	st, err := s.States.Get(ctx, tenantID)
	if errs.Is(err, errs.KindNotFound) {
		// No run ever (a tenant the seed made, as Offboard says): nothing
		// to retry, but the tenant is there. It answered 404
		// tenant_not_found until audit11 (globex of make dev), while
		// getTenant found it.
		t, terr := s.Tenants.Get(ctx, tenantID)
		if terr != nil {
			return st, terr
		}
		return st, errs.Conflict("lifecycle_not_failed", fmt.Sprintf("%s has no onboarding or offboarding to retry (it is %s)", tenantID, t.Status))
	}
	if err != nil {
		return st, err
	}
	if t, err := s.Tenants.Get(ctx, tenantID); err == nil && st.Phase == PhaseOnboarding && !t.Admitted() {
		return st, errs.Conflict("registration_not_admitted", fmt.Sprintf("%s is %s: there is nothing to retry", tenantID, t.Status))
	}
	stuck := st.FinishedAt.IsZero() && st.FailedStep == "" && !s.now().Before(st.LeaseUntil) // a run that died
	if st.FailedStep == "" && !stuck {
		return st, errs.Conflict("lifecycle_not_failed", fmt.Sprintf("the %s of %s has not failed (nothing to retry)", st.Phase, tenantID))
	}
	s.auditAs(ctx, tenantID, by, string(st.Phase)+".retried", map[string]string{"failed_step": string(st.FailedStep)})
	if err := s.Driver.Start(ctx, tenantID); err != nil {
		return st, err
	}
	return s.States.Get(ctx, tenantID)
}

// Offboard starts removing a tenant: export, then delete everything. It is
// irreversible, so confirm must repeat the tenant id.
func (s *Service) Offboard(ctx context.Context, tenantID, confirm string, by audit.Actor) (State, error) {
	t, err := s.Tenants.Get(ctx, tenantID)
	if err != nil {
		return State{}, err
	}
	if confirm != tenantID {
		return State{}, errs.Invalid("confirmation_required",
			fmt.Sprintf("offboarding deletes all data of %s for good; send {\"confirm\": %q} to proceed", tenantID, tenantID),
			errs.FieldError{Field: "confirm", Reason: "must equal the tenant id"})
	}
	switch t.Status {
	// A pending registration may be offboarded too: that is how Root turns
	// a sign-up down (nothing was provisioned; its record becomes a tombstone).
	case tenant.StatusActive, tenant.StatusSuspended, tenant.StatusFailed, tenant.StatusPendingVerification, tenant.StatusPendingApproval, tenant.StatusPendingPayment:
	case tenant.StatusOffboarding:
		return State{}, errs.Conflict("offboarding_in_progress", fmt.Sprintf("%s is already being offboarded; retry it if it failed", tenantID))
	default:
		return State{}, errs.Conflict("tenant_not_offboardable", fmt.Sprintf("%s cannot be offboarded while %s", tenantID, t.Status))
	}
	st, err := s.States.Get(ctx, tenantID)
	switch {
	case errs.Is(err, errs.KindNotFound): // a tenant created before lifecycle state existed (seed)
		st = State{TenantID: tenantID, Tier: t.Tier}
		if st, err = s.States.Put(ctx, st); err != nil {
			return st, err
		}
	case err != nil:
		return st, err
	case st.FinishedAt.IsZero() && s.now().Before(st.LeaseUntil):
		return st, errs.Conflict("lifecycle_busy", fmt.Sprintf("the %s of %s is running", st.Phase, tenantID))
	}
	st.Phase, st.Tier, st.Done, st.FailedStep, st.Error, st.Attempts = PhaseOffboarding, t.Tier, nil, "", "", 0
	st.StartedAt, st.FinishedAt = s.now(), time.Time{}
	if st, err = s.States.Put(ctx, st); err != nil {
		return st, err
	}
	s.auditAs(ctx, tenantID, by, "offboarding.requested", map[string]string{"status_before": string(t.Status)})
	if err := s.Driver.Start(ctx, tenantID); err != nil {
		return st, err
	}
	return s.States.Get(ctx, tenantID)
}

// Suspend refuses every token of the tenant (within the authorizer's
// revocation delay); its data stays.
func (s *Service) Suspend(ctx context.Context, tenantID, reason string, by audit.Actor) (tenant.Tenant, error) {
	if err := text.Clean("reason", &reason, text.Line); err != nil {
		return tenant.Tenant{}, err
	}
	if reason == "" {
		return tenant.Tenant{}, errs.Field("reason", "say why the tenant is suspended")
	}
	return s.update(ctx, tenantID, by, "tenant.suspended", map[string]string{"reason": reason}, func(t *tenant.Tenant) error {
		switch t.Status {
		case tenant.StatusActive:
		case tenant.StatusSuspended:
			return errs.Conflict("tenant_already_suspended", fmt.Sprintf("%s is already suspended", t.ID))
		default:
			return errs.Conflict("tenant_not_active", fmt.Sprintf("only an active tenant can be suspended; %s is %s", t.ID, t.Status))
		}
		t.Status, t.StatusReason = tenant.StatusSuspended, reason
		return nil
	})
}

// Reactivate lets a suspended tenant in again.
func (s *Service) Reactivate(ctx context.Context, tenantID string, by audit.Actor) (tenant.Tenant, error) {
	return s.update(ctx, tenantID, by, "tenant.reactivated", nil, func(t *tenant.Tenant) error {
		if t.Status != tenant.StatusSuspended {
			return errs.Conflict("tenant_not_suspended", fmt.Sprintf("only a suspended tenant can be reactivated; %s is %s", t.ID, t.Status))
		}
		t.Status, t.StatusReason = tenant.StatusActive, ""
		return nil
	})
}

// ChangeTier moves a tenant between pooled tiers: its API key moves to the
// new tier's usage plan, and its limits switch with the registry record.
// Moving to or from Platinum starts a migration (Migrate) and returns the
// tenant as it is: the tier changes at the migration's switch.
func (s *Service) ChangeTier(ctx context.Context, tenantID, to string, by audit.Actor) (tenant.Tenant, error) {
	name, err := tiers.Parse(to)
	if err != nil {
		return tenant.Tenant{}, errs.Field("tier", err.Error())
	}
	if cur, err := s.Tenants.Get(ctx, tenantID); err == nil && cur.Status != tenant.StatusDeleted && cur.Tier != name &&
		tiers.MustGet(cur.Tier).Isolation != tiers.MustGet(name).Isolation {
		if _, err := s.Migrate(ctx, tenantID, to, by); err != nil {
			return tenant.Tenant{}, err
		}
		return s.Tenants.Get(ctx, tenantID)
	}
	var from tiers.Name
	return s.update(ctx, tenantID, by, "tenant.tier_changed", map[string]string{"to": to}, func(t *tenant.Tenant) error {
		switch t.Status {
		case tenant.StatusActive, tenant.StatusSuspended:
		default:
			return errs.Conflict("tenant_not_active", fmt.Sprintf("the tier of %s cannot change while it is %s", t.ID, t.Status))
		}
		if t.Tier == name {
			return errs.Conflict("tier_unchanged", fmt.Sprintf("%s is already on %s", t.ID, name))
		}
		if tiers.MustGet(t.Tier).Isolation != tiers.MustGet(name).Isolation {
			return errs.Conflict("lifecycle_busy", fmt.Sprintf("the tier of %s changed meanwhile", t.ID))
		}
		from = t.Tier
		if t.APIKeyID != "" {
			if err := s.Keys.Move(ctx, t.APIKeyID, from, name); err != nil {
				return err
			}
		}
		t.Tier = name
		return nil
	})
}

// Branding validation.
var colorRE = text.Lazy(`^#[0-9a-fA-F]{6}$`)

// SetBranding replaces the tenant's branding; its tier must include it.
func (s *Service) SetBranding(ctx context.Context, tenantID string, b tenant.Branding, by audit.Actor) (tenant.Tenant, error) {
	var tf text.Fields
	tf.Clean("display_name", &b.DisplayName, text.Line)
	tf.Clean("logo_url", &b.LogoURL, text.Line)
	tf.Clean("primary_color", &b.PrimaryColor, text.Line)
	if err := tf.Err(); err != nil {
		return tenant.Tenant{}, err
	}
	var bad []errs.FieldError
	if n := utf8.RuneCountInString(b.DisplayName); n > 80 {
		bad = append(bad, errs.FieldError{Field: "display_name", Reason: "must be at most 80 characters"})
	}
	if b.LogoURL != "" {
		if why := tenant.CheckLogo(b.LogoURL); why != "" {
			bad = append(bad, errs.FieldError{Field: "logo_url", Reason: why})
		}
	}
	if b.PrimaryColor != "" && !colorRE.Regexp().MatchString(b.PrimaryColor) {
		bad = append(bad, errs.FieldError{Field: "primary_color", Reason: "must be a hex color like #1a2b3c"})
	}
	if len(bad) > 0 {
		return tenant.Tenant{}, errs.Fields(bad...)
	}
	t, err := s.Tenants.Get(ctx, tenantID)
	if err != nil {
		return t, err
	}
	if t.Status == tenant.StatusDeleted {
		return t, errs.NotFound("tenant")
	}
	if !tiers.MustGet(t.Tier).Has(tiers.FeatureBranding) {
		return tenant.Tenant{}, errs.Forbidden("feature_not_in_tier", fmt.Sprintf("custom branding is not part of the %s tier", t.Tier))
	}
	t.Branding, t.UpdatedAt = b, s.now()
	// Branding alone is written: the workspace function may change nothing
	// else of a tenant (its tier, status, keys), and IAM holds it to that.
	if t, err = s.Tenants.SetBranding(ctx, t); err != nil {
		return t, err
	}
	s.auditAs(ctx, tenantID, by, "tenant.branding_changed", map[string]string{
		"display_name": b.DisplayName, "logo_url": tenant.LogoDigest(b.LogoURL), "primary_color": b.PrimaryColor, "status_before": string(t.Status)})
	return t, nil
}

// update applies change to the tenant with optimistic locking and audits it.
func (s *Service) update(ctx context.Context, tenantID string, by audit.Actor, action string, detail map[string]string, change func(*tenant.Tenant) error) (tenant.Tenant, error) {
	t, err := s.Tenants.Get(ctx, tenantID)
	if err != nil {
		return t, err
	}
	if t.Status == tenant.StatusDeleted {
		return t, errs.NotFound("tenant")
	}
	before := t.Status
	if err := change(&t); err != nil {
		return tenant.Tenant{}, err
	}
	t.UpdatedAt = s.now()
	if t, err = s.Tenants.Put(ctx, t); err != nil {
		return t, err
	}
	if detail == nil {
		detail = map[string]string{}
	}
	detail["status_before"] = string(before)
	s.auditAs(ctx, tenantID, by, action, detail)
	return t, nil
}
