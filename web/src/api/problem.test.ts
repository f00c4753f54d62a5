import { describe, expect, it } from 'vitest';
import { ApiError, errorMessage, readRetryDelay, retryRead } from './problem';

describe('errorMessage', () => {
  it('tells a write refused during a migration freeze to try again after Retry-After', () => {
    const e = new ApiError(503, { code: 'tenant_migrating', detail: 'your workspace is moving.' }, 2);
    expect(errorMessage(e)).toBe('your workspace is moving. Nothing was saved yet: try again in 2 s.');
  });
  it('keeps the plain detail of a 503 without Retry-After', () => {
    expect(errorMessage(new ApiError(503, { detail: 'down' }))).toBe('down');
  });
});

describe('retryRead', () => {
  it("tries a read refused with 429 again after the server's Retry-After, three times", () => {
    const e = new ApiError(429, { code: 'too_many_requests' }, 1);
    expect([0, 1, 2, 3].map((n) => retryRead(n, e))).toEqual([true, true, true, false]);
    expect(readRetryDelay(0, e)).toBe(1000);
    expect(readRetryDelay(0, new ApiError(429, {}, 60))).toBe(10_000);
  });
  it('tries a 503 with Retry-After again, and never another 4xx', () => {
    expect(retryRead(0, new ApiError(503, {}, 2))).toBe(true);
    expect(retryRead(0, new ApiError(404, { code: 'not_found' }))).toBe(false);
    expect(retryRead(0, new ApiError(403, {}))).toBe(false);
  });
  it('tries a network error or a 500 twice, backing off', () => {
    const e = new ApiError(500, {});
    expect([0, 1, 2].map((n) => retryRead(n, e))).toEqual([true, true, false]);
    expect(readRetryDelay(1, e)).toBe(2000);
  });
});
