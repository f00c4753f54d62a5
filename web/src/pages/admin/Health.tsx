import { useQuery } from '@tanstack/react-query';
import { Activity } from 'lucide-react';
import { api, unwrap } from '../../api/client';
import { Badge, Card, PageHeader, rowClass, tableClass, theadClass } from '../../components/page';
import { EmptyState, ErrorState, Skeleton } from '../../components/ui';
import { adminKeys } from './data';

const tone = (s: string) => (s === 'ok' ? 'green' : s === 'alarm' ? 'red' : 'gray');
const label = (s: string) => (s === 'insufficient_data' ? 'no data' : s);

/** Platform health: the deployment's alarms in AWS; locally the functions' metrics. Refreshed every 30 s. */
export default function Health() {
  const h = useQuery({
    queryKey: adminKeys.health,
    queryFn: () => unwrap(api().GET('/v1/admin/health')),
    refetchInterval: 30_000,
  });
  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={
          <span className="flex items-center gap-2">
            <span id="page-title">Platform health</span>
            {h.data && (
              <span data-testid="health-state">
                <Badge tone={tone(h.data.state)}>{label(h.data.state)}</Badge>
              </span>
            )}
          </span>
        }
        description={
          h.data?.source === 'cloudwatch'
            ? "The states of this deployment's CloudWatch alarms."
            : `The functions' answers over the last ${h.data?.window ?? '15m'}, from the local metrics log.`
        }
      />
      <div className="space-y-4 p-4 sm:px-6">
        {h.isPending ? (
          <Skeleton />
        ) : h.isError ? (
          <ErrorState error={h.error} onRetry={() => void h.refetch()} />
        ) : h.data.source === 'cloudwatch' ? (
          <Card id="alarms" title="Alarms">
            {h.data.alarms.length === 0 ? (
              <p className="text-sm text-muted">No alarm found for this deployment.</p>
            ) : (
              <div className="-m-4 overflow-x-auto">
                <table className={tableClass} aria-label="Alarms">
                  <thead className={theadClass}>
                    <tr>
                      {['Alarm', 'State', 'Since', 'Reason'].map((c) => (
                        <th key={c} scope="col" className="px-4 py-2 font-medium">
                          {c}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {h.data.alarms.map((a) => (
                      <tr key={a.name} className={rowClass}>
                        <td className="px-4 py-1.5 font-mono text-xs break-all">{a.name}</td>
                        <td className="px-4 py-1.5">
                          <Badge tone={tone(a.state)}>{label(a.state)}</Badge>
                        </td>
                        <td className="px-4 py-1.5 whitespace-nowrap text-muted">
                          {a.updated_at ? new Date(a.updated_at).toLocaleString('en-GB') : '—'}
                        </td>
                        <td className="px-4 py-1.5 text-xs text-muted">{a.reason}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
        ) : h.data.functions.length === 0 ? (
          <EmptyState icon={<Activity className="size-6" />} title="No requests in the window">
            {h.data.note}
          </EmptyState>
        ) : (
          <Card id="functions" title="Functions">
            <div className="-m-4 overflow-x-auto">
              <table className={tableClass} aria-label="Functions">
                <thead className={theadClass}>
                  <tr>
                    {['Function', 'State', 'Requests', '5xx rate', 'p95', 'Throttled (429)', '4xx'].map(
                      (c) => (
                        <th key={c} scope="col" className="px-4 py-2 font-medium">
                          {c}
                        </th>
                      ),
                    )}
                  </tr>
                </thead>
                <tbody>
                  {h.data.functions.map((f) => (
                    <tr key={f.function} className={rowClass} data-testid="health-function">
                      <td className="px-4 py-1.5 font-medium">{f.function}</td>
                      <td className="px-4 py-1.5">
                        <Badge tone={tone(f.state)}>{label(f.state)}</Badge>
                      </td>
                      <td className="px-4 py-1.5 tabular-nums">{f.requests}</td>
                      <td className="px-4 py-1.5 tabular-nums">{(f.error_rate * 100).toFixed(1)} %</td>
                      <td className="px-4 py-1.5 tabular-nums">{f.p95_ms.toFixed(1)} ms</td>
                      <td className="px-4 py-1.5 tabular-nums">{f.throttled}</td>
                      <td className="px-4 py-1.5 tabular-nums">{f.client_errors}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {h.data.note && <p className="mt-6 text-xs text-muted">{h.data.note}</p>}
          </Card>
        )}
      </div>
    </main>
  );
}
