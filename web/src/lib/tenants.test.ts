import type { components } from '../api/schema';
import { formatSort, parseSort, searchRows, sortRows, tenantRows } from './tenants';

type TenantView = components['schemas']['TenantView'];
type TenantUsage = components['schemas']['TenantUsage'];
type Tier = components['schemas']['Tier'];

const view = (id: string, name: string, tier: string, status: TenantView['status'], created: string) =>
  ({
    id,
    name,
    tier,
    status,
    table: 'app',
    branding: {},
    created_at: created,
    updated_at: created,
    version: 1,
    usage: { requests_this_month: 7, monthly_quota: 100, max_users: 10, rate_limit: 1, burst: 2 },
  }) satisfies TenantView;

const gauge = (used: number, limit: number) => ({ used, limit, percent: 0, level: 'ok' });
const usage = (id: string, calls: number, seats: number, storage: number): TenantUsage => ({
  tenant_id: id,
  name: id,
  tier: 'standard',
  status: 'active',
  api_calls: gauge(calls, 500),
  seats: gauge(seats, 50),
  storage: gauge(storage, 1000),
  monthly_active_users: 1,
  warnings: [],
});
const tier = (name: string, price: number, isolation = 'pooled'): Tier => ({
  name,
  display_name: name,
  isolation,
  rate_limit: 1,
  burst: 1,
  monthly_quota: 1,
  max_users: 1,
  max_projects: 1,
  storage_bytes: 1,
  max_file_bytes: 1,
  features: [],
  price_usd: price,
});

const tiers = [tier('basic', 0), tier('standard', 49), tier('premium', 199), tier('platinum', 999, 'silo')];
const views = [
  view('acme', 'Acme Corp', 'standard', 'active', '2026-01-02T00:00:00Z'),
  view('globex', 'Globex', 'basic', 'active', '2026-03-01T00:00:00Z'),
  view('initech', 'Initech', 'platinum', 'suspended', '2026-02-01T00:00:00Z'),
  view('hooli', '', 'premium', 'pending_payment', '2026-04-01T00:00:00Z'),
];

describe('tenantRows', () => {
  const rows = tenantRows(views, [usage('acme', 300, 3, 512), usage('globex', 20, 1, 0)], tiers);

  it('joins the month usage by tenant id and falls back to the view without it', () => {
    expect(rows[0]).toMatchObject({
      id: 'acme',
      apiCalls: 300,
      apiQuota: 500,
      users: 3,
      seats: 50,
      storage: 512,
    });
    expect(rows[2]).toMatchObject({ id: 'initech', apiCalls: 7, apiQuota: 100, users: 0, seats: 10 });
  });

  it('takes the isolation from the tier catalog and prices only active paid tenants', () => {
    expect(rows.map((r) => [r.id, r.isolation, r.priceCents])).toEqual([
      ['acme', 'pooled', 4900],
      ['globex', 'pooled', 0],
      ['initech', 'silo', 0],
      ['hooli', 'pooled', 0],
    ]);
  });

  it('names a tenant without a name (a deleted tombstone) by its id', () => {
    expect(rows[3]!.name).toBe('hooli');
  });
});

describe('searchRows and sortRows', () => {
  const rows = tenantRows(views, [usage('acme', 300, 3, 512), usage('globex', 20, 1, 0)], tiers);

  it('matches every word against the name and the id, ignoring case', () => {
    expect(searchRows(rows, 'ACME').map((r) => r.id)).toEqual(['acme']);
    expect(searchRows(rows, 'corp acme').map((r) => r.id)).toEqual(['acme']);
    expect(searchRows(rows, 'corp globex')).toEqual([]);
    expect(searchRows(rows, '  ')).toHaveLength(4);
  });

  it('sorts by a column either way, tiers in catalog order', () => {
    expect(sortRows(rows, 'api', 'desc').map((r) => r.id)).toEqual(['acme', 'globex', 'hooli', 'initech']);
    expect(sortRows(rows, 'tier', 'asc').map((r) => r.tier)).toEqual([
      'basic',
      'standard',
      'premium',
      'platinum',
    ]);
    expect(sortRows(rows, 'created', 'asc').map((r) => r.id)).toEqual(['acme', 'initech', 'globex', 'hooli']);
    // ties keep the name order
    expect(sortRows(rows, 'price', 'asc').map((r) => r.id)).toEqual(['globex', 'hooli', 'initech', 'acme']);
  });

  it('reads and writes the sort of the URL, defaulting to the newest first', () => {
    expect(parseSort('-api')).toEqual({ key: 'api', dir: 'desc' });
    expect(parseSort('name')).toEqual({ key: 'name', dir: 'asc' });
    expect(parseSort('drop table')).toEqual({ key: 'created', dir: 'desc' });
    expect(parseSort(null)).toEqual({ key: 'created', dir: 'desc' });
    expect(formatSort('users', 'desc')).toBe('-users');
  });
});
