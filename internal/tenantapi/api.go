// Package tenantapi serves the tenant lifecycle over HTTP: public
// registration and workspace lookup, the provider's (Root) tenant
// administration and the Super Admin's branding. The work is done by
// package onboarding (the lifecycle's domain); this package decodes, calls
// it and answers.
package tenantapi

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/cells"
	"github.com/issuetracker/issuetracker/internal/cells/placement"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/health"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/passwordpolicy"
	"github.com/issuetracker/issuetracker/internal/ratelimit"
	"github.com/issuetracker/issuetracker/internal/system"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/issuetracker/issuetracker/internal/usage"
)

// Usage reads a tenant's consumption for the provider's summary.
type Usage interface {
	// RequestsThisMonth is the count of the key's requests this UTC month.
	RequestsThisMonth(ctx context.Context, t tenant.Tenant) (int64, error)
	// Users is the number of the tenant's people.
	Users(ctx context.Context, t tenant.Tenant) (int, error)
	// Current reads many tenants' calls this month and storage in one
	// batch (a page of the tenants table).
	Current(ctx context.Context, tenantIDs []string) (map[string]usage.Current, error)
}

// Deps of the lifecycle operations. Service nil answers 503.
type Deps struct {
	Service *onboarding.Service
	Audit   audit.Log
	Usage   Usage
	// Directory is the provider's tenants table (search, sort, paging).
	Directory tenant.Directory
	// Settings are the platform's system settings (registration open or
	// closed); nil: always open, and Root's settings routes answer 503.
	Settings system.Store
	// Health is the platform's health (alarms in AWS, the local metrics
	// log locally); nil answers 503.
	Health health.Source
	// Registrations limits sign-ups per client address.
	Registrations ratelimit.Limiter
	// Lookups limits slug availability checks and workspace lookups per
	// client address; CodeSends limits verification codes per registration.
	Lookups   ratelimit.Limiter
	CodeSends ratelimit.Limiter
	// SignIn is what the public workspace lookup tells about pooled tenants.
	SignIn SignInConfig
	// Suppressions is the platform's mail suppression list; nil: Root's
	// suppression routes answer 503.
	Suppressions Suppressions
	// Cells is the global tenant directory when the platform has cells
	// (internal/cells); nil: one cell, every workspace is this one's.
	Cells CellDirectory
	// Placement places registrations when the platform has cells: a
	// registration placed in another cell is refused here with that
	// cell's API (registration_in_other_cell); one placed here claims its
	// slug in the directory first, so a slug is unique across cells.
	// Nil: one cell.
	Placement *placement.Placer
}

// CellDirectory reads a tenant's cell (cells.Directory).
type CellDirectory interface {
	Get(ctx context.Context, tenantID string) (cells.Entry, error)
}

// Operations of the registration, tenants and workspace functions (the
// in-process platform serves them all).
func Operations(d Deps) httpapi.Operations {
	all := RegistrationOperations(d)
	maps.Copy(all, TenantsOperations(d))
	maps.Copy(all, WorkspaceOperations(d))
	return all
}

// RegistrationOperations are the registration function's: the public
// sign-up.
func RegistrationOperations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"register":              d.with(d.register),
		"getRegistration":       d.with(d.getRegistration),
		"checkSlugAvailability": d.with(d.availability),
		"verifyRegistration":    d.with(d.verify),
		"resendVerification":    d.with(d.resendVerification),
		"getWorkspace":          d.with(d.getWorkspace),
	}
}

// TenantsOperations are the tenants function's: Root's administration of
// tenants, their lifecycle, the platform's health and settings.
func TenantsOperations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"approveTenant":        d.with(d.approve),
		"listTenants":          d.with(d.listTenants),
		"getTenant":            d.with(d.getTenant),
		"suspendTenant":        d.with(d.suspend),
		"reactivateTenant":     d.with(d.reactivate),
		"changeTenantTier":     d.with(d.changeTier),
		"retryTenantLifecycle": d.with(d.retry),
		"offboardTenant":       d.with(d.offboard),
		"migrateTenant":        d.with(d.migrate),
		"rollbackMigration":    d.with(d.rollbackMigration),
		"listTenantAudit":      d.with(d.listAudit),
		"getSystemSettings":    d.getSettings,
		"putSystemSettings":    d.putSettings,
		"getPlatformHealth":    d.getHealth,
		"listSuppressions":     d.listSuppressions,
		"deleteSuppression":    d.deleteSuppression,
	}
}

// WorkspaceOperations are the workspace function's operations alone (its
// branding): a function links every operation its map names, and the
// others reach the whole lifecycle (the machine, Cognito, the
// registrations), ~1 MB of the workspace binary (issue 19,
// docs/performance.md).
func WorkspaceOperations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"getBranding": d.with(d.getBranding),
		"putBranding": d.with(d.putBranding),
	}
}

// with serves h with the lifecycle service; without one (unit wiring) the
// operation answers lifecycle_unavailable.
func (d Deps) with(h func(*onboarding.Service, http.ResponseWriter, *http.Request) error) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if d.Service == nil {
			return errs.E(errs.KindInternal, "lifecycle_unavailable", "tenant lifecycle is not configured in this deployment")
		}
		return h(d.Service, w, r)
	}
}

func sourceIP(r *http.Request) string {
	if rc, ok := httpapi.GatewayContext(r.Context()); ok {
		return rc.Identity.SourceIP
	}
	return ""
}

func actor(r *http.Request) audit.Actor {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return audit.Actor{Kind: audit.ActorPublic, SourceIP: sourceIP(r)}
	}
	k := audit.ActorTenant
	if p.IsRoot() {
		k = audit.ActorRoot
	}
	return audit.Actor{Kind: k, ID: p.UserID, Email: p.Email, SourceIP: sourceIP(r)}
}

// limit counts one attempt of key; a 429 problem with Retry-After when over.
func limit(w http.ResponseWriter, r *http.Request, l ratelimit.Limiter, key, code, what string) error {
	if l == nil {
		return nil
	}
	ok, wait, err := l.Allow(r.Context(), key)
	if err != nil {
		return err
	}
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return errs.E(errs.KindRateLimited, code, "too many %s; retry in %s", what, wait.Round(time.Second))
	}
	return nil
}

func (d Deps) register(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	if err := limit(w, r, d.Registrations, sourceIP(r), "registration_rate_limited", "registrations from your address"); err != nil {
		return err
	}
	if err := d.registrationOpen(r.Context()); err != nil {
		return err
	}
	var reg onboarding.Registration
	if err := httpapi.DecodeJSON(r, &reg, 8<<10); err != nil {
		return err
	}
	release, err := d.claimInCell(r.Context(), reg)
	if err != nil {
		return err
	}
	t, v, err := s.Register(r.Context(), reg, actor(r))
	if err != nil {
		release()
		return err
	}
	return d.writeRegistration(w, r, http.StatusAccepted, t, &v, true)
}

// claimInCell places a registration when the platform has cells: placed
// in another cell, it is refused with that cell's API; placed here, its
// slug is claimed in the directory (taken in any cell: a conflict). The
// release undoes the claim when the registration then fails.
func (d Deps) claimInCell(ctx context.Context, reg onboarding.Registration) (release func(), err error) {
	release = func() {}
	if d.Placement == nil {
		return release, nil
	}
	tier := tiers.Name(reg.Tier)
	if _, ok := tiers.Get(tier); !ok || reg.Slug == "" {
		return release, nil // the registration's own validation answers
	}
	// Taken in any cell, by an offboarded tenant too: a slug is never
	// reused (cells.Directory.Close).
	if claimed, err := d.Placement.Directory.Claimed(ctx, reg.Slug); err != nil {
		return release, err
	} else if claimed {
		return release, errs.Conflict("slug_taken", "this slug is taken")
	}
	c, err := d.Placement.Place(ctx, tier)
	if err != nil {
		return release, err
	}
	if c.ID != d.SignIn.Cell {
		return release, errs.Conflict("registration_in_other_cell",
			fmt.Sprintf("this registration is placed in %s: send it to %s/v1/registrations", c.ID, c.APIURL))
	}
	// Claimed until the admin email is verified (verify confirms it), at
	// most as long as the registration holds its slug in its cell.
	e := cells.For(reg.Slug, tier, c)
	expires := time.Now().Add(onboarding.UnverifiedTTL)
	e.ClaimExpiresAt = &expires
	if err := d.Placement.Directory.Register(ctx, e); err != nil {
		if errs.Is(err, errs.KindConflict) {
			return release, errs.Conflict("slug_taken", "this slug is taken")
		}
		return release, err
	}
	return func() { _ = d.Placement.Directory.Remove(context.WithoutCancel(ctx), reg.Slug, c.ID, tier) }, nil
}

// getRegistration tells a registrant how their registration goes: the
// status and the steps (the reason of a failure is for the provider).
func (d Deps) getRegistration(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	t, err := registrantsOwn(r, s.Tenants)
	if err != nil {
		return err
	}
	return d.writeRegistration(w, r, http.StatusOK, t, nil, false)
}

// registrantsOwn returns the registration of the request's path when the
// request carries its status token; not_found otherwise, as for an id
// that does not exist, so the answer tells a stranger nothing.
func registrantsOwn(r *http.Request, tenants interface {
	Get(context.Context, string) (tenant.Tenant, error)
}) (tenant.Tenant, error) {
	t, err := tenants.Get(r.Context(), r.PathValue("tenantId"))
	if err != nil || t.Status == tenant.StatusDeleted || !t.RegistrationTokenIs(r.URL.Query().Get(tenant.RegistrationTokenParam)) {
		return tenant.Tenant{}, errs.NotFound("registration")
	}
	return t, nil
}

// VerificationCode is the body of POST /v1/registrations/{tenantId}/verify.
type VerificationCode struct {
	Code string `json:"code"`
}

func (d Deps) verify(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	// The status token first: a code tried without it would count against
	// the code's attempts, and a stranger could lock the registrant out
	// (and, resend after resend, spend its verification mails).
	if _, err := registrantsOwn(r, s.Tenants); err != nil {
		return err
	}
	var in VerificationCode
	if err := httpapi.DecodeJSON(r, &in, 1<<10); err != nil {
		return err
	}
	// With cells, the slug's claim in the directory becomes permanent
	// first: a verified tenant never loses its slug to a claim's expiry.
	// A claim that expired and was taken by another registration refuses
	// the verification; a wrong code gives the claim its time back.
	undo, err := d.confirmClaim(r.Context(), r.PathValue("tenantId"))
	if err != nil {
		return err
	}
	t, err := s.Verify(r.Context(), r.PathValue("tenantId"), in.Code, actor(r))
	if err != nil {
		if uerr := undo(); uerr != nil {
			slog.ErrorContext(r.Context(), "registration: the directory claim stays confirmed after a failed verification", "tenant", r.PathValue("tenantId"), "err", uerr)
		}
		return err
	}
	return d.writeRegistration(w, r, http.StatusOK, t, nil, false)
}

// confirmClaim makes a registration's claim in the directory permanent
// (cells.Directory.Confirm) when the platform has cells. A registration
// without an entry (made before the directory) has nothing to confirm.
func (d Deps) confirmClaim(ctx context.Context, slug string) (undo func() error, err error) {
	undo = func() error { return nil }
	if d.Placement == nil {
		return undo, nil
	}
	undo, err = d.Placement.Directory.Confirm(ctx, slug, d.SignIn.Cell)
	switch {
	case errs.Is(err, errs.KindNotFound):
		return func() error { return nil }, nil
	case errs.Is(err, errs.KindConflict):
		return undo, errs.Conflict("slug_taken", "this registration expired and its slug was taken by another registration")
	}
	return undo, err
}

func (d Deps) resendVerification(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("tenantId")
	if _, err := registrantsOwn(r, s.Tenants); err != nil {
		return err
	}
	if err := limit(w, r, d.CodeSends, id, "verification_rate_limited", "verification codes for this registration"); err != nil {
		return err
	}
	t, v, err := s.ResendVerification(r.Context(), id, actor(r))
	if err != nil {
		return err
	}
	return d.writeRegistration(w, r, http.StatusAccepted, t, &v, false)
}

// RegistrationView is a registration as the registrant sees it.
type RegistrationView struct {
	TenantID string        `json:"tenant_id"`
	Slug     string        `json:"slug"`
	Tier     tiers.Name    `json:"tier"`
	Status   tenant.Status `json:"status"`
	// Phase and Steps are the lifecycle run's progress (Platinum shows its
	// stack steps).
	Phase onboarding.Phase `json:"phase"`
	Steps []StepView       `json:"steps"`
	// Location is where the registrant reads the registration (with its
	// status token, which the answer's caller holds).
	Location string `json:"status_url"`
	// VerificationExpiresAt is when the code just mailed stops working
	// (answers to the registration and to a resend only).
	VerificationExpiresAt *time.Time `json:"verification_expires_at,omitempty"`
	// CheckoutPath is where a registration waiting for its first payment
	// gets its Stripe Checkout page (POST; with the status token, as
	// status_url).
	CheckoutPath string `json:"checkout_path,omitempty"`
	// StatusToken (answer to the sign-up only) is the registration's
	// status token: the registrant sends it as the query parameter token
	// to read the registration, ask for a new code or open its checkout;
	// without it those answer 404.
	StatusToken string `json:"status_token,omitempty"`
}

// StepView is one step of a lifecycle run: pending, done, waiting or failed.
type StepView struct {
	Step  onboarding.Step `json:"step"`
	State string          `json:"state"`
}

// writeRegistration answers t's registration view with status; v is the
// verification code just mailed (register and resend), whose expiry it
// tells; located adds the view's Location (a new registration).
func (d Deps) writeRegistration(w http.ResponseWriter, r *http.Request, status int, t tenant.Tenant, v *onboarding.Verification, located bool) error {
	view, err := d.registrationView(r.Context(), t)
	if err != nil {
		return err
	}
	// The links work as given: they carry the status token the caller
	// holds (the one just issued, or the one this request was let in
	// with), since without it they answer 404.
	token := r.URL.Query().Get("token")
	if v != nil {
		view.VerificationExpiresAt = &v.ExpiresAt
		view.StatusToken = v.StatusToken
		if v.StatusToken != "" {
			token = v.StatusToken
		}
	}
	if token != "" {
		q := "?" + url.Values{"token": {token}}.Encode()
		view.Location += q
		if view.CheckoutPath != "" {
			view.CheckoutPath += q
		}
	}
	if located {
		w.Header().Set("Location", view.Location)
	}
	return httpapi.WriteJSON(w, status, view)
}

func (d Deps) registrationView(ctx context.Context, t tenant.Tenant) (RegistrationView, error) {
	v := RegistrationView{TenantID: t.ID, Slug: t.ID, Tier: t.Tier, Status: t.Status, Phase: onboarding.PhaseOnboarding,
		Location: "/v1/registrations/" + t.ID, Steps: []StepView{}}
	if t.Status == tenant.StatusPendingPayment {
		v.CheckoutPath = "/v1/registrations/" + t.ID + "/checkout"
	}
	st, err := d.Service.States.Get(ctx, t.ID)
	if err != nil && !errs.Is(err, errs.KindNotFound) {
		return v, err
	}
	if st.Phase != "" {
		v.Phase = st.Phase
	}
	iso := tiers.Pooled
	if tr, ok := tiers.Get(t.Tier); ok {
		iso = tr.Isolation
	}
	for _, step := range st.Steps(iso) {
		state := "pending"
		switch {
		case st.IsDone(step):
			state = "done"
		case st.Waiting == step:
			state = "waiting"
		case st.FailedStep == step:
			state = "failed"
		}
		v.Steps = append(v.Steps, StepView{Step: step, State: state})
	}
	return v, nil
}

// SignInConfig is the shared pool of pooled tenants and its app client.
type SignInConfig struct {
	SharedPoolID, SharedClientID, Region string
	// Cell is this cell's id (with Deps.Cells).
	Cell string
}

func (d Deps) availability(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	if err := limit(w, r, d.Lookups, sourceIP(r), "lookup_rate_limited", "lookups from your address"); err != nil {
		return err
	}
	a, err := s.SlugAvailability(r.Context(), r.URL.Query().Get("slug"))
	if err != nil {
		return err
	}
	// With cells a slug is one of the platform's, not of this cell's
	// registry: claimed in the directory (in any cell, offboarded too) it
	// is taken, as claimInCell answers a registration of it.
	if a.Available && d.Placement != nil {
		claimed, err := d.Placement.Directory.Claimed(r.Context(), a.Slug)
		if err != nil {
			return err
		}
		if claimed {
			a.Available, a.Reason = false, "taken"
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, a)
}

// Workspace is what a sign-in page needs of a tenant: where its people
// sign in. Nothing else of the tenant is public.
type Workspace struct {
	Slug       string `json:"slug"`
	Name       string `json:"name"`
	UserPoolID string `json:"user_pool_id"`
	ClientID   string `json:"client_id"`
	Region     string `json:"region"`
	// Cell and APIURL say where the workspace lives when the platform has
	// cells (the global tenant directory): sign in to its pool, call its API.
	Cell   string `json:"cell,omitempty"`
	APIURL string `json:"api_url,omitempty"`
	// PasswordPolicy is the pool's: the web app's first sign-in checks a
	// new password against it before Cognito does.
	PasswordPolicy passwordpolicy.Policy `json:"password_policy"`
}

func (d Deps) getWorkspace(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	if err := limit(w, r, d.Lookups, sourceIP(r), "lookup_rate_limited", "lookups from your address"); err != nil {
		return err
	}
	var entry cells.Entry
	if d.Cells != nil {
		// The directory says where the workspace lives; another cell's
		// workspace is answered from its entry (its registry is there).
		e, err := d.Cells.Get(r.Context(), r.PathValue("slug"))
		if err != nil {
			return err // not in the directory: the same 404 as a missing workspace
		}
		if e.Cell != d.SignIn.Cell {
			return httpapi.WriteJSON(w, http.StatusOK, Workspace{Slug: e.TenantID, Name: e.TenantID, UserPoolID: e.UserPoolID,
				ClientID: e.ClientID, Region: e.Region, Cell: e.Cell, APIURL: e.APIURL, PasswordPolicy: passwordpolicy.Pools})
		}
		entry = e
	}
	t, err := s.Tenants.Get(r.Context(), r.PathValue("slug"))
	// Pending, failed and offboarded tenants have no workspace to sign in to.
	if err != nil || (t.Status != tenant.StatusActive && t.Status != tenant.StatusSuspended) {
		if err != nil && !errs.Is(err, errs.KindNotFound) {
			return err
		}
		return errs.NotFound("workspace")
	}
	ws := Workspace{Slug: t.ID, Name: brandingView(t).DisplayName, UserPoolID: d.SignIn.SharedPoolID,
		ClientID: d.SignIn.SharedClientID, Region: d.SignIn.Region, Cell: entry.Cell, APIURL: entry.APIURL,
		PasswordPolicy: passwordpolicy.Pools}
	if t.UserPoolID != "" && t.UserPoolID != d.SignIn.SharedPoolID && len(t.ClientIDs) > 0 {
		ws.UserPoolID, ws.ClientID = t.UserPoolID, t.ClientIDs[0] // Platinum: its own pool
	}
	if ws.Region == "" {
		ws.Region = regionOfPool(ws.UserPoolID)
	}
	return httpapi.WriteJSON(w, http.StatusOK, ws)
}

// regionOfPool reads the region from a pool id ("us-east-1_AbC").
func regionOfPool(id string) string {
	if i := strings.IndexByte(id, '_'); i > 0 {
		return id[:i]
	}
	return ""
}

func (d Deps) approve(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	t, err := s.Approve(r.Context(), r.PathValue("tenantId"), actor(r))
	if err != nil {
		return err
	}
	v, err := d.view(r.Context(), t, false)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, v)
}

// UsageSummary is a tenant's consumption against its tier.
type UsageSummary struct {
	RequestsThisMonth int64   `json:"requests_this_month"`
	MonthlyQuota      int64   `json:"monthly_quota"`
	Users             *int    `json:"users,omitempty"`
	MaxUsers          int     `json:"max_users"`
	RateLimit         float64 `json:"rate_limit"`
	Burst             int     `json:"burst"`
	// StorageBytes (the tenants table) is item and attachment bytes stored;
	// StorageLimit the tier's attachment storage.
	StorageBytes *int64 `json:"storage_bytes,omitempty"`
	StorageLimit int64  `json:"storage_limit"`
}

// TenantView is a tenant as the provider sees it.
type TenantView struct {
	tenant.Tenant
	Isolation tiers.Isolation `json:"isolation,omitempty"`
	Usage     UsageSummary    `json:"usage"`
	// MRRCents (the tenants table) is what the tenant's subscription bills
	// a month while paying (active or in its grace period), from its
	// billing account; 0 for free tiers and unpaid accounts.
	MRRCents  *int64         `json:"mrr_cents,omitempty"`
	Lifecycle *LifecycleView `json:"lifecycle,omitempty"`
}

// LifecycleView is the onboarding or offboarding progress.
type LifecycleView struct {
	Phase      onboarding.Phase        `json:"phase"`
	Steps      []onboarding.Step       `json:"steps"`
	Done       []onboarding.StepResult `json:"done"`
	FailedStep onboarding.Step         `json:"failed_step,omitempty"`
	// Waiting is the step waiting for the tenant stack's deploy or destroy (AWS).
	Waiting   onboarding.Step `json:"waiting,omitempty"`
	Error     string          `json:"error,omitempty"`
	Attempts  int             `json:"attempts"`
	Archive   string          `json:"archive,omitempty"`
	Finished  bool            `json:"finished"`
	ElapsedMS int64           `json:"elapsed_ms,omitempty"`
	// Migration is a tier migration's progress: homes, items copied, the
	// catch-up rounds, the write freeze and the per-family verification.
	Migration *onboarding.MigrationRecord `json:"migration,omitempty"`
}

func lifecycleView(st onboarding.State) *LifecycleView {
	iso := tiers.Pooled
	if t, ok := tiers.Get(st.Tier); ok {
		iso = t.Isolation
	}
	return &LifecycleView{Phase: st.Phase, Steps: st.Steps(iso), Done: st.Done, FailedStep: st.FailedStep,
		Waiting: st.Waiting, Error: st.Error, Attempts: st.Attempts, Archive: st.Archive, Finished: !st.FinishedAt.IsZero(), ElapsedMS: st.Elapsed().Milliseconds(),
		Migration: st.Migration}
}

// baseView is t with its tier's isolation and limits.
func baseView(t tenant.Tenant) TenantView {
	v := TenantView{Tenant: t}
	if tr, ok := tiers.Get(t.Tier); ok {
		v.Isolation = tr.Isolation
		v.Usage = UsageSummary{MonthlyQuota: tr.MonthlyQuota, MaxUsers: tr.MaxUsers, RateLimit: tr.RateLimit, Burst: tr.Burst, StorageLimit: tr.StorageBytes}
	}
	return v
}

func (d Deps) view(ctx context.Context, t tenant.Tenant, detailed bool) (TenantView, error) {
	v := baseView(t)
	if d.Usage != nil && t.APIKey != "" {
		n, err := d.Usage.RequestsThisMonth(ctx, t)
		if err != nil {
			return v, err
		}
		v.Usage.RequestsThisMonth = n
	}
	if !detailed {
		return v, nil
	}
	if d.Usage != nil {
		n, err := d.Usage.Users(ctx, t)
		if err != nil {
			return v, err
		}
		v.Usage.Users = &n
	}
	if st, err := d.Service.States.Get(ctx, t.ID); err == nil {
		v.Lifecycle = lifecycleView(st)
	} else if !errs.Is(err, errs.KindNotFound) {
		return v, err
	}
	return v, nil
}

// listTenants is the provider's tenants table: a search (q: the start of a
// name or id) or a sort (name, created, tier, status, users, mrr; "-" for
// descending), an optional status, and cursor paging. A page is one Query
// of the directory's index, one batch read of the rows' tenants and one of
// their usage: a constant number of round trips however many tenants.
func (d Deps) listTenants(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	qs := r.URL.Query()
	l, err := tenant.ParseListing(qs.Get("q"), qs.Get("sort"), qs.Get("status"))
	if err != nil {
		return err
	}
	if d.Directory == nil {
		return errs.E(errs.KindInternal, "lifecycle_unavailable", "the tenants table is not configured in this deployment")
	}
	pg, err := d.Directory.Rows(r.Context(), l, req)
	if err != nil {
		return err
	}
	ids := make([]string, len(pg.Items))
	for i, row := range pg.Items {
		ids[i] = row.ID
	}
	var cur map[string]usage.Current
	if d.Usage != nil && len(ids) > 0 {
		if cur, err = d.Usage.Current(r.Context(), ids); err != nil {
			return err
		}
	}
	out := make([]TenantView, 0, len(pg.Items))
	for _, row := range pg.Items {
		v := baseView(row.Tenant)
		c := cur[row.ID]
		users, mrr, stored := row.Users, row.MRRCents, c.Storage.Total()
		v.Usage.RequestsThisMonth, v.Usage.Users, v.Usage.StorageBytes, v.MRRCents = c.Calls, &users, &stored, &mrr
		out = append(out, v)
	}
	return httpapi.WriteJSON(w, http.StatusOK, list.NewPage(out, pg.NextCursor))
}

func (d Deps) getTenant(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	t, err := s.Tenants.Get(r.Context(), r.PathValue("tenantId"))
	if err != nil {
		return err
	}
	v, err := d.view(r.Context(), t, true)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, v)
}

// tenantChange decodes a body, applies a change and answers the tenant.
func (d Deps) tenantChange(s *onboarding.Service, w http.ResponseWriter, r *http.Request, body any, change func(*onboarding.Service, string) (tenant.Tenant, error)) error {
	if body != nil {
		if err := httpapi.DecodeJSON(r, body, 8<<10); err != nil {
			return err
		}
	}
	t, err := change(s, r.PathValue("tenantId"))
	if err != nil {
		return err
	}
	v, err := d.view(r.Context(), t, false)
	if err != nil {
		return err
	}
	if st, err := s.States.Get(r.Context(), t.ID); err == nil && st.Phase == onboarding.PhaseMigration && st.FinishedAt.IsZero() {
		v.Lifecycle = lifecycleView(st)
	}
	return httpapi.WriteJSON(w, http.StatusOK, v)
}

func (d Deps) suspend(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	return d.tenantChange(s, w, r, &in, func(s *onboarding.Service, id string) (tenant.Tenant, error) {
		return s.Suspend(r.Context(), id, in.Reason, actor(r))
	})
}

func (d Deps) reactivate(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	return d.tenantChange(s, w, r, nil, func(s *onboarding.Service, id string) (tenant.Tenant, error) {
		return s.Reactivate(r.Context(), id, actor(r))
	})
}

func (d Deps) changeTier(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Tier string `json:"tier"`
	}
	return d.tenantChange(s, w, r, &in, func(s *onboarding.Service, id string) (tenant.Tenant, error) {
		return s.ChangeTier(r.Context(), id, in.Tier, actor(r))
	})
}

// A tier change across isolation models answers the tenant with its
// lifecycle (the migration it started): see tenantChange.

func (d Deps) retry(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	st, err := s.Retry(r.Context(), r.PathValue("tenantId"), actor(r))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, lifecycleView(st))
}

// MigrationRequest is the body of POST /v1/admin/tenants/{id}/migration:
// a tier of the other isolation model, or another cell (one of the two).
type MigrationRequest struct {
	Tier string `json:"tier,omitempty"`
	// Cell moves the tenant, on its tier, to another cell (docs/scale.md).
	Cell string `json:"cell,omitempty"`
}

// migrate starts a tier migration across isolation models, or a move to
// another cell.
func (d Deps) migrate(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	var in MigrationRequest
	if err := httpapi.DecodeJSON(r, &in, 8<<10); err != nil {
		return err
	}
	var (
		st  onboarding.State
		err error
	)
	switch {
	case in.Cell != "" && in.Tier != "":
		return errs.Invalid("migration_ambiguous", "name a tier or a cell, not both",
			errs.FieldError{Field: "cell", Reason: "a tier or a cell, not both"})
	case in.Cell == "" && in.Tier == "":
		return errs.Field("tier", "is required: the tier to migrate to (or cell: the cell to move to)")
	case in.Cell != "":
		st, err = s.MoveCell(r.Context(), r.PathValue("tenantId"), in.Cell, actor(r))
	default:
		st, err = s.Migrate(r.Context(), r.PathValue("tenantId"), in.Tier, actor(r))
	}
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, lifecycleView(st))
}

func (d Deps) rollbackMigration(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	st, err := s.RollbackMigration(r.Context(), r.PathValue("tenantId"), actor(r))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, lifecycleView(st))
}

func (d Deps) offboard(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Confirm string `json:"confirm"`
	}
	if r.ContentLength != 0 {
		if err := httpapi.DecodeJSON(r, &in, 8<<10); err != nil {
			return err
		}
	}
	st, err := s.Offboard(r.Context(), r.PathValue("tenantId"), in.Confirm, actor(r))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, lifecycleView(st))
}

// listAudit pages through a tenant's audit: a tenant the registry does not
// hold (offboarded ones it keeps) is a 404, as for getTenant, not an empty
// log (any slug, well-formed or not, answered an empty 200).
func (d Deps) listAudit(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	if d.Audit == nil {
		return errs.E(errs.KindInternal, "lifecycle_unavailable", "the audit log is not configured")
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	t, err := s.Tenants.Get(r.Context(), r.PathValue("tenantId"))
	if err != nil {
		return err
	}
	pg, err := d.Audit.List(r.Context(), t.ID, req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, list.NewPage(pg.Items, pg.NextCursor))
}

func (d Deps) getBranding(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	t, err := s.Tenants.Get(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, brandingView(t))
}

func (d Deps) putBranding(s *onboarding.Service, w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var b tenant.Branding
	if err := httpapi.DecodeJSON(r, &b, 8<<10+tenant.MaxLogoBytes*4/3); err != nil { // the logo is a data: URL
		return err
	}
	t, err := s.SetBranding(r.Context(), p.TenantID, b, actor(r))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, brandingView(t))
}

// Branding is what the workspace renders.
type Branding struct {
	tenant.Branding
	// Customizable says whether the tier lets the Super Admin change it.
	Customizable bool `json:"customizable"`
}

func brandingView(t tenant.Tenant) Branding {
	b := Branding{Branding: t.Branding.Shown()}
	if tr, ok := tiers.Get(t.Tier); ok {
		b.Customizable = tr.Has(tiers.FeatureBranding)
	}
	if b.DisplayName == "" {
		b.DisplayName = t.Name
	}
	return b
}
