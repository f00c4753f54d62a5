import type { RuntimeConfig } from '../config';

/** A runtime configuration for unit tests: the API at `api_url`, nothing reachable. */
export function testConfig(api_url = 'http://api.test'): RuntimeConfig {
  return {
    api_url,
    region: 'us-east-1',
    tenant_pool_id: 'p',
    tenant_client_id: 'c',
    provider_pool_id: 'pp',
    provider_client_id: 'pc',
    web_origin: 'http://web.test',
    environment: 'local',
  };
}
