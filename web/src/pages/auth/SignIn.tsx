import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { isApiError } from '../../api/problem';
import { config } from '../../config';
import { cognitoMessage, type AuthAnswer } from '../../auth/cognito';
import { safeNext } from '../../auth/guard';
import { passwordHint, passwordProblem } from '../../auth/password';
import { cognitoFor, sessions, type SessionStore, type Workspace } from '../../auth/session';
import { useWorkspace } from '../../auth/workspace';
import { otpauthURI, TotpQR } from '../../components/TotpQR';
import { Banner, Button, ErrorState, Field, Input, Spinner } from '../../components/ui';
import { AuthShell } from './AuthShell';

type Step =
  | { kind: 'password' }
  | { kind: 'new_password'; session?: string; username: string }
  | { kind: 'mfa'; session?: string; username: string }
  | { kind: 'mfa_setup'; session?: string; username: string; secret?: string };

export default function SignIn() {
  const { slug = '' } = useParams();
  const ws = useWorkspace(slug);
  if (ws.isPending)
    return (
      <AuthShell title="Sign in">
        <Spinner />
      </AuthShell>
    );
  if (ws.isError)
    return (
      <AuthShell title="Sign in">
        {isApiError(ws.error, 404) ? (
          <div className="space-y-3 text-sm" data-testid="no-workspace">
            <p>
              There is no workspace at <strong>{slug}</strong>.
            </p>
            <Link to="/signin" className="font-medium text-brand hover:underline">
              Try another address
            </Link>
          </div>
        ) : (
          <ErrorState error={ws.error} onRetry={() => void ws.refetch()} />
        )}
      </AuthShell>
    );
  return <SignInForm ws={ws.data} />;
}

/** The sign-in steps against a pool: password, new password, TOTP (challenge or set-up). The
 * provider console uses it with the provider pool and Root's session store. */
export function SignInForm({
  ws,
  store = sessions,
  home = `/w/${ws.slug}/issues`,
  provider = false,
}: {
  ws: Workspace;
  store?: SessionStore;
  home?: string;
  provider?: boolean;
}) {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'), home);
  const expired = params.get('expired') === '1';
  const moved = params.get('moved') === '1';
  const signedOut = params.get('signedout') === '1';
  const [step, setStep] = useState<Step>({ kind: 'password' });
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const cognito = cognitoFor(ws);

  const handle = async (a: AuthAnswer, username: string) => {
    if (a.AuthenticationResult) {
      store.start(ws, a.AuthenticationResult, username);
      navigate(next, { replace: true });
      return;
    }
    const user = a.ChallengeParameters?.USER_ID_FOR_SRP ?? username;
    switch (a.ChallengeName) {
      case 'NEW_PASSWORD_REQUIRED':
        setStep({ kind: 'new_password', session: a.Session, username: user });
        return;
      case 'SOFTWARE_TOKEN_MFA':
        setCode('');
        setStep({ kind: 'mfa', session: a.Session, username: user });
        return;
      case 'MFA_SETUP': {
        const assoc = await cognito.associateSoftwareToken({ Session: a.Session ?? '' });
        setCode('');
        setStep({
          kind: 'mfa_setup',
          session: assoc.Session ?? a.Session,
          username: user,
          secret: assoc.SecretCode,
        });
        return;
      }
      default:
        setError(`This sign-in needs a step the web app does not support (${a.ChallengeName ?? 'unknown'}).`);
    }
  };

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
    } catch (e) {
      setError(cognitoMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const onPassword = (e: FormEvent) => {
    e.preventDefault();
    const fe: Record<string, string> = {};
    if (!/^[^\s@]+@[^\s@]+$/.test(email.trim())) fe.email = 'Enter your email address.';
    if (!password) fe.password = 'Enter your password.';
    setFieldErrors(fe);
    if (Object.keys(fe).length) return;
    void run(async () =>
      handle(
        // The workspace rides along: a user whose workspace moved into the
        // shared pool is found in its old pool by it (the user-migration trigger).
        await cognito.signIn(email.trim(), password, provider ? undefined : { tenant_id: ws.slug }),
        email.trim(),
      ),
    );
  };

  const onNewPassword = (e: FormEvent) => {
    e.preventDefault();
    if (step.kind !== 'new_password') return;
    const fe: Record<string, string> = {};
    const problem = passwordProblem(newPassword, ws.password_policy);
    if (problem) fe.newPassword = problem;
    else if (newPassword !== confirm) fe.confirm = 'The two passwords differ.';
    setFieldErrors(fe);
    if (Object.keys(fe).length) return;
    void run(async () => {
      const a = await cognito.respond('NEW_PASSWORD_REQUIRED', step.session, {
        USERNAME: step.username,
        NEW_PASSWORD: newPassword,
      });
      // cognito-local does not keep the refresh token it issues from
      // RespondToAuthChallenge, so a reload would sign the user out: locally,
      // sign in once more with the new password (real Cognito needs not).
      if (a.AuthenticationResult && config().environment === 'local') {
        return handle(await cognito.signIn(email.trim() || step.username, newPassword), step.username);
      }
      return handle(a, step.username);
    });
  };

  const onCode = (e: FormEvent) => {
    e.preventDefault();
    if (step.kind !== 'mfa' && step.kind !== 'mfa_setup') return;
    if (!/^\d{6}$/.test(code))
      return setFieldErrors({ code: 'Enter the 6-digit code from your authenticator.' });
    setFieldErrors({});
    void run(async () => {
      if (step.kind === 'mfa') {
        return handle(
          await cognito.respond('SOFTWARE_TOKEN_MFA', step.session, {
            USERNAME: step.username,
            SOFTWARE_TOKEN_MFA_CODE: code,
          }),
          step.username,
        );
      }
      const v = await cognito.verifySoftwareToken({ Session: step.session ?? '' }, code);
      return handle(
        await cognito.respond('MFA_SETUP', v.Session ?? step.session, { USERNAME: step.username }),
        step.username,
      );
    });
  };

  const title =
    step.kind === 'new_password'
      ? 'Choose your password'
      : step.kind === 'mfa'
        ? 'Two-factor authentication'
        : step.kind === 'mfa_setup'
          ? 'Set up two-factor authentication'
          : provider
            ? 'Provider console'
            : `Sign in to ${ws.name}`;

  return (
    <AuthShell
      title={title}
      subtitle={
        step.kind === 'password' && provider ? (
          <span>Sign in as the platform's root</span>
        ) : step.kind === 'password' ? (
          <span>
            {location.host}/w/{ws.slug}
          </span>
        ) : undefined
      }
    >
      {moved && step.kind === 'password' && (
        <div className="mb-4">
          <Banner tone="warn">
            Your workspace moved to a new sign-in. Sign in again with the same email and password.
          </Banner>
        </div>
      )}
      {signedOut && !expired && !moved && step.kind === 'password' && (
        <div className="mb-4">
          <Banner>
            You signed out. Your sessions in other browsers and devices end within 30 seconds too.
          </Banner>
        </div>
      )}
      {expired && !moved && step.kind === 'password' && (
        <div className="mb-4">
          <Banner tone="warn">Your session has ended. Sign in again to continue where you were.</Banner>
        </div>
      )}
      {error && (
        <div className="mb-4">
          <Banner tone="error">{error}</Banner>
        </div>
      )}
      {step.kind === 'password' && (
        <form onSubmit={onPassword} noValidate className="space-y-4" aria-label="Sign in">
          <Field label="Email" error={fieldErrors.email}>
            {(p) => (
              <Input
                {...p}
                type="email"
                value={email}
                onChange={(e) => setEmail(e.target.value)}
                autoComplete="username"
                autoFocus
              />
            )}
          </Field>
          <Field label="Password" error={fieldErrors.password}>
            {(p) => (
              <Input
                {...p}
                type="password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                autoComplete="current-password"
              />
            )}
          </Field>
          <Button type="submit" variant="primary" busy={busy} className="w-full">
            Sign in
          </Button>
          {!provider && (
            <p className="text-center text-xs text-muted">
              Not your workspace?{' '}
              <Link to="/signin" className="font-medium text-brand hover:underline">
                Choose another
              </Link>
            </p>
          )}
        </form>
      )}
      {step.kind === 'new_password' && (
        <form onSubmit={onNewPassword} noValidate className="space-y-4" aria-label="Choose your password">
          <p className="text-sm text-muted">
            You signed in with a temporary password. Choose your own to continue.
          </p>
          <Field label="New password" error={fieldErrors.newPassword} hint={passwordHint(ws.password_policy)}>
            {(p) => (
              <Input
                {...p}
                type="password"
                value={newPassword}
                onChange={(e) => setNewPassword(e.target.value)}
                autoComplete="new-password"
                autoFocus
              />
            )}
          </Field>
          <Field label="Confirm new password" error={fieldErrors.confirm}>
            {(p) => (
              <Input
                {...p}
                type="password"
                value={confirm}
                onChange={(e) => setConfirm(e.target.value)}
                autoComplete="new-password"
              />
            )}
          </Field>
          <Button type="submit" variant="primary" busy={busy} className="w-full">
            Set password and sign in
          </Button>
        </form>
      )}
      {(step.kind === 'mfa' || step.kind === 'mfa_setup') && (
        <form onSubmit={onCode} noValidate className="space-y-4" aria-label={title}>
          {step.kind === 'mfa_setup' && step.secret && (
            <>
              <p className="text-sm text-muted">
                Two-factor sign-in is required. Scan this code with an authenticator app.
              </p>
              <TotpQR uri={otpauthURI(step.secret, step.username)} secret={step.secret} />
            </>
          )}
          {step.kind === 'mfa' && (
            <p className="text-sm text-muted">
              Enter the code your authenticator app shows for IssueTracker.
            </p>
          )}
          <Field label="6-digit code" error={fieldErrors.code}>
            {(p) => (
              <Input
                {...p}
                value={code}
                onChange={(e) => setCode(e.target.value.replace(/\D/g, '').slice(0, 6))}
                inputMode="numeric"
                autoComplete="one-time-code"
                autoFocus
                className="font-mono tracking-[0.3em]"
              />
            )}
          </Field>
          <Button type="submit" variant="primary" busy={busy} className="w-full">
            {step.kind === 'mfa' ? 'Verify' : 'Turn on and sign in'}
          </Button>
        </form>
      )}
    </AuthShell>
  );
}
