import type { components } from '../api/schema';
import { formatSort, nextSort, parseSort, tenantRows } from './tenants';

type TenantView = components['schemas']['TenantView'];

const view = (id: string, name: string, extra: Partial<TenantView> = {}): TenantView => ({
  id,
  name,
  tier: 'standard',
  status: 'active',
  table: 'app',
  branding: {},
  created_at: '2026-01-02T00:00:00Z',
  updated_at: '2026-01-02T00:00:00Z',
  version: 1,
  usage: {
    requests_this_month: 7,
    monthly_quota: 100,
    max_users: 10,
    rate_limit: 1,
    burst: 2,
    storage_limit: 1000,
  },
  ...extra,
});

describe('tenantRows', () => {
  it('takes every figure from the API row: users, storage, MRR and isolation', () => {
    const [r] = tenantRows([
      view('acme', 'Acme', {
        isolation: 'pooled',
        mrr_cents: 4900,
        usage: {
          requests_this_month: 300,
          monthly_quota: 500,
          users: 3,
          max_users: 50,
          rate_limit: 1,
          burst: 2,
          storage_bytes: 512,
          storage_limit: 1024,
        },
      }),
    ]);
    expect(r).toMatchObject({
      id: 'acme',
      isolation: 'pooled',
      apiCalls: 300,
      apiQuota: 500,
      users: 3,
      seats: 50,
      storage: 512,
      storageLimit: 1024,
      mrrCents: 4900,
    });
  });

  it('reads absent figures as zero and names a tenant without a name by its id', () => {
    const [r] = tenantRows([view('hooli', '')]);
    expect(r).toMatchObject({ name: 'hooli', users: 0, storage: 0, mrrCents: 0, isolation: '' });
  });
});

describe('the sort of the URL', () => {
  it('reads the orders the API knows, defaulting to the newest first', () => {
    expect(parseSort('-mrr')).toEqual({ key: 'mrr', dir: 'desc' });
    expect(parseSort('name')).toEqual({ key: 'name', dir: 'asc' });
    expect(parseSort('api'), 'not an order of the API').toEqual({ key: 'created', dir: 'desc' });
    expect(parseSort('drop table')).toEqual({ key: 'created', dir: 'desc' });
    expect(parseSort(null)).toEqual({ key: 'created', dir: 'desc' });
    expect(formatSort('users', 'desc')).toBe('-users');
  });

  it('starts a new column ascending and flips the same one', () => {
    expect(nextSort({ key: 'created', dir: 'desc' }, 'name')).toBe('name');
    expect(nextSort({ key: 'name', dir: 'asc' }, 'name')).toBe('-name');
    expect(nextSort({ key: 'name', dir: 'desc' }, 'name')).toBe('name');
  });
});
