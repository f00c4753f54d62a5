// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import { SessionStore, type Workspace } from './session';

const ws: Workspace = { slug: 'acme', name: 'Acme', user_pool_id: 'p', client_id: 'c', region: 'local' };
const jwt = (claims: object) => `h.${btoa(JSON.stringify(claims))}.s`;

describe('sign-out', () => {
  it('ends the session at the API with its ID token, then here', async () => {
    const ended: string[] = [];
    const store = new SessionStore('test.session', false, async (t) => void ended.push(t));
    const id = jwt({ sub: 'u1', email: 'user@acme.test', exp: Date.now() / 1000 + 3600 });
    store.start(ws, { IdToken: id, AccessToken: 'a', ExpiresIn: 3600 });
    await store.signOut();
    expect(ended).toEqual([id]);
    expect(store.get()).toBeUndefined();
  });

  it('ends the session here even when the API cannot be reached', async () => {
    const store = new SessionStore('test.session', false, vi.fn().mockRejectedValue(new Error('offline')));
    store.start(ws, { IdToken: jwt({ sub: 'u1' }), AccessToken: 'a', ExpiresIn: 3600 });
    await expect(store.signOut()).resolves.toBeUndefined();
    expect(store.get()).toBeUndefined();
  });
});
