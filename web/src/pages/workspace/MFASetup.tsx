import { useMutation, useQuery } from '@tanstack/react-query';
import { ShieldCheck } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { errorMessage, isApiError } from '../../api/problem';
import { sessions } from '../../auth/session';
import { TotpQR } from '../../components/TotpQR';
import { Banner, Button, ErrorState, Field, Input, Spinner } from '../../components/ui';
import { useWorkspaceCtx } from './context';

/** Personal two-factor set-up: TOTP through the API (/v1/me/mfa/totp), then sign in again with it. */
export default function MFASetup() {
  const { slug } = useWorkspaceCtx();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const status = useQuery({ queryKey: ['w', slug, 'mfa'], queryFn: () => unwrap(api().GET('/v1/me/mfa')) });
  const [code, setCode] = useState('');
  const [error, setError] = useState<string>();
  const access = () => sessions.get()?.accessToken ?? '';
  const start = useMutation({
    mutationFn: () => unwrap(api().POST('/v1/me/mfa/totp', { body: { access_token: access() } })),
  });
  const verify = useMutation({
    mutationFn: () =>
      unwrap(
        api().POST('/v1/me/mfa/totp/verify', {
          body: { access_token: access(), code, device_name: 'Authenticator' },
        }),
      ),
    onError: (e) =>
      setError(
        isApiError(e)
          ? e.fieldErrors().code
            ? 'That code is not right. Try the next one.'
            : errorMessage(e)
          : errorMessage(e),
      ),
  });
  const onVerify = (e: FormEvent) => {
    e.preventDefault();
    if (!/^\d{6}$/.test(code)) return setError('Enter the 6-digit code from your authenticator.');
    setError(undefined);
    verify.mutate();
  };
  const signInAgain = async () => {
    await sessions.signOut();
    navigate(`/w/${slug}/signin`, { replace: true });
  };

  return (
    <div className="mx-auto w-full max-w-lg space-y-4 overflow-y-auto px-6 py-8">
      <h1 className="flex items-center gap-2 text-lg font-semibold">
        <ShieldCheck className="size-5 text-brand" aria-hidden /> Two-factor authentication
      </h1>
      {params.get('required') && (
        <Banner tone="warn">Your workspace requires two-factor authentication. Set it up to continue.</Banner>
      )}
      {status.isPending && <Spinner />}
      {status.isError && <ErrorState error={status.error} onRetry={() => void status.refetch()} />}
      {status.data?.enabled && !verify.isSuccess && (
        <Banner>Two-factor authentication is on for your account.</Banner>
      )}
      {verify.isSuccess ? (
        <div className="space-y-3">
          <Banner>Two-factor authentication is on. Sign in again with your authenticator to finish.</Banner>
          <Button variant="primary" onClick={() => void signInAgain()}>
            Sign in again
          </Button>
        </div>
      ) : status.data && !status.data.enabled ? (
        start.data ? (
          <form onSubmit={onVerify} noValidate className="space-y-4">
            <p className="text-sm text-muted">
              Scan the code with an authenticator app (1Password, Google Authenticator, …), then enter the
              code it shows.
            </p>
            <TotpQR uri={start.data.otpauth_uri} secret={start.data.secret_code} />
            <Field label="6-digit code" error={error}>
              {(p) => (
                <Input
                  {...p}
                  value={code}
                  onChange={(e) => setCode(e.target.value.replace(/\D/g, '').slice(0, 6))}
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  className="max-w-40 font-mono tracking-[0.3em]"
                />
              )}
            </Field>
            <Button type="submit" variant="primary" busy={verify.isPending}>
              Turn on
            </Button>
          </form>
        ) : (
          <div className="space-y-3">
            <p className="text-sm text-muted">
              Protect your account with a code from an authenticator app each time you sign in.
            </p>
            {start.isError && <Banner tone="error">{errorMessage(start.error)}</Banner>}
            <Button variant="primary" busy={start.isPending} onClick={() => start.mutate()}>
              Set up an authenticator
            </Button>
          </div>
        )
      ) : null}
    </div>
  );
}
