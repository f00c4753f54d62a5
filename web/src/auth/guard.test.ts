import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/problem';
import { authFailureOf } from './guard';

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
