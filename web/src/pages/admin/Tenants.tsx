import { Building2, ChevronRight, Search } from 'lucide-react';
import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import {
  Gauge,
  PageHeader,
  rowClass,
  SortHeader,
  StatusBadge,
  tableClass,
  theadClass,
} from '../../components/page';
import { Button, EmptyState, ErrorState, inputClass, Skeleton } from '../../components/ui';
import { usePendingSearch, usePendingTimer } from '../../lib/pendingSearch';
import { nextSort, parseSort, tenantRows, type SortKey } from '../../lib/tenants';
import { formatBytes, formatCents, STATUSES, statusLabel, useTenantPage } from './data';

const PAGE = 50;

/** Every tenant: status, tier, isolation, users/seats, API calls, storage, MRR. Search (a name or id
 * prefix), sort, the status filter and paging are the API's, all in the URL. A search lists matches by
 * name and id, so it clears the sort, and a sort clears the search. */
export default function Tenants() {
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const cursor = params.get('cursor') ?? undefined;
  const q = params.get('q') ?? '';
  const sort = parseSort(params.get('sort'));
  const page = useTenantPage({ status, q, sort: params.get('sort') ?? undefined, cursor, limit: PAGE });
  // The search box types freely; the URL (and the API) follow 250 ms after the last key.
  const [typed, setTyped] = useState(q);
  const [shownQ, setShownQ] = useState(q);
  if (shownQ !== q) {
    // the URL changed under the box (back button, a sort click): show its search
    setShownQ(q);
    setTyped(q);
  }

  const pending = usePendingTimer();
  const set = (changes: Record<string, string | undefined>) =>
    setParams(
      (p) => {
        const n = new URLSearchParams(p);
        for (const [k, v] of Object.entries(changes)) {
          if (v) n.set(k, v);
          else n.delete(k);
        }
        return n;
      },
      { replace: 'q' in changes },
    );

  // The pending search (usePendingSearch), cancelled by a sort click at once. A search replaces the
  // sort; clearing the search leaves the sort alone.
  usePendingSearch(pending, typed.trim(), q, (next) =>
    set(next ? { q: next, sort: undefined, cursor: undefined } : { q: undefined, cursor: undefined }),
  );

  const rows = useMemo(() => tenantRows(page.data?.items ?? []), [page.data]);

  const onSort = (k: SortKey) => {
    pending.cancel();
    set({ sort: nextSort(sort, k), q: undefined, cursor: undefined });
  };
  const head = (label: string, k: SortKey, className?: string) => (
    <SortHeader
      label={label}
      active={!q && sort.key === k}
      dir={sort.dir}
      onSort={() => onSort(k)}
      className={className}
    />
  );
  const plain = (label: string, className?: string) => (
    <th scope="col" className={`px-3 py-2 font-medium ${className ?? ''}`}>
      {label}
    </th>
  );

  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={<span id="page-title">Tenants</span>}
        description="Every workspace on the platform, with this month's usage."
      />
      <div className="flex flex-wrap items-center gap-2 px-4 py-3 sm:px-6">
        <div className="relative w-full max-w-xs">
          <Search className="absolute top-2 left-2 size-4 text-faint" aria-hidden />
          <input
            type="search"
            aria-label="Search tenants"
            placeholder="Name or id starts with…"
            className={`${inputClass} pl-8`}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
          />
        </div>
        <label className="flex items-center gap-2 text-xs text-muted">
          Status
          <select
            className={`${inputClass} w-auto`}
            value={status}
            onChange={(e) => set({ status: e.target.value || undefined, cursor: undefined })}
          >
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <span className="flex-1" />
        {cursor && (
          <Button size="sm" onClick={() => set({ cursor: undefined })}>
            First page
          </Button>
        )}
        {page.data?.next_cursor && (
          <Button size="sm" onClick={() => set({ cursor: page.data?.next_cursor })}>
            Next page
          </Button>
        )}
      </div>
      {page.isPending ? (
        <Skeleton />
      ) : page.isError ? (
        <ErrorState error={page.error} onRetry={() => void page.refetch()} />
      ) : rows.length === 0 ? (
        <EmptyState icon={<Building2 className="size-6" />} title="No tenants match">
          {q || status ? 'Change the search or the status filter.' : 'No company has signed up yet.'}
        </EmptyState>
      ) : (
        <div className="overflow-x-auto px-4 pb-6 sm:px-6">
          <table className={tableClass} aria-label="Tenants">
            <thead className={theadClass}>
              <tr>
                {head('Tenant', 'name')}
                {head('Status', 'status')}
                {head('Tier', 'tier')}
                {plain('Isolation')}
                {head('Users', 'users', 'text-right')}
                {plain('API calls', 'min-w-40')}
                {plain('Storage', 'min-w-36')}
                {head('MRR', 'mrr', 'text-right')}
                {head('Created', 'created')}
                <th scope="col" className="w-6">
                  <span className="sr-only">Open</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} className={`${rowClass} hover:bg-panel`} data-testid="tenant-row">
                  <td className="px-3 py-2">
                    <Link to={`/admin/tenants/${r.id}`} className="font-medium hover:underline">
                      {r.name}
                    </Link>
                    <div className="font-mono text-2xs text-muted">{r.id}</div>
                  </td>
                  <td className="px-3 py-2">
                    <StatusBadge status={r.status} />
                  </td>
                  <td className="px-3 py-2 capitalize">{r.tier}</td>
                  <td className="px-3 py-2 text-muted">{r.isolation}</td>
                  <td className="px-3 py-2 text-right tabular-nums">
                    {r.users}
                    <span className="text-muted"> / {r.seats || '∞'}</span>
                  </td>
                  <td className="px-3 py-2">
                    <Gauge label={`API calls of ${r.name}`} used={r.apiCalls} limit={r.apiQuota} compact />
                  </td>
                  <td className="px-3 py-2">
                    <Gauge
                      label={`Storage of ${r.name}`}
                      used={r.storage}
                      limit={r.storageLimit}
                      format={formatBytes}
                      compact
                    />
                  </td>
                  <td className="px-3 py-2 text-right tabular-nums">
                    {r.mrrCents ? formatCents(r.mrrCents) : '—'}
                  </td>
                  <td className="px-3 py-2 whitespace-nowrap text-muted">
                    {new Date(r.createdAt).toLocaleDateString('en-GB')}
                  </td>
                  <td className="pr-2">
                    <ChevronRight className="size-4 text-faint" aria-hidden />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="mt-3 text-xs text-muted">
            {q
              ? 'Tenants whose name or id starts with the search, in name and id order.'
              : 'Sorted and paged by the server over every tenant.'}{' '}
            MRR is what a tenant's subscription bills a month while it pays; users are refreshed hourly.
          </p>
        </div>
      )}
    </main>
  );
}
