import { setConfig } from '../../config';
import { testConfig } from '../../test/config';
import { bulkEdit, bulkMove } from './bulkRun';

const json = (status: number, body: unknown, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } });

let handle: (r: Request) => Promise<Response>;
beforeAll(() => {
  vi.stubGlobal('fetch', (r: Request) => handle(r));
  setConfig(testConfig('http://api.test'));
});

describe('bulk moves to a project', () => {
  it('moves one issue at a time in order, skips those already there, and keeps a refusal as that issue’s result', async () => {
    const calls: { url: string; key: string | null; body: string }[] = [];
    let n = 0;
    handle = async (req) => {
      calls.push({ url: req.url, key: req.headers.get('Idempotency-Key'), body: await req.text() });
      if (req.url.endsWith('/i2/move'))
        return json(
          403,
          { type: 'about:blank', title: 'Forbidden', status: 403, code: 'forbidden', detail: 'not yours' },
          'application/problem+json',
        );
      n += 1;
      const id = /issues\/(\w+)\/move/.exec(req.url)![1];
      return json(200, { id, key: `NEW-${n}`, version: 2 });
    };
    const r = await bulkMove(
      [
        { id: 'i1', key: 'OLD-1', project_id: 'a' },
        { id: 'i2', key: 'OLD-2', project_id: 'a' },
        { id: 'i3', key: 'NEW-9', project_id: 'b' },
        { id: 'i4', key: 'OLD-4', project_id: 'a' },
      ],
      'b',
    );
    expect(calls.map((c) => c.url)).toEqual([
      'http://api.test/v1/issues/i1/move',
      'http://api.test/v1/issues/i2/move',
      'http://api.test/v1/issues/i4/move',
    ]);
    expect(calls.every((c) => c.key && JSON.parse(c.body).project_id === 'b')).toBe(true);
    expect(r.succeeded).toBe(3);
    expect(r.failed).toBe(1);
    expect(r.results.map((x) => [x.ref, x.status, x.key])).toEqual([
      ['i1', 200, 'NEW-1'],
      ['i2', 403, 'OLD-2'],
      ['i3', 200, 'NEW-9'],
      ['i4', 200, 'NEW-2'],
    ]);
    expect(r.results[1]!.detail).toBe('not yours');
  });
});

describe('bulk edits', () => {
  it('sends 150 issues as requests of 100 and 50 with their versions, and merges the results', async () => {
    const bodies: { issues: { id: string; version: number }[]; changes: unknown }[] = [];
    handle = async (req) => {
      const b = JSON.parse(await req.text()) as (typeof bodies)[number];
      bodies.push(b);
      return json(200, {
        results: b.issues.map((i) => ({ ref: i.id, status: 200 })),
        succeeded: b.issues.length,
        failed: 0,
      });
    };
    const issues = Array.from({ length: 150 }, (_, i) => ({ id: `i${i}`, version: i }));
    const r = await bulkEdit(issues, { cycle_id: 'c1' });
    expect(bodies.map((b) => b.issues.length)).toEqual([100, 50]);
    expect(bodies[1]!.issues[0]).toEqual({ id: 'i100', version: 100 });
    expect(bodies[0]!.changes).toEqual({ cycle_id: 'c1' });
    expect(r.succeeded).toBe(150);
  });
});
