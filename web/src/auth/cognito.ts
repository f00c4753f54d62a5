// The few Cognito user pool operations the browser calls. They are
// unauthenticated JSON calls (X-Amz-Target, no SigV4), so a 60-line client
// replaces @aws-sdk/client-cognito-identity-provider, which would add tens of
// KB gzip to the sign-in bundle for the same five requests. cognito-local
// serves the same API locally (USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH; no
// SRP, no hosted UI).

export interface Tokens {
  IdToken: string;
  AccessToken: string;
  RefreshToken?: string;
  ExpiresIn: number;
}

export interface AuthAnswer {
  AuthenticationResult?: Tokens;
  ChallengeName?:
    'NEW_PASSWORD_REQUIRED' | 'SOFTWARE_TOKEN_MFA' | 'MFA_SETUP' | 'SELECT_MFA_TYPE' | 'SMS_MFA' | string;
  ChallengeParameters?: Record<string, string>;
  Session?: string;
}

/** A Cognito error: Name is the exception (NotAuthorizedException, ...). */
export class CognitoError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

export class Cognito {
  constructor(
    private readonly endpoint: string,
    private readonly clientId: string,
  ) {}

  private async call<T>(op: string, body: Record<string, unknown>): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.endpoint.replace(/\/$/, '') + '/', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': `AWSCognitoIdentityProviderService.${op}`,
        },
        body: JSON.stringify(body),
      });
    } catch {
      throw new CognitoError('NetworkError', 'The sign-in service cannot be reached. Check your connection.');
    }
    const text = await res.text();
    const data = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!res.ok) {
      const type = String(data.__type ?? data.code ?? 'UnknownError');
      const name = type.includes('#') ? type.slice(type.indexOf('#') + 1) : type;
      throw new CognitoError(name, String(data.message ?? data.Message ?? name));
    }
    return data as T;
  }

  signIn(email: string, password: string, metadata?: Record<string, string>): Promise<AuthAnswer> {
    return this.call('InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: this.clientId,
      AuthParameters: { USERNAME: email, PASSWORD: password },
      ...(metadata ? { ClientMetadata: metadata } : {}),
    });
  }

  refresh(refreshToken: string): Promise<AuthAnswer> {
    return this.call('InitiateAuth', {
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: this.clientId,
      AuthParameters: { REFRESH_TOKEN: refreshToken },
    });
  }

  respond(
    challenge: string,
    session: string | undefined,
    responses: Record<string, string>,
  ): Promise<AuthAnswer> {
    return this.call('RespondToAuthChallenge', {
      ChallengeName: challenge,
      ClientId: this.clientId,
      Session: session,
      ChallengeResponses: responses,
    });
  }

  associateSoftwareToken(auth: { AccessToken: string } | { Session: string }) {
    return this.call<{ SecretCode: string; Session?: string }>('AssociateSoftwareToken', auth);
  }

  verifySoftwareToken(
    auth: { AccessToken: string } | { Session: string },
    code: string,
    device = 'Authenticator',
  ) {
    return this.call<{ Status: string; Session?: string }>('VerifySoftwareToken', {
      ...auth,
      UserCode: code,
      FriendlyDeviceName: device,
    });
  }

  setTOTPPreferred(accessToken: string) {
    return this.call('SetUserMFAPreference', {
      AccessToken: accessToken,
      SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
    });
  }

  /** Revokes the refresh token (sign-out). Best effort: cognito-local may not implement it. */
  async revoke(refreshToken: string): Promise<void> {
    try {
      await this.call('RevokeToken', { Token: refreshToken, ClientId: this.clientId });
    } catch {
      /* the session ends locally either way */
    }
  }
}

/** The claims of a JWT (not verified: the API verifies; the app only reads exp and names). */
export function claims(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1];
  if (!part) return {};
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(
      atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))
        .split('')
        .map((c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0'))
        .join(''),
    );
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** A friendly sentence for a Cognito error. */
export function cognitoMessage(e: unknown): string {
  if (e instanceof CognitoError) {
    switch (e.name) {
      case 'NotAuthorizedException':
        return /disabled/i.test(e.message) ? 'This account is disabled.' : 'Incorrect email or password.';
      case 'UserNotFoundException':
        return 'Incorrect email or password.';
      case 'InvalidPasswordException':
        return e.message.replace(/^Password does not conform to policy: /, 'Password: ');
      case 'CodeMismatchException':
      case 'EnableSoftwareTokenMFAException':
        return 'That code is not right. Check the time on your authenticator and try the next code.';
      case 'ExpiredCodeException':
        return 'That code has expired. Try the next one.';
      case 'TooManyRequestsException':
      case 'LimitExceededException':
        return 'Too many attempts. Wait a minute and try again.';
      default:
        return e.message;
    }
  }
  return e instanceof Error ? e.message : 'Sign-in failed.';
}
