import createClient, { type Middleware } from 'openapi-fetch';
import { config } from '../config';
import { ApiError, type Problem } from './problem';
import type { paths } from './schema';

export type { components, paths } from './schema';

/** Supplies the bearer token of the current session (the ID token). */
export type TokenSource = () => Promise<string | undefined>;

let tokenSource: TokenSource = async () => undefined;

export function setTokenSource(t: TokenSource) {
  tokenSource = t;
}

/** Supplies the API of the current workspace's cell (undefined: this deployment's). */
export type BaseSource = () => string | undefined;

let baseSource: BaseSource = () => undefined;

export function setBaseSource(b: BaseSource) {
  baseSource = b;
}

/**
 * request sent to base instead of this deployment's API: a workspace in
 * another cell (the workspace lookup's api_url) is served by that cell's API
 * only. Calls already addressed elsewhere (a registration's redirect) stay.
 */
export async function rebase(request: Request, own: string, base: string | undefined): Promise<Request> {
  const from = own.replace(/\/$/, '');
  const to = base?.replace(/\/$/, '');
  if (!to || to === from || !request.url.startsWith(from + '/')) return request;
  // The body is read, not passed on as a stream: Chromium refuses a
  // Request made from a streaming body without duplex.
  const body = ['GET', 'HEAD'].includes(request.method) ? undefined : await request.arrayBuffer();
  return new Request(to + request.url.slice(from.length), {
    method: request.method,
    headers: request.headers,
    body,
    signal: request.signal,
    credentials: request.credentials,
    mode: request.mode,
    cache: request.cache,
    redirect: request.redirect,
  });
}

const auth: Middleware = {
  async onRequest({ request }) {
    const base = baseSource();
    if (base)
      request = await rebase(request, new URL(config().api_url, globalThis.location?.href).href, base);
    const token = await tokenSource();
    if (token && !request.headers.has('Authorization'))
      request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
};

function makeClient() {
  const c = createClient<paths>({ baseUrl: config().api_url.replace(/\/$/, '') });
  c.use(auth);
  return c;
}

let client: ReturnType<typeof makeClient> | undefined;

/** The typed API client, generated from /v1/openapi.json (make web-api). */
export function api() {
  client ??= makeClient();
  return client;
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Returns the data of a successful answer, or throws its problem as an ApiError. */
export async function unwrap<T>(p: Promise<FetchResult<T>>): Promise<T> {
  let r: FetchResult<T>;
  try {
    r = await p;
  } catch {
    throw new ApiError(0, undefined);
  }
  if (r.response.ok) return r.data as T;
  const retry = Number(r.response.headers.get('Retry-After')) || undefined;
  const problem = (typeof r.error === 'object' && r.error ? r.error : undefined) as
    Partial<Problem> | undefined;
  throw new ApiError(r.response.status, problem, retry);
}

/** The If-Match value for an issue of this version (its ETag). */
export function etag(version: number): string {
  return `"${version}"`;
}
