import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { CheckCircle2, Circle, Clock, Loader2, MailCheck, XCircle } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { errorMessage, isApiError } from '../../api/problem';
import { registrations, type Registration } from '../../api/registration';
import { Banner, Button, ErrorState, Field, Input, Spinner } from '../../components/ui';
import { MarketingShell } from './Shell';

const STEP_LABEL: Record<string, string> = {
  verify_email: 'Email verified',
  approval: 'Plan approved',
  place: 'Database and user pool ready',
  deploy_stack: 'Dedicated stack deployed',
  admin_user: 'Your admin account created',
  invite_admin: 'Sign-in details emailed to you',
  api_key: 'API key issued',
  activate: 'Workspace activated',
};

interface StepView {
  step: string;
  state: 'done' | 'running' | 'pending' | 'failed';
}

/** The onboarding steps in order with their state; the first pending one runs while provisioning. */
export function stepViews(r: Registration): StepView[] {
  const out: StepView[] = r.steps.map((s) => ({
    step: s.step,
    state:
      s.state === 'done'
        ? 'done'
        : s.state === 'failed'
          ? 'failed'
          : s.state === 'waiting'
            ? 'running'
            : 'pending',
  }));
  const busy = r.status === 'provisioning' || r.status === 'registered';
  const first = out.find((s) => s.state === 'pending');
  if (busy && first && !out.some((s) => s.state === 'running')) first.state = 'running';
  return out;
}

function StepIcon({ state }: { state: StepView['state'] }) {
  if (state === 'done') return <CheckCircle2 className="size-4 text-emerald-700" aria-hidden />;
  if (state === 'running') return <Loader2 className="size-4 animate-spin text-brand" aria-hidden />;
  if (state === 'failed') return <XCircle className="size-4 text-red-600" aria-hidden />;
  return <Circle className="size-4 text-faint" aria-hidden />;
}

function VerifyForm({
  tenantId,
  email,
  api,
  token,
}: {
  tenantId: string;
  email?: string;
  api?: string;
  token: string;
}) {
  const qc = useQueryClient();
  const [code, setCode] = useState('');
  const [error, setError] = useState<string>();
  const verify = useMutation({
    mutationFn: () => registrations.verify(tenantId, token, code.trim(), api),
    onSuccess: (r) => qc.setQueryData(['registration', tenantId], r),
    onError: (e) => {
      if (isApiError(e, 400, 'invalid_code'))
        setError('That code is not right. Check the latest email we sent.');
      else if (isApiError(e, 400, 'code_expired')) setError('That code has expired. Send a new one.');
      else if (isApiError(e, 409, 'verification_locked'))
        setError('Too many wrong codes. Send a new code to try again.');
      else setError(errorMessage(e));
    },
  });
  const resend = useMutation({ mutationFn: () => registrations.resend(tenantId, token, api) });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!/^\d{6}$/.test(code.trim())) return setError('Enter the 6-digit code from the email.');
    setError(undefined);
    verify.mutate();
  };
  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4" aria-label="Verify your email">
      <div className="flex items-start gap-3">
        <MailCheck className="mt-0.5 size-5 text-brand" aria-hidden />
        <p className="text-sm">
          We sent a 6-digit code to <strong>{email ?? 'your email'}</strong>. Enter it to confirm the address.
        </p>
      </div>
      <Field label="Verification code" error={error}>
        {(p) => (
          <Input
            {...p}
            value={code}
            onChange={(e) => setCode(e.target.value.replace(/[^\d]/g, '').slice(0, 6))}
            inputMode="numeric"
            autoComplete="one-time-code"
            autoFocus
            className="max-w-40 font-mono tracking-[0.3em]"
          />
        )}
      </Field>
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" variant="primary" busy={verify.isPending}>
          Verify email
        </Button>
        <Button type="button" variant="ghost" busy={resend.isPending} onClick={() => resend.mutate()}>
          Send a new code
        </Button>
        {resend.isSuccess && (
          <span className="text-xs text-muted" role="status">
            A new code is on its way.
          </span>
        )}
        {resend.isError && (
          <span className="text-xs text-red-700" role="alert">
            {errorMessage(resend.error)}
          </span>
        )}
      </div>
    </form>
  );
}

export default function SignupStatus() {
  const { slug = '' } = useParams();
  const signup = (() => {
    try {
      return JSON.parse(sessionStorage.getItem(`itr.signup.${slug}`) ?? 'null') as {
        email?: string;
        tier?: string;
        /** The API of the cell that holds the registration, when not this one's. */
        api?: string;
        /** The registration's status token: only its registrant reads its progress. */
        token?: string;
      } | null;
    } catch {
      return null;
    }
  })();
  const q = useQuery({
    queryKey: ['registration', slug],
    queryFn: () => registrations.get(slug, signup?.token ?? '', signup?.api),
    refetchInterval: (query) => {
      const s = query.state.data?.status;
      if (s === 'active' || s === 'failed') return false;
      if (s === 'pending_verification') return false;
      if (s === 'pending_approval') return 10_000;
      return 1_000;
    },
  });
  const r = q.data;
  const steps = r ? stepViews(r) : [];

  return (
    <MarketingShell>
      <section className="mx-auto max-w-xl px-4 py-12">
        <h1 className="text-2xl font-semibold tracking-tight">Setting up {slug}</h1>
        <div className="mt-6 rounded-xl border border-line p-5" aria-live="polite">
          {q.isPending && <Spinner label="Looking up your registration" />}
          {q.isError &&
            (isApiError(q.error, 404) ? (
              <p className="text-sm">
                We have no registration for <strong>{slug}</strong> in this browser tab (its progress shows
                only where it was signed up).{' '}
                <Link to="/signup" className="text-brand hover:underline">
                  Sign up
                </Link>
              </p>
            ) : (
              <ErrorState error={q.error} onRetry={() => void q.refetch()} />
            ))}
          {r?.status === 'pending_verification' && (
            <VerifyForm tenantId={slug} email={signup?.email} api={signup?.api} token={signup?.token ?? ''} />
          )}
          {r && r.status !== 'pending_verification' && (
            <div className="space-y-4">
              <p className="text-sm font-medium" data-testid="registration-status">
                {r.status === 'active' && 'Your workspace is ready.'}
                {r.status === 'pending_approval' &&
                  'Your email is verified. Your plan is waiting for our approval.'}
                {(r.status === 'provisioning' || r.status === 'registered') && 'Creating your workspace…'}
                {r.status === 'failed' &&
                  'Setting up your workspace failed. Our team has been alerted and will get back to you.'}
              </p>
              {steps.length > 0 && (
                <ol className="space-y-2" aria-label="Onboarding steps">
                  {steps.map((s) => (
                    <li key={s.step} className="flex items-center gap-2 text-sm">
                      <StepIcon state={s.state} />
                      <span className={s.state === 'pending' ? 'text-muted' : ''}>
                        {r.tier === 'platinum' && s.step === 'place'
                          ? 'Your dedicated stack deployed: its own database, user pool and alarms'
                          : (STEP_LABEL[s.step] ?? s.step.replace(/_/g, ' '))}
                      </span>
                      <span className="sr-only">({s.state})</span>
                    </li>
                  ))}
                </ol>
              )}
              {r.status === 'pending_approval' && (
                <Banner>
                  <span className="flex items-center gap-2">
                    <Clock className="size-4" aria-hidden /> We review paid plans within a business day. You
                    will get an email as soon as it is approved; this page updates by itself.
                  </span>
                </Banner>
              )}
              {r.status === 'active' && (
                <div className="space-y-3">
                  <p className="text-sm text-muted">
                    We emailed {signup?.email ? <strong>{signup.email}</strong> : 'you'} a temporary password.
                    Sign in with it; you will choose your own password on the way in.
                  </p>
                  <Link
                    to={`/w/${slug}/signin`}
                    className="inline-flex rounded-md bg-brand px-3 py-1.5 text-sm font-medium text-brand-fg hover:brightness-110"
                  >
                    Go to your workspace sign-in
                  </Link>
                </div>
              )}
            </div>
          )}
        </div>
      </section>
    </MarketingShell>
  );
}
