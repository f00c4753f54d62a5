import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ExternalLink, Receipt } from 'lucide-react';
import { useState } from 'react';
import { api, unwrap, type components } from '../../api/client';
import { errorMessage } from '../../api/problem';
import {
  Badge,
  Card,
  PageHeader,
  rowClass,
  StatusBadge,
  tableClass,
  theadClass,
} from '../../components/page';
import { Banner, Button, EmptyState, ErrorState, Skeleton, Spinner } from '../../components/ui';
import { formatCents } from '../../lib/format';
import { useWorkspaceCtx } from '../workspace/context';

type Plan = components['schemas']['Plan'];
type Price = components['schemas']['Price'];

const ORDER = ['basic', 'standard', 'premium', 'platinum'];
const date = (s?: string) => (s ? new Date(s).toLocaleDateString('en-GB') : '—');

/** The plan, moving between plans (checkout for a first subscription) and the invoices (Super Admin). */
export default function Billing() {
  const { slug } = useWorkspaceCtx();
  const plan = useQuery({
    queryKey: ['w', slug, 'billing'],
    queryFn: () => unwrap(api().GET('/v1/billing')),
  });
  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={<span id="page-title">Billing</span>}
        description="Your plan, its price and your invoices."
      />
      {plan.isPending ? (
        <Skeleton />
      ) : plan.isError ? (
        <ErrorState error={plan.error} onRetry={() => void plan.refetch()} />
      ) : (
        <div className="space-y-4 p-4 sm:px-6">
          <Current plan={plan.data} />
          <Plans plan={plan.data} />
          <Invoices />
        </div>
      )}
    </main>
  );
}

function Current({ plan }: { plan: Plan }) {
  const a = plan.account;
  return (
    <Card id="plan" title="Current plan">
      <div className="flex flex-wrap items-baseline gap-3 text-sm" data-testid="current-plan">
        <span className="text-lg font-semibold capitalize">{plan.tier}</span>
        <span className="tabular-nums">
          {plan.price
            ? `${formatCents(plan.price.amount_cents, plan.price.currency)} / ${plan.price.interval}`
            : 'Free'}
        </span>
        <StatusBadge status={plan.status} />
      </div>
      <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-1 text-xs sm:grid-cols-4">
        <dt className="text-muted">Subscribed since</dt>
        <dd>{date(a.started_at)}</dd>
        <dt className="text-muted">Renews</dt>
        <dd>{date(a.current_period_end)}</dd>
      </dl>
      {a.grace_until && (
        <div className="mt-3">
          <Banner tone="warn">
            The last payment failed. Update the payment method before {date(a.grace_until)} or the workspace
            is suspended.
          </Banner>
        </div>
      )}
      {a.checkout_tier && plan.status === 'checkout_pending' && (
        <div className="mt-3">
          <Banner>A checkout for {a.checkout_tier} is open; the plan changes when it is paid.</Banner>
        </div>
      )}
    </Card>
  );
}

function Plans({ plan }: { plan: Plan }) {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const [checkout, setCheckout] = useState<string>();
  const subscribed = !!plan.account.subscription_id && plan.status !== 'canceled';
  const change = useMutation({
    mutationFn: (tier: string) => unwrap(api().PUT('/v1/billing/plan', { body: { tier } })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['w', slug, 'billing'] });
      await qc.invalidateQueries({ queryKey: ['w', slug, 'me'] });
    },
  });
  const start = useMutation({
    mutationFn: (tier: string) =>
      unwrap(
        api().POST('/v1/billing/checkout', {
          params: { header: { 'Idempotency-Key': `checkout-${tier}-${plan.account.version}` } },
          body: { tier },
        }),
      ),
    onSuccess: (s) => setCheckout(s.url),
  });
  const plans = [...plan.plans].sort((a, b) => ORDER.indexOf(a.tier) - ORDER.indexOf(b.tier));
  const act = (p: Price) => {
    if (subscribed) change.mutate(p.tier);
    else start.mutate(p.tier);
  };
  const err = change.error ?? start.error;
  return (
    <Card id="plans" title="Plans">
      <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4" aria-label="Plans">
        {plans.map((p) => {
          const current = p.tier === plan.tier;
          const up = ORDER.indexOf(p.tier) > ORDER.indexOf(plan.tier);
          const free = p.amount_cents === 0;
          return (
            <li key={p.tier} className="space-y-2 rounded-md border border-line p-3">
              <div className="flex items-center gap-2">
                <span className="font-semibold capitalize">{p.tier}</span>
                {current && <Badge tone="blue">current</Badge>}
              </div>
              <div className="text-sm tabular-nums">
                {free ? 'Free' : `${formatCents(p.amount_cents, p.currency)} / ${p.interval}`}
              </div>
              {!current && !(free && !subscribed) && (
                <Button
                  size="sm"
                  variant={up ? 'primary' : 'secondary'}
                  busy={
                    (change.isPending && change.variables === p.tier) ||
                    (start.isPending && start.variables === p.tier)
                  }
                  onClick={() => act(p)}
                >
                  {subscribed ? (up ? 'Upgrade' : 'Downgrade') : 'Subscribe'} to {p.tier}
                </Button>
              )}
            </li>
          );
        })}
      </ul>
      <p className="mt-3 text-xs text-muted">
        {subscribed
          ? 'Changes are prorated on the next invoice. Moving to Basic ends the subscription.'
          : 'Subscribing opens a secure payment page; the plan changes once it is paid.'}{' '}
        Platinum (a dedicated stack) is arranged with the provider.
      </p>
      {checkout && (
        <div className="mt-3">
          <Banner>
            Your payment page is ready:{' '}
            <a href={checkout} target="_blank" rel="noreferrer" className="font-medium text-brand underline">
              continue to payment <ExternalLink className="inline size-3" aria-hidden />
            </a>
          </Banner>
        </div>
      )}
      {err && (
        <div className="mt-3">
          <Banner tone="error">{errorMessage(err)}</Banner>
        </div>
      )}
    </Card>
  );
}

function Invoices() {
  const { slug } = useWorkspaceCtx();
  const inv = useQuery({
    queryKey: ['w', slug, 'billing', 'invoices'],
    queryFn: () => unwrap(api().GET('/v1/billing/invoices', { params: { query: { limit: 24 } } })),
  });
  return (
    <Card id="invoices" title="Invoices">
      {inv.isPending ? (
        <Spinner />
      ) : inv.isError ? (
        <ErrorState error={inv.error} onRetry={() => void inv.refetch()} />
      ) : inv.data.items.length === 0 ? (
        <EmptyState icon={<Receipt className="size-6" />} title="No invoices yet" />
      ) : (
        <div className="-m-4 overflow-x-auto">
          <table className={tableClass} aria-label="Invoices">
            <thead className={theadClass}>
              <tr>
                {['Invoice', 'Date', 'Period', 'Amount', 'Status', ''].map((h, i) => (
                  <th key={i} scope="col" className="px-4 py-2 font-medium">
                    {h || <span className="sr-only">Links</span>}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {inv.data.items.map((i) => (
                <tr key={i.id} className={rowClass}>
                  <td className="px-4 py-2 font-mono text-xs">{i.number || i.id}</td>
                  <td className="px-4 py-2">{date(i.created)}</td>
                  <td className="px-4 py-2 text-muted">
                    {date(i.period_start)} – {date(i.period_end)}
                  </td>
                  <td className="px-4 py-2 tabular-nums">{formatCents(i.amount_due, i.currency)}</td>
                  <td className="px-4 py-2">
                    <StatusBadge status={i.status} />
                  </td>
                  <td className="px-4 py-2 text-right text-xs">
                    {i.hosted_invoice_url && (
                      <a
                        href={i.hosted_invoice_url}
                        target="_blank"
                        rel="noreferrer"
                        className="text-brand underline"
                      >
                        View
                      </a>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
