import { describe, expect, it } from 'vitest';
import { passwordHint, passwordProblem, type PasswordPolicy } from './password';

const pools: PasswordPolicy = {
  min_length: 12,
  require_lowercase: true,
  require_uppercase: true,
  require_digits: true,
  require_symbols: true,
};

describe('passwordProblem', () => {
  it('says what a new password lacks under the pool policy', () => {
    expect(passwordProblem('Demo-Passw0rd!', pools)).toBeUndefined();
    expect(passwordProblem('Pass word 1234', pools)).toBeUndefined();
    // 8 to 11 characters pass an 8-character check but not the pools' policy.
    expect(passwordProblem('Passw0rd!', pools)).toBe('The password needs at least 12 characters.');
    expect(passwordProblem('short', pools)).toBe(
      'The password needs at least 12 characters, an upper case letter, a digit, a symbol.',
    );
    expect(passwordProblem('password1234!', pools)).toBe('The password needs an upper case letter.');
    expect(passwordProblem('Password1234', pools)).toBe('The password needs a symbol.');
    expect(passwordProblem('', pools)).toBe('Choose a password.');
  });
  it('leaves a pool without a known policy to Cognito', () => {
    expect(passwordProblem('short')).toBeUndefined();
  });
  it('describes the policy', () => {
    expect(passwordHint(pools)).toBe(
      'At least 12 characters, with upper and lower case letters, a digit and a symbol.',
    );
  });
});
