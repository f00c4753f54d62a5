// Chart data shaping: the API's analytics, usage and billing answers as the
// flat rows the charts and their CSV files use.
import type { components } from '../api/schema';

type S = components['schemas'];

const TIER_ORDER = ['basic', 'standard', 'premium', 'platinum'];
const byTier = (a: { tier: string }, b: { tier: string }) =>
  TIER_ORDER.indexOf(a.tier) - TIER_ORDER.indexOf(b.tier);

/** Provider: MRR, subscribers, new and churned per tier (dollars, not cents). */
export function tierRevenue(f: S['Figures']) {
  return [...f.tiers].sort(byTier).map((t) => ({
    tier: t.tier,
    mrr: t.mrr_cents / 100,
    subscribers: t.subscribers,
    new: t.new,
    churned: t.churned,
    churn_pct: Math.round(t.churn_rate * 1000) / 10,
  }));
}

/** Provider: MRR per month, the closed months then the current one, oldest first. */
export function mrrHistory(f: S['Figures']) {
  const closed = [...f.closes]
    .filter((c) => c.month !== f.month)
    .sort((a, b) => a.month.localeCompare(b.month))
    .map((c) => ({ month: c.month, mrr: c.mrr_cents / 100 }));
  return [...closed, { month: f.month, mrr: f.mrr_cents / 100 }];
}

/** Provider: usage totals per tier. */
export function tierUsage(u: S['RootUsage']) {
  return [...u.totals].sort(byTier).map((t) => ({
    tier: t.tier,
    tenants: t.tenants,
    api_calls: t.api_calls,
    mau: t.monthly_active_users,
    seats: t.seats,
    storage_mb: Math.round(((t.item_bytes + t.attachment_bytes) / 2 ** 20) * 10) / 10,
  }));
}

/** Provider: the n tenants with the most API calls this month. */
export function topTenants(u: S['RootUsage'], n = 10) {
  return [...u.tenants]
    .sort((a, b) => b.api_calls.used - a.api_calls.used || a.name.localeCompare(b.name))
    .slice(0, n)
    .map((t) => ({ tenant: t.name, api_calls: t.api_calls.used, quota: t.api_calls.limit }));
}

/** Overall churn of the month: churned over subscribers at its start (0 without subscribers). */
export function churnRate(f: S['Figures']): number {
  const start = f.tiers.reduce((s, t) => s + t.subscribers_at_start, 0);
  const churned = f.tiers.reduce((s, t) => s + t.churned, 0);
  return start ? churned / start : 0;
}

const hours = (seconds: number) => Math.round((seconds / 3600) * 10) / 10;

/** Tenant: created, resolved and backlog per bucket, with the p50 lead and cycle times in hours. */
export function issueSeries(r: S['AnalyticsReport']) {
  return r.buckets.map((b) => ({
    period: b.start.slice(0, 10),
    created: b.created,
    resolved: b.resolved,
    backlog: b.backlog,
    lead_p50_h: hours(b.lead_time.p50),
    cycle_p50_h: hours(b.cycle_time.p50),
  }));
}

/** Tenant: open and in-progress issues per group, names resolved (unknown ids stay as they are). */
export function workloadRows(w: S['Workload'], name: (key: string) => string = (k) => k) {
  return w.items.map((i) => ({ group: name(i.key), open: i.open, in_progress: i.in_progress }));
}

export function velocityRows(v: S['Velocity']) {
  return v.weeks.map((w) => ({ week: w.start.slice(0, 10), resolved: w.resolved }));
}

export function userRows(p: S['UserPerformance']) {
  return p.buckets.map((b) => ({
    period: b.start.slice(0, 10),
    completed: b.completed,
    first_responses: b.first_responses,
  }));
}

/** Tenant: API calls and active users per day of the month. */
export function dailyUsage(r: S['Report']) {
  return r.days.map((d) => ({ day: d.date.slice(5), calls: d.calls, active_users: d.active_users }));
}

/** A readable duration for the percentiles the API gives in seconds. */
export function duration(seconds: number): string {
  if (!seconds) return '—';
  const m = seconds / 60;
  if (m < 60) return `${Math.max(1, Math.round(m))} min`;
  const h = m / 60;
  if (h < 48) return `${Math.round(h * 10) / 10} h`;
  return `${Math.round((h / 24) * 10) / 10} d`;
}
