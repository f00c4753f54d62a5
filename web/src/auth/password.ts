/** A user pool's password policy, as the workspace lookup tells it (the API's
 * internal/passwordpolicy, which the CDK app also sets on every pool). */
export interface PasswordPolicy {
  min_length: number;
  require_lowercase: boolean;
  require_uppercase: boolean;
  require_digits: boolean;
  require_symbols: boolean;
  temp_password_days?: number;
}

// The characters Cognito counts as symbols.
const SYMBOLS = '^$*.[]{}()?"!@#%&/\\,><\':;|_~`=+- ';

/** What a new password lacks under the policy, as one sentence, or undefined.
 * Without a policy (the provider pool) Cognito's own answer decides. */
export function passwordProblem(pw: string, policy?: PasswordPolicy): string | undefined {
  if (!pw) return 'Choose a password.';
  if (!policy) return undefined;
  const missing: string[] = [];
  if ([...pw].length < policy.min_length) missing.push(`at least ${policy.min_length} characters`);
  if (policy.require_lowercase && !/\p{Ll}/u.test(pw)) missing.push('a lower case letter');
  if (policy.require_uppercase && !/\p{Lu}/u.test(pw)) missing.push('an upper case letter');
  if (policy.require_digits && !/[0-9]/.test(pw)) missing.push('a digit');
  if (policy.require_symbols && ![...pw].some((c) => SYMBOLS.includes(c))) missing.push('a symbol');
  return missing.length ? `The password needs ${missing.join(', ')}.` : undefined;
}

/** The policy as a hint under the field. */
export function passwordHint(policy?: PasswordPolicy): string | undefined {
  if (!policy) return undefined;
  const parts = [`At least ${policy.min_length} characters`];
  const kinds = [
    policy.require_uppercase && 'upper',
    policy.require_lowercase && 'lower case letters',
  ].filter(Boolean);
  if (kinds.length) parts.push(`with ${kinds.join(' and ')}`);
  const more = [policy.require_digits && 'a digit', policy.require_symbols && 'a symbol'].filter(Boolean);
  return parts.join(', ') + (more.length ? `, ${more.join(' and ')}` : '') + '.';
}
