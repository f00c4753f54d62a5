import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { errorMessage } from '../../api/problem';
import { Card, PageHeader } from '../../components/page';
import { Banner, Button, ErrorState, inputClass, Spinner } from '../../components/ui';
import { useWorkspaceCtx } from '../workspace/context';

/** Two-factor requirement and the provider's support access (Super Admin). */
export default function Security() {
  return (
    <main aria-labelledby="page-title">
      <PageHeader
        title={<span id="page-title">Security</span>}
        description="Who must use two-factor sign-in, and whether the provider's support may read issues."
      />
      <div className="grid gap-4 p-4 sm:px-6 lg:grid-cols-2">
        <MFA />
        <SupportAccess />
      </div>
    </main>
  );
}

function MFA() {
  const { slug, me } = useWorkspaceCtx();
  const qc = useQueryClient();
  const key = ['w', slug, 'settings', 'security'];
  const s = useQuery({ queryKey: key, queryFn: () => unwrap(api().GET('/v1/settings/security')) });
  const put = useMutation({
    mutationFn: (required: boolean) =>
      unwrap(api().PUT('/v1/settings/security', { body: { mfa_required: required } })),
    onSuccess: (data) => qc.setQueryData(key, data),
  });
  return (
    <Card id="mfa" title="Two-factor authentication">
      {s.isPending ? (
        <Spinner />
      ) : s.isError ? (
        <ErrorState error={s.error} onRetry={() => void s.refetch()} />
      ) : (
        <div className="space-y-3 text-sm">
          <label className="flex items-start gap-2">
            <input
              type="checkbox"
              className="mt-0.5 size-4 accent-brand"
              checked={s.data.mfa_required}
              disabled={!s.data.mfa_enforcement_available || put.isPending}
              onChange={(e) => put.mutate(e.target.checked)}
            />
            <span>
              <span className="font-medium">Require two-factor sign-in for everyone</span>
              <span className="block text-xs text-muted">
                People without an authenticator set one up at their next sign-in.
              </span>
            </span>
          </label>
          {!s.data.mfa_enforcement_available && (
            <Banner tone="warn">
              The {me.tenant.tier} plan does not include enforcing two-factor sign-in (Premium and Platinum
              do).
            </Banner>
          )}
          {put.isError && <Banner tone="error">{errorMessage(put.error)}</Banner>}
        </div>
      )}
    </Card>
  );
}

function SupportAccess() {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const key = ['w', slug, 'settings', 'support-access'];
  const [hours, setHours] = useState(24);
  const s = useQuery({ queryKey: key, queryFn: () => unwrap(api().GET('/v1/settings/support-access')) });
  const grant = useMutation({
    mutationFn: () => unwrap(api().PUT('/v1/settings/support-access', { body: { hours } })),
    onSuccess: (data) => qc.setQueryData(key, data),
  });
  const revoke = useMutation({
    mutationFn: () => unwrap(api().DELETE('/v1/settings/support-access')),
    onSuccess: (data) => qc.setQueryData(key, data),
  });
  const err = grant.error ?? revoke.error;
  return (
    <Card id="support" title="Support access">
      {s.isPending ? (
        <Spinner />
      ) : s.isError ? (
        <ErrorState error={s.error} onRetry={() => void s.refetch()} />
      ) : (
        <div className="space-y-3 text-sm">
          <p data-testid="support-state">
            {s.data.granted
              ? `The provider's support may read issue contents until ${new Date(s.data.until ?? '').toLocaleString('en-GB')}.`
              : "The provider's support cannot read your issues. Grant access for a while when you ask them for help."}
          </p>
          {s.data.granted ? (
            <Button variant="danger" busy={revoke.isPending} onClick={() => revoke.mutate()}>
              End support access now
            </Button>
          ) : (
            <div className="flex flex-wrap items-center gap-2">
              <label className="flex items-center gap-2 text-xs text-muted">
                For
                <select
                  className={`${inputClass} w-auto`}
                  value={hours}
                  onChange={(e) => setHours(Number(e.target.value))}
                >
                  {[1, 4, 24, 72].map((h) => (
                    <option key={h} value={h}>
                      {h} hour{h > 1 ? 's' : ''}
                    </option>
                  ))}
                </select>
              </label>
              <Button busy={grant.isPending} onClick={() => grant.mutate()}>
                Grant support access
              </Button>
            </div>
          )}
          {err && <Banner tone="error">{errorMessage(err)}</Banner>}
        </div>
      )}
    </Card>
  );
}
