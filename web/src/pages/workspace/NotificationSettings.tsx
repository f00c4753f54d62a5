import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { errorMessage } from '../../api/problem';
import { PageHeader } from '../../components/page';
import { Banner, Button, ErrorState, inputClass, Skeleton } from '../../components/ui';
import { useWorkspaceCtx } from './context';
import {
  KINDS,
  MODES,
  notificationKeys,
  usePreferences,
  type EmailMode,
  type Preferences,
} from './notifications';

/** The caller's email preferences per kind of notification (the inbox always gets every one). */
export default function NotificationSettings() {
  const { slug } = useWorkspaceCtx();
  const prefs = usePreferences(slug);
  return (
    <main aria-labelledby="page-title" className="min-h-0 flex-1 overflow-y-auto">
      <PageHeader
        title={<span id="page-title">Notification email</span>}
        description="Your inbox gets every notification; choose which ones also come by email."
      />
      <div className="max-w-xl p-4 sm:px-6">
        {prefs.isPending ? (
          <Skeleton rows={5} />
        ) : prefs.isError ? (
          <ErrorState error={prefs.error} onRetry={() => void prefs.refetch()} />
        ) : (
          <PreferencesForm initial={prefs.data} />
        )}
      </div>
    </main>
  );
}

function PreferencesForm({ initial }: { initial: Preferences }) {
  const { slug } = useWorkspaceCtx();
  const qc = useQueryClient();
  const [email, setEmail] = useState<Record<string, EmailMode>>(() => ({
    ...(initial.email as Record<string, EmailMode>),
  }));
  const save = useMutation({
    mutationFn: () => unwrap(api().PUT('/v1/notifications/preferences', { body: { email } })),
    onSuccess: (p) => qc.setQueryData(notificationKeys.prefs(slug), p),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} className="space-y-4">
      {save.isError && <Banner tone="error">{errorMessage(save.error)}</Banner>}
      {save.isSuccess && <Banner>Saved.</Banner>}
      <div className="divide-y divide-line rounded-lg border border-line bg-white">
        {KINDS.map(({ kind, label, hint }) => (
          <div key={kind} className="flex flex-wrap items-center gap-3 px-3 py-2.5">
            <div className="min-w-0 flex-1">
              <label htmlFor={`pref-${kind}`} className="text-sm font-medium">
                {label}
              </label>
              <p id={`pref-${kind}-hint`} className="text-xs text-muted">
                {hint}
              </p>
            </div>
            <select
              id={`pref-${kind}`}
              aria-describedby={`pref-${kind}-hint`}
              className={`${inputClass} w-40`}
              value={email[kind] ?? 'off'}
              onChange={(e) => {
                save.reset();
                setEmail((m) => ({ ...m, [kind]: e.target.value as EmailMode }));
              }}
            >
              {MODES.map((m) => (
                <option key={m.mode} value={m.mode}>
                  {m.label}
                </option>
              ))}
            </select>
          </div>
        ))}
      </div>
      <Button type="submit" variant="primary" busy={save.isPending}>
        Save preferences
      </Button>
    </form>
  );
}
