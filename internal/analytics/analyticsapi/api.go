// Package analyticsapi serves the analytics domain over HTTP: issue
// figures, workload, team velocity, user performance and the analytics
// settings (time zone). Every figure is read from rollups (O(days) small
// items), never from issues. Operations are keyed by the route table's
// OperationID (internal/routes) and mounted by internal/app.
package analyticsapi

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/issuetracker/issuetracker/internal/analytics"
	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/issue"
	"github.com/issuetracker/issuetracker/internal/roles"
	"github.com/issuetracker/issuetracker/internal/tenancy"
)

// Deps of the analytics operations (internal/app wires the DynamoDB
// implementations).
type Deps struct {
	Service   *analytics.Service
	Directory issue.Directory
	Now       func() time.Time
}

// Operations of the analytics function.
func Operations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"getIssueAnalytics":    d.issues,
		"getWorkload":          d.workload,
		"getTeamVelocity":      d.velocity,
		"getUserPerformance":   d.user,
		"getAnalyticsSettings": d.getSettings,
		"putAnalyticsSettings": d.putSettings,
	}
}

// rangeOf reads from, to and bucket in the tenant's zone.
func (d Deps) rangeOf(ctx context.Context, p tenancy.Principal, q url.Values) (analytics.Range, error) {
	set, err := d.Service.SettingsFor(ctx, p.Scope())
	if err != nil {
		return analytics.Range{}, err
	}
	return analytics.ParseRange(q.Get("from"), q.Get("to"), q.Get("bucket"), d.Service.Today(set))
}

// othersFigures refuses a User another person's figures.
func othersFigures(p tenancy.Principal, userID string) error {
	if userID != p.UserID && !p.Role.AtLeast(roles.Admin) {
		return errs.Forbidden("figures_of_others", "only Admins and above see other people's figures")
	}
	return nil
}

// user resolves "me" and checks that the user is in the caller's tenant
// (another tenant's user is not found).
func (d Deps) userID(ctx context.Context, p tenancy.Principal, ref string) (string, error) {
	if ref == "me" {
		return p.UserID, nil
	}
	if err := othersFigures(p, ref); err != nil {
		return "", err
	}
	ok, err := d.Directory.UserExists(ctx, p.Scope(), ref)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errs.NotFound("user")
	}
	return ref, nil
}

func (d Deps) teamID(ctx context.Context, p tenancy.Principal, ref string) (string, error) {
	ok, err := d.Directory.TeamExists(ctx, p.Scope(), ref)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errs.NotFound("team")
	}
	return ref, nil
}

// asParameter turns a not-found of a filter's value into a 400 naming the
// query parameter: the route exists, its filter names nothing (another
// tenant's id reads the same as a missing one). A path id not found stays
// a 404.
func asParameter(err error, param, reason string) error {
	if errs.Is(err, errs.KindNotFound) {
		return errs.Invalid("invalid_parameter", param+": "+reason, errs.FieldError{Field: param, Reason: reason})
	}
	return err
}

// scope reads the one optional filter of an issue report.
func (d Deps) scope(ctx context.Context, p tenancy.Principal, q url.Values) (string, error) {
	var set []string
	for _, k := range []string{"team", "assignee", "priority"} {
		if q.Has(k) {
			set = append(set, k)
		}
	}
	if len(set) > 1 {
		return "", errs.Invalid("one_filter", "filter by one of team, assignee or priority",
			errs.FieldError{Field: set[1], Reason: "only one of team, assignee, priority"})
	}
	if len(set) == 0 {
		return analytics.ScopeAll, nil
	}
	v := q.Get(set[0])
	switch set[0] {
	case "team":
		id, err := d.teamID(ctx, p, v)
		return analytics.TeamScope(id), asParameter(err, "team", "no such team in this workspace")
	case "assignee":
		if v == "none" {
			return analytics.ScopeUnowned, nil
		}
		id, err := d.userID(ctx, p, v)
		return analytics.UserScope(id), asParameter(err, "assignee", "no such user in this workspace (a user id, me or none)")
	}
	pr := issue.Priority(v)
	if !slices.Contains(issue.Priorities, pr) {
		return "", errs.Field("priority", "must be one of none, low, medium, high, urgent")
	}
	return analytics.PriorityScope(pr), nil
}

func (d Deps) issues(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	rg, err := d.rangeOf(r.Context(), p, q)
	if err != nil {
		return err
	}
	scope, err := d.scope(r.Context(), p, q)
	if err != nil {
		return err
	}
	rep, err := d.Service.Report(r.Context(), p.Scope(), scope, rg)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, rep)
}

func (d Deps) workload(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	g, err := analytics.ParseGroupBy(q.Get("group_by"))
	if err != nil {
		return err
	}
	if g == analytics.ByAssignee {
		if err := othersFigures(p, ""); err != nil {
			return err
		}
	}
	wl, err := d.Service.Workload(r.Context(), p.Scope(), g)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, wl)
}

func (d Deps) velocity(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	rg, err := d.rangeOf(r.Context(), p, q)
	if err != nil {
		return err
	}
	team, err := d.teamID(r.Context(), p, r.PathValue("teamId"))
	if err != nil {
		return err
	}
	v, err := d.Service.Velocity(r.Context(), p.Scope(), team, rg)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, v)
}

func (d Deps) user(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	rg, err := d.rangeOf(r.Context(), p, q)
	if err != nil {
		return err
	}
	id, err := d.userID(r.Context(), p, r.PathValue("userId"))
	if err != nil {
		return err
	}
	u, err := d.Service.UserPerformance(r.Context(), p.Scope(), id, rg)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, u)
}

// SettingsView is the analytics settings as the API shows them.
type SettingsView struct {
	TimeZone string `json:"time_zone"`
	// Pending is a zone change that takes effect at its since (a minute
	// after it was made).
	Pending *analytics.ZoneChange  `json:"pending,omitempty"`
	History []analytics.ZoneChange `json:"history"`
}

// SettingsInput is the body of PUT /v1/analytics/settings.
type SettingsInput struct {
	TimeZone string `json:"time_zone"`
}

func (d Deps) view(s analytics.Settings) SettingsView {
	now := d.Now().UTC()
	v := SettingsView{TimeZone: s.ZoneAt(now), History: s.Zones}
	if v.History == nil {
		v.History = []analytics.ZoneChange{}
	}
	for _, z := range s.Zones {
		if z.Since.After(now) {
			v.Pending = &z
		}
	}
	return v
}

func (d Deps) getSettings(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	s, err := d.Service.Store.Settings(r.Context(), p.Scope())
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, d.view(s))
}

func (d Deps) putSettings(w http.ResponseWriter, r *http.Request) error {
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	var in SettingsInput
	if err := httpapi.DecodeJSON(r, &in, 0); err != nil {
		return err
	}
	cur, err := d.Service.Store.Settings(r.Context(), p.Scope())
	if err != nil {
		return err
	}
	next, err := cur.WithZone(in.TimeZone, d.Now().UTC())
	if err != nil {
		return err
	}
	if next.Version == cur.Version && len(next.Zones) != len(cur.Zones) {
		next.Version++
		if err := d.Service.Store.PutSettings(r.Context(), p.Scope(), next); err != nil {
			return err
		}
	}
	return httpapi.WriteJSON(w, http.StatusOK, d.view(next))
}
