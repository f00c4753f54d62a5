import { useCallback, useEffect, useState } from 'react';
import { Check } from 'lucide-react';
import { api, unwrap, type components } from '../../api/client';
import { cx, ErrorState, Skeleton } from '../../components/ui';

export type Tier = components['schemas']['Tier'];

/** The tier catalog (GET /v1/tiers). Plain state, no query cache: the
 * landing page is its own light entry (src/marketing.tsx). */
export function useTiers() {
  const [data, setData] = useState<Tier[]>();
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    unwrap(api().GET('/v1/tiers')).then(
      (r) => live && setData(r.tiers ?? []),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [attempt]);
  const refetch = useCallback(() => {
    setError(undefined);
    setAttempt((n) => n + 1);
  }, []);
  return { data, error, isPending: !data && !error, isError: !!error, refetch };
}

const FEATURE: Record<string, string> = {
  custom_branding: 'Your logo and colours',
  mfa_enforcement: 'Enforce two-factor sign-in',
  audit_export: 'Audit log export',
  dedicated_stack: 'Dedicated database, user pool and alarms',
};

function bytes(n: number): string {
  if (n >= 1 << 40) return `${n / 2 ** 40} TB`;
  return `${n / 2 ** 30} GB`;
}

function count(n: number): string {
  if (n >= 1_000_000) return `${n / 1_000_000}M`;
  if (n >= 1000) return `${n / 1000}k`;
  return String(n);
}

export function tierLines(t: Tier): string[] {
  return [
    t.max_users === 0 ? 'Unlimited users' : `Up to ${t.max_users} users`,
    `${bytes(t.storage_bytes)} of attachments`,
    `${count(t.monthly_quota)} API requests a month`,
    `${t.rate_limit} requests/s (burst ${t.burst})`,
    t.isolation === 'silo' ? 'Isolated: its own stack' : 'Shared, tenant-isolated infrastructure',
    ...(t.features ?? []).map((f) => FEATURE[f] ?? f),
  ];
}

export function price(t: Tier): string {
  return t.price_usd === 0 ? 'Free' : `$${t.price_usd}`;
}

/** The four tiers, read from the API's tier catalog (never a copy). */
export function TierCards({ compact }: { compact?: boolean }) {
  const q = useTiers();
  if (q.isError) return <ErrorState error={q.error} onRetry={q.refetch} />;
  if (!q.data) return <Skeleton rows={4} />;
  return (
    <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4" aria-label="Plans">
      {q.data.map((t) => (
        <li
          key={t.name}
          className={cx(
            'flex flex-col rounded-xl border p-5',
            t.name === 'standard' ? 'border-brand shadow-sm' : 'border-line',
          )}
        >
          <h3 className="text-sm font-semibold">{t.display_name}</h3>
          <p className="mt-2">
            <span className="text-2xl font-semibold tracking-tight">{price(t)}</span>
            {t.price_usd > 0 && <span className="text-xs text-muted"> / month</span>}
          </p>
          <ul className="mt-4 flex-1 space-y-1.5 text-xs text-muted">
            {tierLines(t)
              .slice(0, compact ? 4 : undefined)
              .map((l) => (
                <li key={l} className="flex gap-1.5">
                  <Check className="mt-0.5 size-3 shrink-0 text-brand" aria-hidden /> {l}
                </li>
              ))}
          </ul>
          <a
            href={`/signup?tier=${t.name}`}
            className={cx(
              'mt-5 rounded-md px-3 py-1.5 text-center text-sm font-medium',
              t.name === 'standard'
                ? 'bg-brand text-brand-fg hover:brightness-110'
                : 'border border-line hover:bg-panel',
            )}
            aria-label={`Start with ${t.display_name}`}
          >
            Start with {t.display_name}
          </a>
        </li>
      ))}
    </ul>
  );
}
