import { isApiError } from '../api/problem';

// The API refused the session (401), the session's sign-in moved (403
// session_moved: a tier change moved the workspace to another user pool; a
// 403 because in AWS only the authorizer's Deny carries a code),
// the tenant is suspended, or the workspace requires MFA: the workspace
// shell reacts (sign-in and back, the suspension page, MFA set-up).
export type AuthFailure = 'expired' | 'moved' | 'suspended' | 'mfa';

/** The auth failure an API error means, if any. */
export function authFailureOf(e: unknown): AuthFailure | undefined {
  if (isApiError(e, 403, 'session_moved')) return 'moved';
  if (isApiError(e, 401)) return 'expired';
  if (isApiError(e, 403, 'tenant_suspended')) return 'suspended';
  if (isApiError(e, 403, 'mfa_required')) return 'mfa';
  return undefined;
}

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
