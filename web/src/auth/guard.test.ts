import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/problem';
import { authFailureOf, safeNext } from './guard';

describe('authFailureOf', () => {
  it('tells a moved sign-in from an ended session', () => {
    expect(authFailureOf(new ApiError(403, { code: 'session_moved' }))).toBe('moved');
    // In AWS a Lambda authorizer's 401 is API Gateway's {"message":"Unauthorized"}: no code.
    expect(authFailureOf(new ApiError(401, undefined))).toBe('expired');
    expect(authFailureOf(new ApiError(401, { code: 'token_expired' }))).toBe('expired');
    expect(authFailureOf(new ApiError(403, { code: 'tenant_suspended' }))).toBe('suspended');
    expect(authFailureOf(new ApiError(403, { code: 'mfa_required' }))).toBe('mfa');
    expect(authFailureOf(new ApiError(404, { code: 'not_found' }))).toBeUndefined();
    expect(authFailureOf(new Error('x'))).toBeUndefined();
  });
});

describe('safeNext', () => {
  it('keeps a path of this site, its query and fragment', () => {
    expect(safeNext('/w/acme/issues?status=open#x', '/home')).toBe('/w/acme/issues?status=open#x');
    expect(safeNext('/w/acme/issues/ACME-1', '/home')).toBe('/w/acme/issues/ACME-1');
  });
  it('refuses every way to another origin, as the browser reads the URL', () => {
    for (const next of [
      'https://evil.example/',
      '//evil.example',
      '/\\evil.example',
      '\\/evil.example',
      '/\t/evil.example', // URL parsing drops tabs and newlines: //evil.example
      '/\n/evil.example',
      '/\r/evil.example',
      '/\u0000/evil.example',
      'javascript:alert(1)',
      ' /x',
      '',
      null,
      undefined,
    ]) {
      expect(safeNext(next, '/home'), JSON.stringify(next)).toBe('/home');
    }
  });
  it('leaves encoded characters encoded (they stay one path)', () => {
    expect(safeNext('/%2F%2Fevil.example', '/home')).toBe('/%2F%2Fevil.example');
    expect(safeNext('/%09/evil.example', '/home')).toBe('/%09/evil.example');
  });
});
