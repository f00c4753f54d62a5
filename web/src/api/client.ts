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

const auth: Middleware = {
  async onRequest({ request }) {
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
