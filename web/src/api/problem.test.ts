import { describe, expect, it } from 'vitest';
import { ApiError, errorMessage } from './problem';

describe('errorMessage', () => {
  it('tells a write refused during a migration freeze to try again after Retry-After', () => {
    const e = new ApiError(503, { code: 'tenant_migrating', detail: 'your workspace is moving.' }, 2);
    expect(errorMessage(e)).toBe('your workspace is moving. Nothing was saved yet: try again in 2 s.');
  });
  it('keeps the plain detail of a 503 without Retry-After', () => {
    expect(errorMessage(new ApiError(503, { detail: 'down' }))).toBe('down');
  });
});
