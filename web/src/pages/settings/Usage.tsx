import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { ChartCard } from '../../components/charts';
import { Card, Gauge, PageHeader, Stat } from '../../components/page';
import { Banner, ErrorState, Skeleton } from '../../components/ui';
import { dailyUsage } from '../../lib/analytics';
import { formatBytes } from '../../lib/format';
import { useWorkspaceCtx } from '../workspace/context';

/** This month's API calls, seats and storage against the plan's limits, per day (Super Admin). */
export default function Usage() {
  const { slug } = useWorkspaceCtx();
  const u = useQuery({ queryKey: ['w', slug, 'usage'], queryFn: () => unwrap(api().GET('/v1/usage')) });
  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={<span id="page-title">API usage</span>}
        description={
          u.data ? `${u.data.month}, on the ${u.data.tier} plan.` : 'This month, against your plan.'
        }
      />
      {u.isPending ? (
        <Skeleton />
      ) : u.isError ? (
        <ErrorState error={u.error} onRetry={() => void u.refetch()} />
      ) : (
        <div className="space-y-4 p-4 sm:px-6">
          {u.data.warnings.map((w) => (
            <Banner key={w.metric} tone={w.percent >= 100 ? 'error' : 'warn'}>
              {w.message}
            </Banner>
          ))}
          <Card id="limits" title="Limits">
            <div className="grid gap-4 md:grid-cols-3">
              <Gauge label="API calls" used={u.data.api_calls.used} limit={u.data.api_calls.limit} />
              <Gauge label="Seats" used={u.data.seats.used} limit={u.data.seats.limit} />
              <Gauge
                label="Storage"
                used={u.data.storage.used}
                limit={u.data.storage.limit}
                format={formatBytes}
              />
            </div>
            <p className="mt-3 text-xs text-muted">
              Issues and comments take {formatBytes(u.data.storage_breakdown.item_bytes)}, attachments{' '}
              {formatBytes(u.data.storage_breakdown.attachment_bytes)}. Figures may trail by up to{' '}
              {Math.max(1, Math.round(u.data.lag_seconds / 60))} min.
            </p>
          </Card>
          <div className="grid grid-cols-3 gap-3">
            <Stat label="Active today" value={u.data.active_users.daily} />
            <Stat label="Active this week" value={u.data.active_users.weekly} />
            <Stat label="Active this month" value={u.data.active_users.monthly} />
          </div>
          <ChartCard
            id="daily-usage"
            title="API calls per day"
            data={dailyUsage(u.data)}
            x="day"
            xLabel="Day"
            series={[
              { key: 'calls', label: 'API calls' },
              { key: 'active_users', label: 'Active users' },
            ]}
          />
        </div>
      )}
    </main>
  );
}
