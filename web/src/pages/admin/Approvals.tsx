import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Inbox } from 'lucide-react';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { errorMessage } from '../../api/problem';
import { PageHeader, rowClass, tableClass, theadClass } from '../../components/page';
import { Button, EmptyState, ErrorState, Skeleton } from '../../components/ui';
import { adminKeys, useTenantPage, type TenantView } from './data';

/** Verified paid sign-ups: Platinum waits for Root's approval; Standard and Premium wait for their first
 * payment, and Root may let them in without it (a customer paying by invoice). Approving starts onboarding. */
export default function Approvals() {
  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={<span id="page-title">Approvals</span>}
        description="Approving starts a sign-up's onboarding; to turn one down, offboard it from its page."
      />
      <Section
        status="pending_approval"
        title="Waiting for approval"
        empty="Platinum sign-ups appear here once their admin has verified the email."
      />
      <Section
        status="pending_payment"
        title="Waiting for the first payment"
        empty="Standard and Premium sign-ups that have not paid yet appear here."
      />
    </main>
  );
}

function Section({ status, title, empty }: { status: string; title: string; empty: string }) {
  const page = useTenantPage({ status, limit: 100 });
  const id = `section-${status}`;
  return (
    <section aria-labelledby={id} className="border-b border-line last:border-0">
      <h2 id={id} className="px-4 pt-4 text-sm font-semibold sm:px-6">
        {title}
        {page.data && <span className="ml-1 font-normal text-muted">({page.data.items.length})</span>}
      </h2>
      {page.isPending ? (
        <Skeleton />
      ) : page.isError ? (
        <ErrorState error={page.error} onRetry={() => void page.refetch()} />
      ) : page.data.items.length === 0 ? (
        <EmptyState icon={<Inbox className="size-6" />} title="Nothing waiting">
          {empty}
        </EmptyState>
      ) : (
        <div className="overflow-x-auto px-4 py-4 sm:px-6">
          <table className={tableClass} aria-label={title}>
            <thead className={theadClass}>
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">
                  Company
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Tier
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Signed up
                </th>
                <th scope="col" className="px-3 py-2">
                  <span className="sr-only">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.map((t) => (
                <Row key={t.id} t={t} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Row({ t }: { t: TenantView }) {
  const qc = useQueryClient();
  const approve = useMutation({
    mutationFn: () =>
      unwrap(
        api().POST('/v1/admin/tenants/{tenantId}/approve', {
          params: { path: { tenantId: t.id }, header: { 'Idempotency-Key': `approve-${t.id}-${t.version}` } },
        }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: adminKeys.tenants }),
  });
  return (
    <tr className={rowClass} data-testid="approval-row">
      <td className="px-3 py-2">
        <Link to={`/admin/tenants/${t.id}`} className="font-medium hover:underline">
          {t.name}
        </Link>
        <div className="font-mono text-2xs text-muted">{t.id}</div>
      </td>
      <td className="px-3 py-2 capitalize">{t.tier}</td>
      <td className="px-3 py-2 text-muted">{new Date(t.created_at).toLocaleString('en-GB')}</td>
      <td className="px-3 py-2 text-right">
        <Button
          size="sm"
          variant="primary"
          busy={approve.isPending}
          onClick={() => approve.mutate()}
          aria-label={`Approve ${t.name}`}
        >
          Approve
        </Button>
        {approve.isError && (
          <p role="alert" className="mt-1 text-xs text-red-700">
            {errorMessage(approve.error)}
          </p>
        )}
      </td>
    </tr>
  );
}
