import { afterEach, describe, expect, it, vi } from 'vitest';
import { setConfig } from '../config';
import { testConfig } from '../test/config';
import { registrations } from './registration';

// A registration's progress is its registrant's: the API answers 404 without
// its status token, so the sign-up flow must send the one it was given.
describe('registrations', () => {
  setConfig(testConfig('http://api.test/'));
  const seen: Request[] = [];
  const stub = () =>
    vi.stubGlobal(
      'fetch',
      vi.fn((r: Request) => {
        seen.push(r);
        return Promise.resolve(
          new Response('{"tenant_id":"acme","status":"pending_verification"}', {
            status: 200,
            headers: { 'Content-Type': 'application/json' },
          }),
        );
      }),
    );
  afterEach(() => {
    vi.unstubAllGlobals();
    seen.length = 0;
  });

  it('reads a registration with its status token', async () => {
    stub();
    await registrations.get('acme', 'tok-1/+=');
    expect(seen[0]!.url).toBe('http://api.test/v1/registrations/acme?token=tok-1%2F%2B%3D');
  });
  it('asks for a new code with its status token, on the cell that holds it', async () => {
    stub();
    await registrations.resend('acme', 'tok-2', 'http://cell2.test');
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.url).toBe('http://cell2.test/v1/registrations/acme/verification?token=tok-2');
  });
});
