import { Check } from 'lucide-react';
import { Card, PageHeader } from '../../components/page';
import { ErrorState, Skeleton } from '../../components/ui';
import { formatBytes, useTiers } from './data';

/** The system settings that exist: the tier catalog (internal/tiers, the one source of truth). */
export default function AdminSettings() {
  const tiers = useTiers();
  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={<span id="page-title">Settings</span>}
        description="The tier catalog every limit, price and pricing page comes from. It changes with a release, not here."
      />
      <div className="p-4 sm:px-6">
        {tiers.isPending ? (
          <Skeleton />
        ) : tiers.isError ? (
          <ErrorState error={tiers.error} onRetry={() => void tiers.refetch()} />
        ) : (
          <Card id="tiers" title="Tiers">
            <div className="-m-4 overflow-x-auto">
              <table className="w-full text-left text-sm" aria-label="Tier catalog">
                <thead className="border-b border-line bg-panel text-xs text-muted">
                  <tr>
                    {[
                      'Tier',
                      'Price',
                      'Isolation',
                      'Seats',
                      'API calls / month',
                      'Rate',
                      'Storage',
                      'Features',
                    ].map((h) => (
                      <th key={h} scope="col" className="px-4 py-2 font-medium">
                        {h}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {tiers.data.map((t) => (
                    <tr key={t.name} className="border-b border-line last:border-0">
                      <td className="px-4 py-2 font-medium">{t.display_name}</td>
                      <td className="px-4 py-2 tabular-nums">${t.price_usd}/mo</td>
                      <td className="px-4 py-2">{t.isolation}</td>
                      <td className="px-4 py-2 tabular-nums">{t.max_users}</td>
                      <td className="px-4 py-2 tabular-nums">{t.monthly_quota.toLocaleString('en-US')}</td>
                      <td className="px-4 py-2 tabular-nums">
                        {t.rate_limit}/s (burst {t.burst})
                      </td>
                      <td className="px-4 py-2 tabular-nums">{formatBytes(t.storage_bytes)}</td>
                      <td className="px-4 py-2 text-xs">
                        {t.features.length ? (
                          <ul className="space-y-0.5">
                            {t.features.map((f) => (
                              <li key={f} className="flex items-center gap-1">
                                <Check className="size-3 text-green-700" aria-hidden />
                                {f.replace(/_/g, ' ')}
                              </li>
                            ))}
                          </ul>
                        ) : (
                          <span className="text-muted">—</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Card>
        )}
      </div>
    </main>
  );
}
