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

const here = 'https://app.invalid';

/**
 * A same-site path to return to after sign-in (never another origin). The
 * path is judged as the browser will read it: URL parsing drops tabs and
 * newlines anywhere and reads a backslash as a slash, so "/\t/evil.example"
 * and "/\\evil.example" are "//evil.example", another origin (react-router's
 * push falls back to location.assign when history refuses a cross-origin
 * URL). Anything with a control character or a backslash, or that does not
 * resolve to this origin, is the fallback; else the path as parsed.
 */
export function safeNext(next: string | null | undefined, fallback: string): string {
  // eslint-disable-next-line no-control-regex
  if (!next || !next.startsWith('/') || /[\u0000-\u001f\u007f\\]/.test(next)) return fallback;
  let url: URL;
  try {
    url = new URL(next, here);
  } catch {
    return fallback;
  }
  if (url.origin !== here) return fallback;
  return url.pathname + url.search + url.hash;
}
