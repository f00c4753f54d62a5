// Package lifecycle serves how a company becomes a tenant and stops being
// one over HTTP: public registration, the provider's (Root) tenant
// administration and the Super Admin's branding. The work is done by
// package onboarding; this package decodes, authorizes and answers.
package lifecycle

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/issuetracker/issuetracker/internal/audit"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/list"
	"github.com/issuetracker/issuetracker/internal/onboarding"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
)

// Usage reads a tenant's consumption for the provider's summary.
type Usage interface {
	// RequestsThisMonth is the count of the key's requests this UTC month.
	RequestsThisMonth(ctx context.Context, t tenant.Tenant) (int64, error)
	// Users is the number of the tenant's people.
	Users(ctx context.Context, t tenant.Tenant) (int, error)
}

// Deps of the lifecycle operations. Service nil answers 503.
type Deps struct {
	Service *onboarding.Service
	Audit   audit.Log
	Usage   Usage
	// Registrations limits sign-ups per client address.
	Registrations Limiter
}

// Operations of the registration, tenants and workspace functions.
func Operations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"register":             d.register,
		"getRegistration":      d.getRegistration,
		"listTenants":          d.listTenants,
		"getTenant":            d.getTenant,
		"suspendTenant":        d.suspend,
		"reactivateTenant":     d.reactivate,
		"changeTenantTier":     d.changeTier,
		"retryTenantLifecycle": d.retry,
		"offboardTenant":       d.offboard,
		"listTenantAudit":      d.listAudit,
		"getBranding":          d.getBranding,
		"putBranding":          d.putBranding,
	}
}

func (d Deps) svc() (*onboarding.Service, error) {
	if d.Service == nil {
		return nil, errs.E(errs.KindInternal, "lifecycle_unavailable", "tenant lifecycle is not configured in this deployment")
	}
	return d.Service, nil
}

func sourceIP(r *http.Request) string {
	if rc, ok := core.GetAPIGatewayContextFromContext(r.Context()); ok {
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

// RegistrationAccepted answers a sign-up.
type RegistrationAccepted struct {
	TenantID string        `json:"tenant_id"`
	Status   tenant.Status `json:"status"`
	Location string        `json:"status_url"`
}

func (d Deps) register(w http.ResponseWriter, r *http.Request) error {
	s, err := d.svc()
	if err != nil {
		return err
	}
	if d.Registrations != nil {
		ok, wait, err := d.Registrations.Allow(r.Context(), sourceIP(r))
		if err != nil {
			return err
		}
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return errs.E(errs.KindRateLimited, "registration_rate_limited", "too many registrations from your address; retry in %s", wait.Round(time.Second))
		}
	}
	var reg onboarding.Registration
	if err := httpapi.DecodeJSON(r, &reg, 8<<10); err != nil {
		return err
	}
	t, err := s.Register(r.Context(), reg, actor(r))
	if err != nil {
		return err
	}
	cur, err := s.Tenants.Get(r.Context(), t.ID) // Inline drivers have finished already
	if err == nil {
		t = cur
	}
	loc := "/v1/registrations/" + t.ID
	w.Header().Set("Location", loc)
	return httpapi.WriteJSON(w, http.StatusAccepted, RegistrationAccepted{TenantID: t.ID, Status: t.Status, Location: loc})
}

// getRegistration tells a registrant how onboarding goes: the status only
// (the reason of a failure is for the provider).
func (d Deps) getRegistration(w http.ResponseWriter, r *http.Request) error {
	s, err := d.svc()
	if err != nil {
		return err
	}
	t, err := s.Tenants.Get(r.Context(), r.PathValue("tenantId"))
	if err != nil || t.Status == tenant.StatusDeleted {
		return errs.NotFound("registration")
	}
	return httpapi.WriteJSON(w, http.StatusOK, RegistrationStatus{TenantID: t.ID, Status: t.Status})
}

// RegistrationStatus is the onboarding status of a registration.
type RegistrationStatus struct {
	TenantID string        `json:"tenant_id"`
	Status   tenant.Status `json:"status"`
}

// UsageSummary is a tenant's consumption against its tier.
type UsageSummary struct {
	RequestsThisMonth int64   `json:"requests_this_month"`
	MonthlyQuota      int64   `json:"monthly_quota"`
	Users             *int    `json:"users,omitempty"`
	MaxUsers          int     `json:"max_users"`
	RateLimit         float64 `json:"rate_limit"`
	Burst             int     `json:"burst"`
}

// TenantView is a tenant as the provider sees it.
type TenantView struct {
	tenant.Tenant
	Usage     UsageSummary   `json:"usage"`
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
}

func lifecycleView(st onboarding.State) *LifecycleView {
	iso := tiers.Pooled
	if t, ok := tiers.Get(st.Tier); ok {
		iso = t.Isolation
	}
	return &LifecycleView{Phase: st.Phase, Steps: onboarding.Plan(st.Phase, iso), Done: st.Done, FailedStep: st.FailedStep,
		Waiting: st.Waiting, Error: st.Error, Attempts: st.Attempts, Archive: st.Archive, Finished: !st.FinishedAt.IsZero(), ElapsedMS: st.Elapsed().Milliseconds()}
}

func (d Deps) view(ctx context.Context, t tenant.Tenant, detailed bool) (TenantView, error) {
	v := TenantView{Tenant: t}
	if tr, ok := tiers.Get(t.Tier); ok {
		v.Usage = UsageSummary{MonthlyQuota: tr.MonthlyQuota, MaxUsers: tr.MaxUsers, RateLimit: tr.RateLimit, Burst: tr.Burst}
	}
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

func (d Deps) listTenants(w http.ResponseWriter, r *http.Request) error {
	s, err := d.svc()
	if err != nil {
		return err
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := s.Tenants.List(r.Context(), req)
	if err != nil {
		return err
	}
	out := make([]TenantView, 0, len(pg.Items))
	for _, t := range pg.Items {
		v, err := d.view(r.Context(), t, false)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	return httpapi.WriteJSON(w, http.StatusOK, list.NewPage(out, pg.NextCursor))
}

func (d Deps) getTenant(w http.ResponseWriter, r *http.Request) error {
	s, err := d.svc()
	if err != nil {
		return err
	}
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
func (d Deps) tenantChange(w http.ResponseWriter, r *http.Request, body any, change func(*onboarding.Service, string) (tenant.Tenant, error)) error {
	s, err := d.svc()
	if err != nil {
		return err
	}
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
	return httpapi.WriteJSON(w, http.StatusOK, v)
}

func (d Deps) suspend(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	return d.tenantChange(w, r, &in, func(s *onboarding.Service, id string) (tenant.Tenant, error) {
		return s.Suspend(r.Context(), id, in.Reason, actor(r))
	})
}

func (d Deps) reactivate(w http.ResponseWriter, r *http.Request) error {
	return d.tenantChange(w, r, nil, func(s *onboarding.Service, id string) (tenant.Tenant, error) {
		return s.Reactivate(r.Context(), id, actor(r))
	})
}

func (d Deps) changeTier(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Tier string `json:"tier"`
	}
	return d.tenantChange(w, r, &in, func(s *onboarding.Service, id string) (tenant.Tenant, error) {
		return s.ChangeTier(r.Context(), id, in.Tier, actor(r))
	})
}

func (d Deps) retry(w http.ResponseWriter, r *http.Request) error {
	s, err := d.svc()
	if err != nil {
		return err
	}
	st, err := s.Retry(r.Context(), r.PathValue("tenantId"), actor(r))
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusAccepted, lifecycleView(st))
}

func (d Deps) offboard(w http.ResponseWriter, r *http.Request) error {
	s, err := d.svc()
	if err != nil {
		return err
	}
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

func (d Deps) listAudit(w http.ResponseWriter, r *http.Request) error {
	if d.Audit == nil {
		return errs.E(errs.KindInternal, "lifecycle_unavailable", "the audit log is not configured")
	}
	req, err := list.Params(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := d.Audit.List(r.Context(), r.PathValue("tenantId"), req)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, list.NewPage(pg.Items, pg.NextCursor))
}

func (d Deps) getBranding(w http.ResponseWriter, r *http.Request) error {
	s, err := d.svc()
	if err != nil {
		return err
	}
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

func (d Deps) putBranding(w http.ResponseWriter, r *http.Request) error {
	s, err := d.svc()
	if err != nil {
		return err
	}
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var b tenant.Branding
	if err := httpapi.DecodeJSON(r, &b, 8<<10); err != nil {
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
	b := Branding{Branding: t.Branding}
	if tr, ok := tiers.Get(t.Tier); ok {
		b.Customizable = tr.Has(tiers.FeatureBranding)
	}
	if b.DisplayName == "" {
		b.DisplayName = t.Name
	}
	return b
}
