import { TableHead } from '../../components/CatalogPage';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ArrowLeft, Check, Circle, Loader2, XCircle } from 'lucide-react';
import { useRef, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { AuditTable } from '../../components/AuditLog';
import { Modal } from '../../components/Modal';
import { Badge, Card, Gauge, PageHeader, rowClass, StatusBadge, tableClass } from '../../components/page';
import {
  Banner,
  Button,
  ErrorState,
  Field,
  Input,
  inputClass,
  scrollable,
  Skeleton,
  Spinner,
} from '../../components/ui';
import { NotFoundPage } from '../NotFound';
import {
  adminKeys,
  formatBytes,
  running,
  useRootUsage,
  useTenant,
  useTiers,
  type LifecycleView,
  type TenantView,
} from './data';

/** One tenant: lifecycle (live while it runs), usage, support access, users, audit log and Root's actions. */
export default function TenantPage() {
  const { id = '' } = useParams();
  const t = useTenant(id);
  if (t.isPending) return <Skeleton />;
  if (t.isError)
    return isApiError(t.error, 404) ? (
      <NotFoundPage />
    ) : (
      <ErrorState error={t.error} onRetry={() => void t.refetch()} />
    );
  return <Detail t={t.data} />;
}

function Detail({ t }: { t: TenantView }) {
  const tiers = useTiers();
  const tier = tiers.data?.find((x) => x.name === t.tier);
  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={
          <span className="flex flex-wrap items-center gap-2">
            <Link to="/admin/tenants" aria-label="Back to tenants" className="text-muted hover:text-ink">
              <ArrowLeft className="size-4" aria-hidden />
            </Link>
            <span id="page-title">{t.name}</span>
            <StatusBadge status={t.status} />
          </span>
        }
        description={
          <span className="flex flex-wrap gap-x-3">
            <span className="font-mono">{t.id}</span>
            <span className="capitalize">{t.tier}</span>
            {tier && <span>{tier.isolation} isolation</span>}
            <span>since {new Date(t.created_at).toLocaleDateString('en-GB')}</span>
          </span>
        }
        actions={<Actions t={t} />}
      />
      {t.status_reason && (
        <div className="px-4 pt-4 sm:px-6">
          <Banner tone={t.status === 'suspended' || t.status === 'failed' ? 'warn' : 'info'}>
            {t.status_reason}
          </Banner>
        </div>
      )}
      <div className="grid gap-4 p-4 sm:px-6 lg:grid-cols-2">
        <Lifecycle t={t} />
        <Usage t={t} />
        {t.status === 'deleted' ? (
          <p className="text-sm text-muted lg:col-span-2">
            The tenant's data is deleted; its users and settings are gone. The audit log and the export
            archive remain.
          </p>
        ) : (
          <>
            <SupportAccess id={t.id} />
            <Users id={t.id} />
          </>
        )}
        <Audit id={t.id} />
      </div>
    </main>
  );
}

function useTenantAction<T, V = void>(t: TenantView, fn: (v: V) => Promise<T>, done?: () => void) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: async () => {
      done?.();
      await qc.invalidateQueries({ queryKey: adminKeys.tenant(t.id) });
      await qc.invalidateQueries({ queryKey: adminKeys.tenants });
    },
  });
}

function Actions({ t }: { t: TenantView }) {
  const [open, setOpen] = useState<'suspend' | 'tier' | 'offboard' | null>(null);
  const key = useRef(crypto.randomUUID());
  const idem = () => ({ 'Idempotency-Key': key.current });
  const fresh = () => (key.current = crypto.randomUUID());
  const path = { tenantId: t.id };
  const approve = useTenantAction(
    t,
    () => unwrap(api().POST('/v1/admin/tenants/{tenantId}/approve', { params: { path, header: idem() } })),
    fresh,
  );
  const reactivate = useTenantAction(
    t,
    () => unwrap(api().POST('/v1/admin/tenants/{tenantId}/reactivate', { params: { path, header: idem() } })),
    fresh,
  );
  const retry = useTenantAction(
    t,
    () =>
      unwrap(
        api().POST('/v1/admin/tenants/{tenantId}/lifecycle/retry', { params: { path, header: idem() } }),
      ),
    fresh,
  );
  const failed = !!t.lifecycle?.error || t.status === 'failed';
  const err = approve.error ?? reactivate.error ?? retry.error;
  return (
    <>
      {t.status === 'pending_approval' && (
        <Button variant="primary" busy={approve.isPending} onClick={() => approve.mutate()}>
          Approve
        </Button>
      )}
      {t.status === 'active' && <Button onClick={() => setOpen('suspend')}>Suspend</Button>}
      {t.status === 'suspended' && (
        <Button busy={reactivate.isPending} onClick={() => reactivate.mutate()}>
          Reactivate
        </Button>
      )}
      {(t.status === 'active' || t.status === 'suspended') && (
        <Button onClick={() => setOpen('tier')}>Change tier</Button>
      )}
      {failed && (
        <Button busy={retry.isPending} onClick={() => retry.mutate()}>
          Retry {t.lifecycle?.phase ?? 'onboarding'}
        </Button>
      )}
      {t.status !== 'deleted' && t.status !== 'offboarding' && (
        <Button variant="danger" onClick={() => setOpen('offboard')}>
          Offboard
        </Button>
      )}
      {err && (
        <p role="alert" className="w-full text-xs text-red-700">
          {errorMessage(err)}
        </p>
      )}
      <SuspendDialog t={t} open={open === 'suspend'} onClose={() => setOpen(null)} />
      <TierDialog t={t} open={open === 'tier'} onClose={() => setOpen(null)} />
      <OffboardDialog t={t} open={open === 'offboard'} onClose={() => setOpen(null)} />
    </>
  );
}

function SuspendDialog({ t, open, onClose }: { t: TenantView; open: boolean; onClose: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const m = useTenantAction(
    t,
    () =>
      unwrap(
        api().POST('/v1/admin/tenants/{tenantId}/suspend', {
          params: { path: { tenantId: t.id } },
          body: { reason: reason.trim() },
        }),
      ),
    onClose,
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) return setError('Say why: the tenant sees it.');
    setError(undefined);
    m.mutate();
  };
  return (
    <Modal
      open={open}
      onOpenChange={(o) => !o && onClose()}
      title={`Suspend ${t.name}`}
      description="Every token of the tenant is refused within seconds; its data is kept."
    >
      <form onSubmit={submit} className="space-y-4 p-4" noValidate>
        {m.isError && <Banner tone="error">{errorMessage(m.error)}</Banner>}
        <Field label="Reason" error={error}>
          {(p) => <Input {...p} value={reason} onChange={(e) => setReason(e.target.value)} autoFocus />}
        </Field>
        <div className="flex justify-end gap-2">
          <Button type="button" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" variant="danger" busy={m.isPending}>
            Suspend tenant
          </Button>
        </div>
      </form>
    </Modal>
  );
}

function TierDialog({ t, open, onClose }: { t: TenantView; open: boolean; onClose: () => void }) {
  const tiers = useTiers();
  const pooled = (tiers.data ?? []).filter((x) => x.isolation === 'pooled');
  const [tier, setTier] = useState('');
  const m = useTenantAction(
    t,
    (to: string) =>
      unwrap(
        api().PUT('/v1/admin/tenants/{tenantId}/tier', {
          params: { path: { tenantId: t.id } },
          body: { tier: to },
        }),
      ),
    onClose,
  );
  const choice = tier || pooled.find((x) => x.name !== t.tier)?.name || '';
  return (
    <Modal
      open={open}
      onOpenChange={(o) => !o && onClose()}
      title={`Change the tier of ${t.name}`}
      description="Between pooled tiers; the tenant's limits change at once. A move to or from Platinum needs a migration."
    >
      <form
        className="space-y-4 p-4"
        onSubmit={(e) => {
          e.preventDefault();
          m.mutate(choice);
        }}
      >
        {m.isError && <Banner tone="error">{errorMessage(m.error)}</Banner>}
        <Field label="New tier">
          {(p) => (
            <select {...p} className={inputClass} value={choice} onChange={(e) => setTier(e.target.value)}>
              {pooled.map((x) => (
                <option key={x.name} value={x.name} disabled={x.name === t.tier}>
                  {x.display_name} {x.name === t.tier ? '(current)' : `— $${x.price_usd}/month`}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="flex justify-end gap-2">
          <Button type="button" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={m.isPending} disabled={!choice}>
            Change tier
          </Button>
        </div>
      </form>
    </Modal>
  );
}

function OffboardDialog({ t, open, onClose }: { t: TenantView; open: boolean; onClose: () => void }) {
  const [confirm, setConfirm] = useState('');
  const m = useTenantAction(
    t,
    () =>
      unwrap(
        api().POST('/v1/admin/tenants/{tenantId}/offboard', {
          params: { path: { tenantId: t.id } },
          body: { confirm },
        }),
      ),
    onClose,
  );
  return (
    <Modal
      open={open}
      onOpenChange={(o) => !o && onClose()}
      title={`Offboard ${t.name}`}
      description="Exports the tenant's data to an archive, then deletes everything of it for good."
    >
      <form
        className="space-y-4 p-4"
        onSubmit={(e) => {
          e.preventDefault();
          if (confirm === t.id) m.mutate();
        }}
      >
        {m.isError && <Banner tone="error">{errorMessage(m.error)}</Banner>}
        <Field label={`Type ${t.id} to confirm`}>
          {(p) => (
            <Input
              {...p}
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              className="font-mono"
            />
          )}
        </Field>
        <div className="flex justify-end gap-2">
          <Button type="button" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" variant="danger" busy={m.isPending} disabled={confirm !== t.id}>
            Export and delete
          </Button>
        </div>
      </form>
    </Modal>
  );
}

function Lifecycle({ t }: { t: TenantView }) {
  const l: LifecycleView | undefined = t.lifecycle;
  const live = running(t);
  return (
    <Card
      id="lifecycle"
      title="Lifecycle"
      actions={
        live ? <Spinner label="Live" /> : l ? <Badge tone={l.error ? 'red' : 'green'}>{l.phase}</Badge> : null
      }
    >
      {!l ? (
        <p className="text-sm text-muted">No onboarding or offboarding has run for this tenant (seeded).</p>
      ) : (
        <div className="space-y-3">
          <ol aria-label={`${l.phase} steps`} className="space-y-1.5 text-sm">
            {l.steps.map((s, i) => {
              const done = l.done.find((d) => d.step === s);
              const failed = l.failed_step === s;
              const current = !done && !failed && live && i === l.done.length;
              return (
                <li
                  key={s}
                  className="flex items-center gap-2"
                  data-state={done ? 'done' : failed ? 'failed' : current ? 'running' : 'pending'}
                >
                  {done ? (
                    <Check className="size-4 text-green-700" aria-hidden />
                  ) : failed ? (
                    <XCircle className="size-4 text-red-700" aria-hidden />
                  ) : current ? (
                    <Loader2 className="size-4 animate-spin text-brand" aria-hidden />
                  ) : (
                    <Circle className="size-4 text-faint" aria-hidden />
                  )}
                  <span className="flex-1">{s.replace(/_/g, ' ')}</span>
                  <span className="text-xs text-muted tabular-nums">
                    {done
                      ? `${Math.max(1, Math.round(done.duration_ns / 1e6))} ms`
                      : failed
                        ? 'failed'
                        : current
                          ? 'running'
                          : ''}
                  </span>
                </li>
              );
            })}
          </ol>
          <p className="text-xs text-muted">
            {l.done.length} of {l.steps.length} steps · attempt {l.attempts} ·{' '}
            {Math.round((l.elapsed_ms ?? 0) / 100) / 10} s{l.finished ? ' · finished' : ''}
          </p>
          {l.waiting && <Banner>Waiting: {l.waiting}</Banner>}
          {l.error && <Banner tone="error">{l.error}</Banner>}
          {l.archive && (
            <Banner>
              Export archive:{' '}
              <span className="font-mono break-all" data-testid="archive">
                {l.archive}
              </span>
            </Banner>
          )}
        </div>
      )}
    </Card>
  );
}

function Usage({ t }: { t: TenantView }) {
  const usage = useRootUsage();
  const u = usage.data?.tenants.find((x) => x.tenant_id === t.id);
  return (
    <Card id="usage" title={`Usage in ${usage.data?.month ?? 'this month'}`}>
      {usage.isPending ? (
        <Spinner />
      ) : usage.isError ? (
        <ErrorState error={usage.error} onRetry={() => void usage.refetch()} />
      ) : (
        <div className="space-y-3">
          <Gauge
            label="API calls"
            used={u?.api_calls.used ?? t.usage.requests_this_month}
            limit={u?.api_calls.limit ?? t.usage.monthly_quota}
          />
          <Gauge
            label="Seats"
            used={u?.seats.used ?? t.usage.users ?? 0}
            limit={u?.seats.limit ?? t.usage.max_users}
          />
          {u && <Gauge label="Storage" used={u.storage.used} limit={u.storage.limit} format={formatBytes} />}
          <dl className="grid grid-cols-2 gap-2 text-xs">
            <dt className="text-muted">Monthly active users</dt>
            <dd className="tabular-nums">{u?.monthly_active_users ?? '—'}</dd>
            <dt className="text-muted">Rate limit</dt>
            <dd className="tabular-nums">
              {t.usage.rate_limit}/s, burst {t.usage.burst}
            </dd>
          </dl>
          {u?.warnings.map((w) => (
            <Banner key={w.metric} tone={w.level === 'exceeded' ? 'error' : 'warn'}>
              {w.message}
            </Banner>
          ))}
        </div>
      )}
    </Card>
  );
}

function SupportAccess({ id }: { id: string }) {
  const s = useQuery({
    queryKey: adminKeys.support(id),
    queryFn: () =>
      unwrap(
        api().GET('/v1/admin/tenants/{tenantId}/support-access', { params: { path: { tenantId: id } } }),
      ),
  });
  return (
    <Card id="support" title="Support access">
      {s.isPending ? (
        <Spinner />
      ) : s.isError ? (
        <ErrorState error={s.error} onRetry={() => void s.refetch()} />
      ) : s.data.granted ? (
        <p className="text-sm" data-testid="support-access">
          <Badge tone="green">granted</Badge> until{' '}
          {s.data.until ? new Date(s.data.until).toLocaleString('en-GB') : '—'}
          {s.data.granted_by && <span className="text-muted"> by {s.data.granted_by}</span>}. Support may read
          issue contents.
        </p>
      ) : (
        <p className="text-sm text-muted" data-testid="support-access">
          Not granted: support sees the tenant's users and settings, never its issue contents.
        </p>
      )}
    </Card>
  );
}

function Users({ id }: { id: string }) {
  const users = useQuery({
    queryKey: adminKeys.tenantUsers(id),
    queryFn: () =>
      unwrap(
        api().GET('/v1/admin/tenants/{tenantId}/users', {
          params: { path: { tenantId: id }, query: { limit: 100 } },
        }),
      ),
  });
  return (
    <Card id="users" title="Users">
      {users.isPending ? (
        <Spinner />
      ) : users.isError ? (
        <ErrorState error={users.error} onRetry={() => void users.refetch()} />
      ) : users.data.items.length === 0 ? (
        <p className="text-sm text-muted">No users.</p>
      ) : (
        <div {...scrollable()} className="-m-4 max-h-72 overflow-y-auto">
          <table className={tableClass} aria-label="Users of the tenant">
            <TableHead cell="px-4 py-2" columns={['Email', 'Role', 'Status']} />
            <tbody>
              {users.data.items.map((u) => (
                <tr key={u.id} className={rowClass}>
                  <td className="px-4 py-1.5">{u.email}</td>
                  <td className="px-4 py-1.5">{u.role.replace('_', ' ')}</td>
                  <td className="px-4 py-1.5">
                    <StatusBadge status={u.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {users.data.next_cursor && <p className="px-4 py-2 text-xs text-muted">Showing the first 100.</p>}
        </div>
      )}
    </Card>
  );
}

function Audit({ id }: { id: string }) {
  const a = useInfiniteQuery({
    queryKey: adminKeys.audit(id),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api().GET('/v1/admin/tenants/{tenantId}/audit', {
          params: { path: { tenantId: id }, query: { limit: 25, cursor: pageParam } },
        }),
      ),
    getNextPageParam: (p) => p.next_cursor,
  });
  const items = a.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Card id="audit" title="Audit log" className="lg:col-span-2">
      {a.isPending ? (
        <Spinner />
      ) : a.isError ? (
        <ErrorState error={a.error} onRetry={() => void a.refetch()} />
      ) : items.length === 0 ? (
        <p className="text-sm text-muted">Nothing recorded yet.</p>
      ) : (
        <AuditTable
          items={items}
          hasMore={!!a.hasNextPage}
          loadingMore={a.isFetchingNextPage}
          onMore={() => void a.fetchNextPage()}
        />
      )}
    </Card>
  );
}
