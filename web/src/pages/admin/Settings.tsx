import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Check } from 'lucide-react';
import { api, unwrap } from '../../api/client';
import { errorMessage } from '../../api/problem';
import { Badge, Card, PageHeader } from '../../components/page';
import { Banner, Button, ErrorState, Skeleton, Spinner } from '../../components/ui';
import { adminKeys, formatBytes, useTiers } from './data';

/** The system settings: whether sign-ups are open, and the tier catalog (internal/tiers, read only). */
export default function AdminSettings() {
  const tiers = useTiers();
  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={<span id="page-title">Settings</span>}
        description="Sign-ups, and the tier catalog every limit, price and pricing page comes from (it changes with a release, not here)."
      />
      <div className="space-y-4 p-4 sm:px-6">
        <Registration />
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

/** Open or close sign-ups. Closed, the sign-up API answers 403 registration_closed; registrations under way finish. */
function Registration() {
  const qc = useQueryClient();
  const st = useQuery({
    queryKey: adminKeys.settings,
    queryFn: () => unwrap(api().GET('/v1/admin/settings')),
  });
  const change = useMutation({
    mutationFn: (open: boolean) =>
      unwrap(api().PUT('/v1/admin/settings', { body: { registration_open: open } })),
    onSuccess: (data) => qc.setQueryData(adminKeys.settings, data),
  });
  return (
    <Card id="registration" title="Registration">
      {st.isPending ? (
        <Spinner />
      ) : st.isError ? (
        <ErrorState error={st.error} onRetry={() => void st.refetch()} />
      ) : (
        <div className="flex flex-wrap items-center gap-3 text-sm">
          <span data-testid="registration-state">
            <Badge tone={st.data.registration_open ? 'green' : 'red'}>
              {st.data.registration_open ? 'open' : 'closed'}
            </Badge>
          </span>
          <span className="min-w-0 flex-1 text-muted">
            {st.data.registration_open
              ? 'New companies can sign up.'
              : 'Sign-ups are refused; registrations already under way still finish.'}
            {st.data.updated_by && ` Last changed by ${st.data.updated_by}.`}
          </span>
          <Button
            size="sm"
            variant={st.data.registration_open ? 'danger' : 'primary'}
            busy={change.isPending}
            onClick={() => change.mutate(!st.data.registration_open)}
          >
            {st.data.registration_open ? 'Close sign-ups' : 'Open sign-ups'}
          </Button>
          {change.isError && <Banner tone="error">{errorMessage(change.error)}</Banner>}
        </div>
      )}
    </Card>
  );
}
