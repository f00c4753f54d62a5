// The API refused the session (401), the tenant is suspended, or the
// workspace requires MFA: the workspace shell reacts (sign-in and back,
// the suspension page, MFA set-up).
export type AuthFailure = 'expired' | 'suspended' | 'mfa';

type Handler = (f: AuthFailure) => void;
let handler: Handler | undefined;

export function onAuthFailure(h: Handler): () => void {
  handler = h;
  return () => {
    if (handler === h) handler = undefined;
  };
}

export function notifyAuthFailure(f: AuthFailure) {
  handler?.(f);
}

/** A same-site path to return to after sign-in (never another origin). */
export function safeNext(next: string | null | undefined, fallback: string): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return fallback;
  return next;
}
