import type { components } from './schema';

export type Problem = components['schemas']['Problem'];

/** An error answer of the API (RFC 9457 problem+json), thrown by unwrap. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem;
  readonly retryAfter?: number;

  constructor(status: number, problem: Partial<Problem> | undefined, retryAfter?: number) {
    const p: Problem = {
      type: problem?.type ?? 'about:blank',
      title: problem?.title ?? (status === 0 ? 'Network error' : `HTTP ${status}`),
      status,
      code: problem?.code ?? (status === 0 ? 'network_error' : `http_${status}`),
      detail: problem?.detail,
      errors: problem?.errors,
      request_id: problem?.request_id,
    };
    super(p.detail || p.title);
    this.name = 'ApiError';
    this.status = status;
    this.code = p.code;
    this.problem = p;
    this.retryAfter = retryAfter;
  }

  /** The problem's field errors by field name (first reason wins). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.problem.errors ?? []) {
      if (e.field && !(e.field in out)) out[e.field] = e.reason ?? 'is invalid';
    }
    return out;
  }
}

export function isApiError(e: unknown, status?: number, code?: string): e is ApiError {
  return (
    e instanceof ApiError &&
    (status === undefined || e.status === status) &&
    (code === undefined || e.code === code)
  );
}

/** A human sentence for any error. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 429)
      return `Too many requests; try again${e.retryAfter ? ` in ${e.retryAfter} s` : ' shortly'}.`;
    if (e.status === 0) return 'The service cannot be reached. Check your connection and try again.';
    // 503 with Retry-After (a tier migration's write freeze): nothing was written, what was typed
    // stays where it is, and sending it again shortly goes through.
    if (e.status === 503 && e.retryAfter)
      return `${e.problem.detail || e.problem.title} Nothing was saved yet: try again in ${e.retryAfter} s.`;
    return e.problem.detail || e.problem.title;
  }
  if (e instanceof Error) return e.message;
  return 'Something went wrong.';
}

/**
 * Whether a failed read is tried again (the query client's `retry`). A
 * 429 or a 503 that names its Retry-After is the server asking for a later
 * try, so a read waits and tries up to three times before the page shows
 * the error; any other 4xx is final; a network error or another 5xx is
 * tried twice.
 */
export function retryRead(failures: number, e: unknown): boolean {
  if (isApiError(e) && (e.status === 429 || (e.status === 503 && e.retryAfter))) return failures < 3;
  return failures < 2 && !(isApiError(e) && e.status >= 400 && e.status < 500);
}

/** The wait before a read is tried again: the server's Retry-After (at most 10 s), else 1, 2, 4 s ... */
export function readRetryDelay(failures: number, e: unknown): number {
  if (isApiError(e) && e.retryAfter) return Math.min(e.retryAfter, 10) * 1000;
  return Math.min(1000 * 2 ** failures, 30_000);
}
