import { describe, expect, it } from 'vitest';
import { rebase } from './client';

describe('rebase', () => {
  const own = 'http://localhost:8080/';
  it("sends this deployment's calls to the workspace's cell", async () => {
    const r = await rebase(
      new Request('http://localhost:8080/v1/issues?limit=5', { method: 'POST', body: '{"title":"x"}' }),
      own,
      'http://localhost:8081',
    );
    expect(r.url).toBe('http://localhost:8081/v1/issues?limit=5');
    expect(r.method).toBe('POST');
    expect(await r.text()).toBe('{"title":"x"}');
    expect(r.headers.get('Content-Type')).toContain('text/plain');
  });
  it('leaves calls alone without another cell, or addressed elsewhere', async () => {
    const here = new Request('http://localhost:8080/v1/me');
    expect(await rebase(here, own, undefined)).toBe(here);
    expect(await rebase(here, own, 'http://localhost:8080')).toBe(here);
    const elsewhere = new Request('http://localhost:8082/v1/registrations');
    expect(await rebase(elsewhere, own, 'http://localhost:8081')).toBe(elsewhere);
  });
});
