// Sign-up and the public workspace lookup. These operations are being added
// to the API on the sec-identity branch with exactly this contract; until the
// generated schema has them, they go through the same generated client
// (same base URL, middleware and problem handling) with these local types.
// After the merge, `make web-api` regenerates schema.d.ts and the types here
// become aliases of components['schemas'][...].
import { config } from '../config';
import { api, unwrap } from './client';
import { isApiError } from './problem';
import type { Workspace } from '../auth/session';

export type Tier = 'basic' | 'standard' | 'premium' | 'platinum';

export interface Availability {
  slug: string;
  available: boolean;
  reason?: 'taken' | 'reserved' | 'invalid';
  detail?: string;
}

export interface RegistrationInput {
  company_name: string;
  slug: string;
  admin_email: string;
  tier: Tier;
}

export interface OnboardingStep {
  step: string;
  label?: string;
  status?: 'done' | 'running' | 'pending' | 'failed' | string;
}

export interface Registration {
  tenant_id: string;
  slug?: string;
  status: string; // pending_verification, provisioning, pending_approval, active, failed, ...
  tier?: string;
  steps?: OnboardingStep[];
  done?: { step: string; finished_at?: string }[];
  [k: string]: unknown;
}

type Init = { params?: { path?: Record<string, string>; query?: Record<string, string> }; body?: unknown };
type Answer = Promise<{ data?: unknown; error?: unknown; response: Response }>;
interface Loose {
  GET(path: string, init?: Init): Answer;
  POST(path: string, init?: Init): Answer;
}
const loose = () => api() as unknown as Loose;

export const registrations = {
  availability: (slug: string) =>
    unwrap(
      loose().GET('/v1/registrations/availability', { params: { query: { slug } } }),
    ) as Promise<Availability>,
  register: (body: RegistrationInput) =>
    unwrap(loose().POST('/v1/registrations', { body })) as Promise<Registration>,
  get: (tenantId: string) =>
    unwrap(
      loose().GET('/v1/registrations/{tenantId}', { params: { path: { tenantId } } }),
    ) as Promise<Registration>,
  verify: (tenantId: string, code: string) =>
    unwrap(
      loose().POST('/v1/registrations/{tenantId}/verify', { params: { path: { tenantId } }, body: { code } }),
    ) as Promise<Registration>,
  resend: (tenantId: string) =>
    unwrap(loose().POST('/v1/registrations/{tenantId}/verification', { params: { path: { tenantId } } })),
};

export const workspaces = {
  get: async (slug: string): Promise<Workspace> => {
    try {
      return (await unwrap(
        loose().GET('/v1/workspaces/{slug}', { params: { path: { slug } } }),
      )) as Workspace;
    } catch (e) {
      // TRANSITIONAL (until sec-identity is merged): an API without the
      // lookup route answers route_not_found; the shared pool is then the
      // only pool there is. A real unknown workspace is workspace_not_found.
      if (isApiError(e, 404, 'route_not_found')) {
        const c = config();
        return {
          slug,
          name: slug,
          user_pool_id: c.tenant_pool_id,
          client_id: c.tenant_client_id,
          region: c.region,
        };
      }
      throw e;
    }
  },
};
