// Server state of the provider console. Every key starts with ['admin'], so
// Root's cache never mixes with a workspace's (['w', slug, ...]).
import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type components } from '../../api/client';

export { formatBytes, formatCents } from '../../lib/format';

export type TenantView = components['schemas']['TenantView'];
export type TenantUsage = components['schemas']['TenantUsage'];
export type RootUsage = components['schemas']['RootUsage'];
export type Figures = components['schemas']['Figures'];
export type Tier = components['schemas']['Tier'];
export type AuditRecord = components['schemas']['Record'];
export type LifecycleView = components['schemas']['LifecycleView'];
export type TenantStatus = TenantView['status'];

export const adminKeys = {
  all: ['admin'] as const,
  me: ['admin', 'me'] as const,
  tiers: ['admin', 'tiers'] as const,
  tenants: ['admin', 'tenants'] as const,
  tenantList: (q: TenantQuery) => ['admin', 'tenants', 'list', q] as const,
  tenant: (id: string) => ['admin', 'tenants', 'one', id] as const,
  tenantUsers: (id: string) => ['admin', 'tenants', 'one', id, 'users'] as const,
  support: (id: string) => ['admin', 'tenants', 'one', id, 'support'] as const,
  audit: (id: string) => ['admin', 'tenants', 'one', id, 'audit'] as const,
  usage: (month?: string) => ['admin', 'usage', month ?? 'current'] as const,
  billing: ['admin', 'billing'] as const,
  health: ['admin', 'health'] as const,
  settings: ['admin', 'settings'] as const,
};

export const STATUSES: TenantStatus[] = [
  'pending_verification',
  'pending_approval',
  'pending_payment',
  'registered',
  'provisioning',
  'active',
  'failed',
  'suspended',
  'offboarding',
  'deleted',
];

export function useRootMe(enabled = true) {
  return useQuery({
    queryKey: adminKeys.me,
    queryFn: () => unwrap(api().GET('/v1/admin/me')),
    enabled,
    staleTime: 5 * 60_000,
  });
}

export function useTiers() {
  return useQuery({
    queryKey: adminKeys.tiers,
    queryFn: async () => (await unwrap(api().GET('/v1/tiers'))).tiers,
    staleTime: Infinity,
  });
}

/** Every tenant's usage this month (one call for the whole registry), by tenant id. */
export function useRootUsage(month?: string) {
  return useQuery({
    queryKey: adminKeys.usage(month),
    queryFn: () => unwrap(api().GET('/v1/admin/usage', { params: { query: { month } } })),
    staleTime: 30_000,
  });
}

export function useRootBilling() {
  return useQuery({
    queryKey: adminKeys.billing,
    queryFn: () => unwrap(api().GET('/v1/admin/billing')),
    staleTime: 30_000,
  });
}

/** A page of the tenants table: the API searches (q), sorts and pages. */
export interface TenantQuery {
  status?: string;
  q?: string;
  sort?: string;
  cursor?: string;
  limit: number;
}

export function useTenantPage(q: TenantQuery) {
  return useQuery({
    queryKey: adminKeys.tenantList(q),
    queryFn: () =>
      unwrap(
        api().GET('/v1/admin/tenants', {
          params: {
            query: {
              status: (q.status || undefined) as TenantStatus | undefined,
              q: q.q || undefined,
              sort: (q.q ? undefined : q.sort) as never,
              cursor: q.cursor,
              limit: q.limit,
            },
          },
        }),
      ),
    placeholderData: (prev) => prev,
  });
}

/** A tenant with its lifecycle; polled every 2 s while onboarding or offboarding runs. */
export function useTenant(id: string) {
  return useQuery({
    queryKey: adminKeys.tenant(id),
    queryFn: () => unwrap(api().GET('/v1/admin/tenants/{tenantId}', { params: { path: { tenantId: id } } })),
    refetchInterval: (q) => (running(q.state.data) ? 2_000 : false),
  });
}

/** Whether a lifecycle (onboarding, offboarding) is under way and worth watching. */
export function running(t: TenantView | undefined): boolean {
  if (!t) return false;
  if (['registered', 'provisioning', 'offboarding'].includes(t.status)) return true;
  return !!t.lifecycle && !t.lifecycle.finished && !t.lifecycle.error;
}

export function statusLabel(s: string): string {
  return s.replace(/_/g, ' ');
}
