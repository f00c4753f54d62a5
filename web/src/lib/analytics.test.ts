import type { components } from '../api/schema';
import {
  churnRate,
  dailyUsage,
  duration,
  issueSeries,
  mrrHistory,
  tierRevenue,
  tierUsage,
  topTenants,
  workloadRows,
} from './analytics';

type S = components['schemas'];
const pct = (p50: number) => ({ count: 1, p50, p85: p50, p95: p50 });
const metrics = (tier: string, mrr: number, subs: number, start: number, churned: number) => ({
  tier,
  mrr_cents: mrr,
  subscribers: subs,
  subscribers_at_start: start,
  churned,
  churn_rate: start ? churned / start : 0,
  new: 1,
});

describe('provider analytics', () => {
  const figures: S['Figures'] = {
    month: '2026-11',
    currency: 'usd',
    mrr_cents: 24_800,
    tiers: [metrics('premium', 19_900, 1, 2, 1), metrics('standard', 4_900, 1, 0, 0)],
    closes: [
      { month: '2026-10', closed_at: '2026-11-01T00:00:00Z', currency: 'usd', mrr_cents: 39_800, tiers: [] },
      { month: '2026-09', closed_at: '2026-10-01T00:00:00Z', currency: 'usd', mrr_cents: 4_900, tiers: [] },
    ],
  };

  it('gives revenue per tier in catalog order, in dollars, churn as a percentage', () => {
    expect(tierRevenue(figures)).toEqual([
      { tier: 'standard', mrr: 49, subscribers: 1, new: 1, churned: 0, churn_pct: 0 },
      { tier: 'premium', mrr: 199, subscribers: 1, new: 1, churned: 1, churn_pct: 50 },
    ]);
  });

  it('puts the closed months before the current one, oldest first', () => {
    expect(mrrHistory(figures)).toEqual([
      { month: '2026-09', mrr: 49 },
      { month: '2026-10', mrr: 398 },
      { month: '2026-11', mrr: 248 },
    ]);
  });

  it('computes the month churn over every tier, and none without subscribers', () => {
    expect(churnRate(figures)).toBe(0.5);
    expect(churnRate({ ...figures, tiers: [] })).toBe(0);
  });

  const gauge = (used: number, limit: number) => ({ used, limit, percent: 0, level: 'ok' });
  const tenant = (id: string, calls: number): S['TenantUsage'] => ({
    tenant_id: id,
    name: id,
    tier: 'basic',
    status: 'active',
    api_calls: gauge(calls, 1000),
    seats: gauge(1, 10),
    storage: gauge(0, 1),
    monthly_active_users: 1,
    warnings: [],
  });
  const usage: S['RootUsage'] = {
    month: '2026-11',
    totals: [
      {
        tier: 'standard',
        tenants: 2,
        api_calls: 10,
        monthly_active_users: 3,
        item_bytes: 1_048_576,
        attachment_bytes: 524_288,
        seats: 4,
      },
      {
        tier: 'basic',
        tenants: 1,
        api_calls: 5,
        monthly_active_users: 1,
        item_bytes: 0,
        attachment_bytes: 0,
        seats: 1,
      },
    ],
    tenants: [tenant('b', 5), tenant('a', 5), tenant('c', 90)],
  };

  it('sums storage per tier in MB and orders tiers', () => {
    expect(tierUsage(usage)).toEqual([
      { tier: 'basic', tenants: 1, api_calls: 5, mau: 1, seats: 1, storage_mb: 0 },
      { tier: 'standard', tenants: 2, api_calls: 10, mau: 3, seats: 4, storage_mb: 1.5 },
    ]);
  });

  it('ranks tenants by API calls, ties by name, at most n', () => {
    expect(topTenants(usage, 2)).toEqual([
      { tenant: 'c', api_calls: 90, quota: 1000 },
      { tenant: 'a', api_calls: 5, quota: 1000 },
    ]);
  });
});

describe('tenant analytics', () => {
  it('flattens buckets with their p50 lead and cycle times in hours', () => {
    const r: S['AnalyticsReport'] = {
      time_zone: 'UTC',
      from: '2026-11-01',
      to: '2026-11-07',
      bucket: 'week',
      scope: 'all',
      buckets: [
        {
          start: '2026-11-01',
          end: '2026-11-07',
          created: 4,
          resolved: 2,
          backlog: 9,
          lead_time: pct(5400),
          cycle_time: pct(1800),
        },
      ],
      totals: {} as S['Totals'],
    };
    expect(issueSeries(r)).toEqual([
      { period: '2026-11-01', created: 4, resolved: 2, backlog: 9, lead_p50_h: 1.5, cycle_p50_h: 0.5 },
    ]);
  });

  it('names workload groups with the directory', () => {
    const w: S['Workload'] = {
      group_by: 'team',
      total: { key: 'all', open: 3, in_progress: 1 },
      items: [{ key: 't1', open: 3, in_progress: 1 }],
    };
    expect(workloadRows(w, (k) => (k === 't1' ? 'Platform' : k))).toEqual([
      { group: 'Platform', open: 3, in_progress: 1 },
    ]);
  });

  it('shortens usage days to month-day', () => {
    const r = { days: [{ date: '2026-11-03', calls: 12, active_users: 2 }] } as S['Report'];
    expect(dailyUsage(r)).toEqual([{ day: '11-03', calls: 12, active_users: 2 }]);
  });

  it('reads seconds as minutes, hours or days', () => {
    expect(duration(0)).toBe('—');
    expect(duration(20)).toBe('1 min');
    expect(duration(45 * 60)).toBe('45 min');
    expect(duration(5400)).toBe('1.5 h');
    expect(duration(3 * 86400)).toBe('3 d');
  });
});
