// The provider console's tenants table: a page of tenants joined with the
// month's usage and the tier catalog, then searched and sorted.
import type { components } from '../api/schema';

type TenantView = components['schemas']['TenantView'];
type TenantUsage = components['schemas']['TenantUsage'];
type Tier = components['schemas']['Tier'];

export interface TenantRow {
  id: string;
  name: string;
  status: TenantView['status'];
  tier: string;
  isolation: string;
  users: number;
  seats: number;
  apiCalls: number;
  apiQuota: number;
  storage: number;
  storageLimit: number;
  /** The tier's list price while the tenant is active: the admin API has no per-tenant subscription amount. */
  priceCents: number;
  createdAt: string;
}

export const SORT_KEYS = ['name', 'status', 'tier', 'users', 'api', 'storage', 'price', 'created'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export function tenantRows(tenants: TenantView[], usage: TenantUsage[], tiers: Tier[]): TenantRow[] {
  const u = new Map(usage.map((x) => [x.tenant_id, x]));
  const t = new Map(tiers.map((x) => [x.name, x]));
  return tenants.map((v) => {
    const use = u.get(v.id);
    const tier = t.get(v.tier);
    return {
      id: v.id,
      name: v.name || v.id,
      status: v.status,
      tier: v.tier,
      isolation: tier?.isolation ?? '',
      users: use?.seats.used ?? v.usage.users ?? 0,
      seats: use?.seats.limit ?? v.usage.max_users,
      apiCalls: use?.api_calls.used ?? v.usage.requests_this_month,
      apiQuota: use?.api_calls.limit ?? v.usage.monthly_quota,
      storage: use?.storage.used ?? 0,
      storageLimit: use?.storage.limit ?? tier?.storage_bytes ?? 0,
      priceCents: v.status === 'active' ? (tier?.price_usd ?? 0) * 100 : 0,
      createdAt: v.created_at,
    };
  });
}

/** Rows whose name or id contains every word of q (case-insensitive). */
export function searchRows(rows: TenantRow[], q: string): TenantRow[] {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return rows;
  return rows.filter((r) => {
    const hay = `${r.name} ${r.id}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

const TIER_ORDER = ['basic', 'standard', 'premium', 'platinum'];

function value(r: TenantRow, k: SortKey): string | number {
  switch (k) {
    case 'name':
      return r.name.toLowerCase();
    case 'status':
      return r.status;
    case 'tier':
      return TIER_ORDER.indexOf(r.tier);
    case 'users':
      return r.users;
    case 'api':
      return r.apiCalls;
    case 'storage':
      return r.storage;
    case 'price':
      return r.priceCents;
    case 'created':
      return r.createdAt;
  }
}

/** A stable sort by one column; ties keep the name order. */
export function sortRows(rows: TenantRow[], key: SortKey, dir: 'asc' | 'desc'): TenantRow[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = value(a, key);
    const y = value(b, key);
    if (x < y) return -sign;
    if (x > y) return sign;
    return a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
  });
}

export function parseSort(s: string | null): { key: SortKey; dir: 'asc' | 'desc' } {
  const desc = !!s?.startsWith('-');
  const k = (desc ? s!.slice(1) : s) as SortKey;
  return SORT_KEYS.includes(k) ? { key: k, dir: desc ? 'desc' : 'asc' } : { key: 'created', dir: 'desc' };
}

export function formatSort(key: SortKey, dir: 'asc' | 'desc'): string {
  return dir === 'desc' ? `-${key}` : key;
}
