// Sign-up and the public workspace lookup, through the generated client.
import type { Workspace } from '../auth/session';
import { api, unwrap, type components } from './client';

export type Tier = 'basic' | 'standard' | 'premium' | 'platinum';
export type Availability = components['schemas']['Availability'];
export type RegistrationInput = components['schemas']['Registration'];
export type Registration = components['schemas']['RegistrationView'];

/**
 * Registration calls; `apiURL` sends them to another cell's API (a registration placed there).
 * `token` is the registration's status_token (the answer to the sign-up): without it, reading a
 * registration, proving the code or asking for a new one is a 404, as for a slug nobody registered.
 */
export const registrations = {
  availability: (slug: string) =>
    unwrap(api().GET('/v1/registrations/availability', { params: { query: { slug } } })),
  register: (body: RegistrationInput, apiURL?: string) =>
    unwrap(api().POST('/v1/registrations', { body, baseUrl: apiURL })),
  get: (tenantId: string, token: string, apiURL?: string) =>
    unwrap(
      api().GET('/v1/registrations/{tenantId}', {
        params: { path: { tenantId }, query: { token } },
        baseUrl: apiURL,
      }),
    ),
  verify: (tenantId: string, token: string, code: string, apiURL?: string) =>
    unwrap(
      api().POST('/v1/registrations/{tenantId}/verify', {
        params: { path: { tenantId }, query: { token } },
        body: { code },
        baseUrl: apiURL,
      }),
    ),
  resend: (tenantId: string, token: string, apiURL?: string) =>
    unwrap(
      api().POST('/v1/registrations/{tenantId}/verification', {
        params: { path: { tenantId }, query: { token } },
        baseUrl: apiURL,
      }),
    ),
};

export const workspaces = {
  get: (slug: string): Promise<Workspace> =>
    unwrap(api().GET('/v1/workspaces/{slug}', { params: { path: { slug } } })),
};
