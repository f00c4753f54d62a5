// The provider console's tenants table. Search, sort and paging are the
// API's (GET /v1/admin/tenants?q=&sort=&status=&cursor=): this module only
// shapes its rows and reads and writes the sort of the URL.
import type { components } from '../api/schema';

type TenantView = components['schemas']['TenantView'];

export interface TenantRow {
  id: string;
  name: string;
  status: TenantView['status'];
  tier: string;
  isolation: string;
  users: number;
  /** The tier's seat limit; 0 is unlimited. */
  seats: number;
  apiCalls: number;
  apiQuota: number;
  storage: number;
  storageLimit: number;
  /** What the tenant's subscription bills a month while paying (the billing account's amount). */
  mrrCents: number;
  createdAt: string;
}

/** The orders the API sorts by (tenant.Orders). */
export const SORT_KEYS = ['name', 'created', 'tier', 'status', 'users', 'mrr'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export function tenantRows(tenants: TenantView[]): TenantRow[] {
  return tenants.map((v) => ({
    id: v.id,
    name: v.name || v.id,
    status: v.status,
    tier: v.tier,
    isolation: v.isolation ?? '',
    users: v.usage.users ?? 0,
    seats: v.usage.max_users,
    apiCalls: v.usage.requests_this_month,
    apiQuota: v.usage.monthly_quota,
    storage: v.usage.storage_bytes ?? 0,
    storageLimit: v.usage.storage_limit,
    mrrCents: v.mrr_cents ?? 0,
    createdAt: v.created_at,
  }));
}

export function parseSort(s: string | null): { key: SortKey; dir: 'asc' | 'desc' } {
  const desc = !!s?.startsWith('-');
  const k = (desc ? s!.slice(1) : s) as SortKey;
  return SORT_KEYS.includes(k) ? { key: k, dir: desc ? 'desc' : 'asc' } : { key: 'created', dir: 'desc' };
}

export function formatSort(key: SortKey, dir: 'asc' | 'desc'): string {
  return dir === 'desc' ? `-${key}` : key;
}

/** The next sort when a column header is clicked: a new column starts ascending, the same one flips. */
export function nextSort(cur: { key: SortKey; dir: 'asc' | 'desc' }, key: SortKey): string {
  return formatSort(key, cur.key === key && cur.dir === 'asc' ? 'desc' : 'asc');
}
