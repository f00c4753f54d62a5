package onboarding

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/text"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Registrar creates a tenant together with its lifecycle state
// (onboardingdb.Store): conflict tenant_exists if the id was ever used.
type Registrar interface {
	Register(ctx context.Context, t tenant.Tenant, st State) error
}

// Service is the lifecycle as callers see it: registration, Root's actions
// and branding. Every change is audited with its actor.
type Service struct {
	*Machine
	Registrar Registrar
	Driver    Driver
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
	if a, err := mail.ParseAddress(r.AdminEmail); err != nil || a.Address != r.AdminEmail || len(r.AdminEmail) > 254 {
		bad = append(bad, errs.FieldError{Field: "admin_email", Reason: "must be a plain email address"})
	}
	if _, err := tiers.Parse(r.Tier); err != nil {
		bad = append(bad, errs.FieldError{Field: "tier", Reason: err.Error()})
	}
	if len(bad) > 0 {
		return errs.Invalid("validation_failed", fmt.Sprintf("the registration has %d invalid field(s)", len(bad)), bad...)
	}
	return nil
}

// Register creates the tenant (status registered) with its onboarding state
// and starts onboarding.
func (s *Service) Register(ctx context.Context, r Registration, by audit.Actor) (tenant.Tenant, error) {
	r.CompanyName, r.AdminEmail = strings.TrimSpace(r.CompanyName), strings.ToLower(strings.TrimSpace(r.AdminEmail))
	if err := r.Validate(); err != nil {
		return tenant.Tenant{}, err
	}
	tier := tiers.Name(r.Tier)
	if _, err := s.provisioner(tier); err != nil {
		return tenant.Tenant{}, err
	}
	now := s.now()
	t := tenant.Tenant{ID: r.Slug, Name: r.CompanyName, Tier: tier, Status: tenant.StatusRegistered,
		Branding: tenant.Branding{DisplayName: r.CompanyName}, CreatedAt: now, UpdatedAt: now}
	st := State{TenantID: t.ID, Phase: PhaseOnboarding, AdminEmail: r.AdminEmail, Tier: tier, RegisteredAt: now}
	if err := s.Registrar.Register(ctx, t, st); err != nil {
		if errs.Is(err, errs.KindConflict) {
			return tenant.Tenant{}, errs.Conflict("slug_taken", fmt.Sprintf("the slug %q is taken", r.Slug))
		}
		return tenant.Tenant{}, err
	}
	s.auditAs(ctx, t.ID, by, "tenant.registered", map[string]string{"tier": string(tier), "name": t.Name})
	t.Version = 1
	if err := s.Driver.Start(ctx, t.ID); err != nil {
		return t, err
	}
	return t, nil
}

// Retry restarts a failed onboarding or offboarding where it stopped.
// Conflict lifecycle_not_failed if there is nothing to retry.
func (s *Service) Retry(ctx context.Context, tenantID string, by audit.Actor) (State, error) {
	st, err := s.States.Get(ctx, tenantID)
	if errs.Is(err, errs.KindNotFound) {
		return st, errs.NotFound("tenant")
	}
	if err != nil {
		return st, err
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
	case tenant.StatusActive, tenant.StatusSuspended, tenant.StatusFailed:
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
// Moving to or from Platinum needs a data migration (a later issue).
func (s *Service) ChangeTier(ctx context.Context, tenantID, to string, by audit.Actor) (tenant.Tenant, error) {
	name, err := tiers.Parse(to)
	if err != nil {
		return tenant.Tenant{}, errs.Field("tier", err.Error())
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
		if tiers.MustGet(t.Tier).Isolation != tiers.Pooled || tiers.MustGet(name).Isolation != tiers.Pooled {
			return errs.E(errs.KindUnprocessable, "tier_change_needs_migration",
				"moving %s between pooled tiers and %s needs a data migration, which is not available yet", t.ID, tiers.Platinum)
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
var colorRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

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
	if b.LogoURL != "" && (!strings.HasPrefix(b.LogoURL, "https://") || len(b.LogoURL) > 2048 || strings.ContainsAny(b.LogoURL, " \"'<>")) {
		bad = append(bad, errs.FieldError{Field: "logo_url", Reason: "must be an https:// URL"})
	}
	if b.PrimaryColor != "" && !colorRE.MatchString(b.PrimaryColor) {
		bad = append(bad, errs.FieldError{Field: "primary_color", Reason: "must be a hex color like #1a2b3c"})
	}
	if len(bad) > 0 {
		return tenant.Tenant{}, errs.Invalid("validation_failed", "the branding has invalid fields", bad...)
	}
	return s.update(ctx, tenantID, by, "tenant.branding_changed", map[string]string{
		"display_name": b.DisplayName, "logo_url": b.LogoURL, "primary_color": b.PrimaryColor}, func(t *tenant.Tenant) error {
		if !tiers.MustGet(t.Tier).Has(tiers.FeatureBranding) {
			return errs.Forbidden("feature_not_in_tier", fmt.Sprintf("custom branding is not part of the %s tier", t.Tier))
		}
		t.Branding = b
		return nil
	})
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
