import { useSearchParams } from 'react-router';
import { ChartPickers } from '../../components/ChartPickers';
import { ChartCard } from '../../components/charts';
import { PageHeader, Stat } from '../../components/page';
import { ErrorState, Skeleton } from '../../components/ui';
import { churnRate, mrrHistory, tierRevenue, tierUsage, topTenants } from '../../lib/analytics';
import { formatCents, useRootBilling, useRootUsage } from './data';

const dollars = (n: number) => `$${n.toLocaleString('en-US')}`;

/** The platform's figures: revenue and churn per tier (billing), usage per tier and per tenant. */
export default function AdminAnalytics() {
  const [params, setParams] = useSearchParams();
  const month = params.get('month') ?? undefined;
  const usage = useRootUsage(month);
  const billing = useRootBilling();

  const picker = (
    <ChartPickers
      inline
      month={{
        label: 'Usage month',
        value: month ?? usage.data?.month ?? '',
        onChange: (v) => setParams(v ? { month: v } : {}, { replace: true }),
      }}
    />
  );

  if (usage.isPending || billing.isPending)
    return (
      <main aria-labelledby="page-title">
        <PageHeader title={<span id="page-title">Analytics</span>} actions={picker} />
        <Skeleton />
      </main>
    );
  if (usage.isError || billing.isError)
    return (
      <main aria-labelledby="page-title">
        <PageHeader title={<span id="page-title">Analytics</span>} actions={picker} />
        <ErrorState
          error={usage.error ?? billing.error}
          onRetry={() => void Promise.all([usage.refetch(), billing.refetch()])}
        />
      </main>
    );

  const u = usage.data;
  const f = billing.data;
  const tenants = u.totals.reduce((s, t) => s + t.tenants, 0);
  const calls = u.totals.reduce((s, t) => s + t.api_calls, 0);
  const mau = u.totals.reduce((s, t) => s + t.monthly_active_users, 0);
  const subscribers = f.tiers.reduce((s, t) => s + t.subscribers, 0);

  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={<span id="page-title">Analytics</span>}
        description={`Revenue for ${f.month}; usage for ${u.month}.`}
        actions={picker}
      />
      <div className="space-y-4 p-4 sm:px-6">
        <div className="grid grid-cols-2 gap-3 lg:grid-cols-5" data-testid="kpis">
          <Stat
            label="MRR"
            value={formatCents(f.mrr_cents, f.currency)}
            hint={`${subscribers} subscriptions`}
          />
          <Stat label="Churn this month" value={`${Math.round(churnRate(f) * 1000) / 10} %`} />
          <Stat label="Tenants" value={tenants} />
          <Stat label="API calls" value={calls.toLocaleString('en-US')} />
          <Stat label="Monthly active users" value={mau} />
        </div>
        <div className="grid gap-4 lg:grid-cols-2">
          <ChartCard
            id="mrr-by-tier"
            title="MRR by tier"
            data={tierRevenue(f)}
            x="tier"
            xLabel="Tier"
            series={[{ key: 'mrr', label: 'MRR (USD)' }]}
            format={dollars}
          />
          <ChartCard
            id="subscribers-by-tier"
            title="Subscriptions by tier"
            data={tierRevenue(f)}
            x="tier"
            xLabel="Tier"
            series={[
              { key: 'subscribers', label: 'Subscribers' },
              { key: 'new', label: 'New' },
              { key: 'churned', label: 'Churned' },
            ]}
          />
          <ChartCard
            id="mrr-history"
            title="MRR by month"
            kind="line"
            data={mrrHistory(f)}
            x="month"
            xLabel="Month"
            series={[{ key: 'mrr', label: 'MRR (USD)' }]}
            format={dollars}
          />
          <ChartCard
            id="usage-by-tier"
            title="Usage by tier"
            data={tierUsage(u)}
            x="tier"
            xLabel="Tier"
            series={[
              { key: 'tenants', label: 'Tenants' },
              { key: 'seats', label: 'Seats' },
              { key: 'mau', label: 'Monthly active users' },
            ]}
          />
          <ChartCard
            id="api-calls-by-tier"
            title="API calls by tier"
            data={tierUsage(u)}
            x="tier"
            xLabel="Tier"
            series={[{ key: 'api_calls', label: 'API calls' }]}
          />
          <ChartCard
            id="top-tenants"
            title="Top tenants by API calls"
            layout="vertical"
            data={topTenants(u)}
            x="tenant"
            xLabel="Tenant"
            series={[{ key: 'api_calls', label: 'API calls' }]}
          />
        </div>
      </div>
    </main>
  );
}
