// Package usageapi serves usage over HTTP: the Super Admin's usage against
// the tier's limits, and Root's table of every tenant with totals per tier.
package usageapi

import (
	"context"
	"github.com/issuetracker/issuetracker/internal/list"
	"net/http"
	"slices"
	"time"

	"github.com/issuetracker/issuetracker/internal/errs"
	"github.com/issuetracker/issuetracker/internal/httpapi"
	"github.com/issuetracker/issuetracker/internal/tenant"
	"github.com/issuetracker/issuetracker/internal/tiers"
	"github.com/issuetracker/issuetracker/internal/usage"
)

// Deps of the usage operations. Store nil answers 503 usage_unavailable.
type Deps struct {
	Store   usage.Store
	Tenants tenant.Registry
	// Seats is a tenant's live seat count (the people directory's counter).
	Seats func(ctx context.Context, t tenant.Tenant) (int, error)
	Now   func() time.Time
}

// Operations of the usage routes.
func Operations(d Deps) httpapi.Operations {
	return httpapi.Operations{
		"getUsage":     d.getUsage,
		"getRootUsage": d.getRootUsage,
	}
}

func (d Deps) now() time.Time {
	if d.Now != nil {
		return d.Now().UTC()
	}
	return time.Now().UTC()
}

func (d Deps) ready() error {
	if d.Store == nil || d.Tenants == nil {
		return errs.E(errs.KindInternal, "usage_unavailable", "usage metering is not configured in this deployment")
	}
	return nil
}

// Report builds a tenant's report now: three counters in one read, and the
// live seat count.
func (d Deps) Report(ctx context.Context, t tenant.Tenant) (usage.Report, error) {
	now := d.now()
	tr, ok := tiers.Get(t.Tier)
	if !ok {
		return usage.Report{}, errs.Internal(errs.E(errs.KindInternal, "unknown_tier", "tenant %s has tier %q", t.ID, t.Tier))
	}
	snap, err := d.Store.Snapshot(ctx, t.ID, usage.MonthKey(now), usage.WeekKey(now))
	if err != nil {
		return usage.Report{}, err
	}
	var seats int
	if d.Seats != nil {
		if seats, err = d.Seats(ctx, t); err != nil {
			return usage.Report{}, err
		}
	}
	return usage.BuildReport(usage.ReportInput{TenantID: t.ID, Tier: tr, Now: now, Month: snap.Month,
		Weekly: snap.Weekly, Storage: snap.Storage, Seats: int64(seats)}), nil
}

func (d Deps) getUsage(w http.ResponseWriter, r *http.Request) error {
	if err := d.ready(); err != nil {
		return err
	}
	p, err := httpapi.CallerPrincipal(r)
	if err != nil {
		return err
	}
	t, err := d.Tenants.Get(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	rep, err := d.Report(r.Context(), t)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, rep)
}

// TierTotals sum a month's usage over the tenants of one tier ("all": every tier).
type TierTotals struct {
	Tier               string `json:"tier"`
	Tenants            int    `json:"tenants"`
	Calls              int64  `json:"api_calls"`
	MonthlyActiveUsers int64  `json:"monthly_active_users"`
	ItemBytes          int64  `json:"item_bytes"`
	AttachmentBytes    int64  `json:"attachment_bytes"`
	// Seats as the daily usage job last recorded them.
	Seats int64 `json:"seats"`
}

// TenantUsage is one row of Root's table.
type TenantUsage struct {
	TenantID           string          `json:"tenant_id"`
	Name               string          `json:"name"`
	Tier               tiers.Name      `json:"tier"`
	Status             tenant.Status   `json:"status"`
	Calls              usage.Gauge     `json:"api_calls"`
	Storage            usage.Gauge     `json:"storage"`
	MonthlyActiveUsers int64           `json:"monthly_active_users"`
	Seats              usage.Gauge     `json:"seats"`
	Warnings           []usage.Warning `json:"warnings"`
}

// RootUsage is every tenant's usage of a month with totals per tier.
type RootUsage struct {
	Month   string        `json:"month"`
	Totals  []TierTotals  `json:"totals"`
	Tenants []TenantUsage `json:"tenants"`
}

// maxTenantPages bounds Root's read of the registry (100 tenants a page).
const maxTenantPages = 100

func (d Deps) getRootUsage(w http.ResponseWriter, r *http.Request) error {
	if err := d.ready(); err != nil {
		return err
	}
	month := usage.MonthKey(d.now())
	if q := r.URL.Query().Get("month"); q != "" {
		if _, err := usage.ParseMonth(q); err != nil {
			return errs.Field("month", err.Error())
		}
		month = q
	}
	out, err := d.RootUsage(r.Context(), month)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, out)
}

// RootUsage reads every tenant (registry), their month items (one Query)
// and storage counters (BatchGetItem): an admin-sized read, never a tenant's
// request path.
func (d Deps) RootUsage(ctx context.Context, month string) (RootUsage, error) {
	var ts []tenant.Tenant
	for cursor, page := "", 0; page < maxTenantPages; page++ {
		pg, err := d.Tenants.List(ctx, list.Request{Limit: list.MaxLimit, Cursor: cursor})
		if err != nil {
			return RootUsage{}, err
		}
		ts = append(ts, pg.Items...)
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	ts = slices.DeleteFunc(ts, func(t tenant.Tenant) bool { return t.Status == tenant.StatusDeleted })
	months, err := d.Store.Months(ctx, month)
	if err != nil {
		return RootUsage{}, err
	}
	byTenant := map[string]usage.Month{}
	for _, m := range months {
		byTenant[m.TenantID] = m
	}
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	storage, err := d.Store.StorageOf(ctx, ids)
	if err != nil {
		return RootUsage{}, err
	}
	out := RootUsage{Month: month, Tenants: []TenantUsage{}}
	totals := map[string]*TierTotals{}
	all := &TierTotals{Tier: "all"}
	for _, tr := range tiers.All() {
		totals[string(tr.Name)] = &TierTotals{Tier: string(tr.Name)}
	}
	for _, t := range ts {
		tr, ok := tiers.Get(t.Tier)
		if !ok {
			continue
		}
		m, st := byTenant[t.ID], storage[t.ID]
		row := TenantUsage{TenantID: t.ID, Name: t.Name, Tier: t.Tier, Status: t.Status,
			Calls: usage.NewGauge(m.Calls, tr.MonthlyQuota), Storage: usage.NewGauge(st.Total(), tr.StorageBytes),
			MonthlyActiveUsers: m.MonthlyActive, Seats: usage.NewGauge(m.Seats, int64(tr.MaxUsers)), Warnings: []usage.Warning{}}
		for _, g := range []struct {
			m usage.Metric
			g usage.Gauge
		}{{usage.MetricCalls, row.Calls}, {usage.MetricStorage, row.Storage}, {usage.MetricSeats, row.Seats}} {
			if g.g.Level != usage.LevelOK {
				row.Warnings = append(row.Warnings, usage.NewWarning(g.m, g.g, tr))
			}
		}
		out.Tenants = append(out.Tenants, row)
		for _, tt := range []*TierTotals{totals[string(tr.Name)], all} {
			tt.Tenants++
			tt.Calls += m.Calls
			tt.MonthlyActiveUsers += m.MonthlyActive
			tt.ItemBytes += st.ItemBytes
			tt.AttachmentBytes += st.AttachmentBytes
			tt.Seats += m.Seats
		}
	}
	for _, tr := range tiers.All() {
		out.Totals = append(out.Totals, *totals[string(tr.Name)])
	}
	out.Totals = append(out.Totals, *all)
	return out, nil
}
