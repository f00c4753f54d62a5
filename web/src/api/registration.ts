// Sign-up and the public workspace lookup, through the generated client.
import type { Workspace } from '../auth/session';
import { api, unwrap, type components } from './client';

export type Tier = 'basic' | 'standard' | 'premium' | 'platinum';
export type Availability = components['schemas']['Availability'];
export type RegistrationInput = components['schemas']['Registration'];
export type Registration = components['schemas']['RegistrationView'];

export const registrations = {
  availability: (slug: string) =>
    unwrap(api().GET('/v1/registrations/availability', { params: { query: { slug } } })),
  register: (body: RegistrationInput) => unwrap(api().POST('/v1/registrations', { body })),
  get: (tenantId: string) =>
    unwrap(api().GET('/v1/registrations/{tenantId}', { params: { path: { tenantId } } })),
  verify: (tenantId: string, code: string) =>
    unwrap(
      api().POST('/v1/registrations/{tenantId}/verify', { params: { path: { tenantId } }, body: { code } }),
    ),
  resend: (tenantId: string) =>
    unwrap(api().POST('/v1/registrations/{tenantId}/verification', { params: { path: { tenantId } } })),
};

export const workspaces = {
  get: (slug: string): Promise<Workspace> =>
    unwrap(api().GET('/v1/workspaces/{slug}', { params: { path: { slug } } })),
};
