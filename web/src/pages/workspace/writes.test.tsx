// @vitest-environment jsdom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { setConfig } from '../../config';
import { testConfig } from '../../test/config';
import type { Issue } from './data';
import { keys } from './data';
import { useIssueWrites } from './writes';

const base: Issue = {
  id: 'i1',
  key: 'ACME-1',
  project_id: 'default',
  number: 1,
  title: 'Crash on save',
  description: '',
  type: 'bug',
  priority: 'low',
  status: 'open',
  category: 'unstarted',
  labels: [],
  mentions: [],
  reporter_id: 'u1',
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  version: 3,
};
// Someone else renamed the issue meanwhile: version 4.
const theirs: Issue = { ...base, title: 'Crash on save (Safari)', version: 4 };

const json = (status: number, body: unknown, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } });

interface Call {
  method: string;
  url: string;
  ifMatch: string | null;
  body: string;
}

function server() {
  const calls: Call[] = [];
  let version = 4;
  let current: Issue = theirs;
  const fetch = vi.fn(async (req: Request) => {
    const call = {
      method: req.method,
      url: req.url,
      ifMatch: req.headers.get('If-Match'),
      body: await req.text(),
    };
    calls.push(call);
    if (req.method === 'GET') return json(200, current);
    if (call.ifMatch !== `"${version}"`)
      return json(
        412,
        { type: 'about:blank', title: 'Precondition Failed', status: 412, code: 'version_mismatch' },
        'application/problem+json',
      );
    const patch = JSON.parse(call.body) as Partial<Issue>;
    version += 1;
    current = { ...current, ...patch, version };
    return json(200, current);
  });
  return { fetch, calls };
}

// openapi-fetch keeps the fetch it was created with: one stub, per-test handlers.
let handle: (r: Request) => Promise<Response>;
beforeAll(() => {
  vi.stubGlobal('fetch', (r: Request) => handle(r));
});

describe('optimistic writes with If-Match', () => {
  it('a 412 rolls back, shows their change, and reapplies mine on the latest version', async () => {
    setConfig(testConfig('http://api.test'));
    const srv = server();
    handle = srv.fetch;
    const qc = new QueryClient();
    qc.setQueryData(keys.issue('acme', 'ACME-1'), base);
    const wrapper = ({ children }: { children: ReactNode }) => (
      <QueryClientProvider client={qc}>{children}</QueryClientProvider>
    );
    const { result } = renderHook(() => useIssueWrites('acme'), { wrapper });

    let saved: Issue | undefined;
    await act(async () => {
      saved = await result.current.write(base, { kind: 'patch', patch: { priority: 'high' } });
    });
    expect(saved).toBeUndefined();
    expect(srv.calls[0]).toMatchObject({ method: 'PATCH', ifMatch: '"3"' });
    expect(JSON.parse(srv.calls[0]!.body)).toEqual({ priority: 'high' });
    // The stale copy is replaced by the issue as it is now, without my change.
    expect(qc.getQueryData<Issue>(keys.issue('acme', 'ACME-1'))).toMatchObject({
      title: 'Crash on save (Safari)',
      priority: 'low',
      version: 4,
    });
    expect(result.current.pending).toMatchObject({ theirs: ['title'], clashes: [], alreadyApplied: false });

    await act(async () => {
      await result.current.reapply();
    });
    const last = srv.calls[srv.calls.length - 1]!;
    expect(last).toMatchObject({ method: 'PATCH', ifMatch: '"4"' });
    expect(result.current.pending).toBeUndefined();
    expect(qc.getQueryData<Issue>(keys.issue('acme', 'ACME-1'))).toMatchObject({
      title: 'Crash on save (Safari)',
      priority: 'high',
      version: 5,
    });
  });

  it('a transition carries If-Match too, and a refusal other than 412 rolls back and throws', async () => {
    const fetch = vi.fn(async () =>
      json(
        422,
        {
          type: 'about:blank',
          title: 'Unprocessable',
          status: 422,
          code: 'transition_forbidden',
          errors: [{ field: 'to', reason: 'not allowed from open' }],
        },
        'application/problem+json',
      ),
    );
    handle = fetch;
    const qc = new QueryClient();
    qc.setQueryData(keys.issue('acme', 'ACME-1'), base);
    const wrapper = ({ children }: { children: ReactNode }) => (
      <QueryClientProvider client={qc}>{children}</QueryClientProvider>
    );
    const { result } = renderHook(() => useIssueWrites('acme'), { wrapper });
    await act(async () => {
      await expect(result.current.write(base, { kind: 'transition', to: 'in_review' })).rejects.toMatchObject(
        { status: 422, code: 'transition_forbidden' },
      );
    });
    const req = (fetch.mock.calls[0] as unknown as [Request])[0];
    expect(req.headers.get('If-Match')).toBe('"3"');
    expect(qc.getQueryData<Issue>(keys.issue('acme', 'ACME-1'))?.status).toBe('open');
  });
});
