// The runtime configuration (/config.json), fetched once at start so one
// build serves every environment. Written by the local platform (make dev)
// or by the web stack's deployment from its real outputs.
export interface RuntimeConfig {
  api_url: string;
  region: string;
  cognito_endpoint?: string;
  tenant_pool_id: string;
  tenant_client_id: string;
  provider_pool_id: string;
  provider_client_id: string;
  web_origin: string;
  environment: 'local' | 'aws';
}

let current: RuntimeConfig | undefined;

export async function loadConfig(): Promise<RuntimeConfig> {
  const res = await fetch('/config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`config.json: ${res.status}`);
  current = (await res.json()) as RuntimeConfig;
  return current;
}

export function config(): RuntimeConfig {
  if (!current) throw new Error('config.json is not loaded');
  return current;
}

// For tests.
export function setConfig(c: RuntimeConfig) {
  current = c;
}

/** The Cognito endpoint: cognito-local locally, the region's endpoint in AWS. */
export function cognitoEndpoint(region = config().region): string {
  return config().cognito_endpoint || `https://cognito-idp.${region}.amazonaws.com`;
}
