import { claims, Cognito, type Tokens } from './cognito';
import { cognitoEndpoint, config } from '../config';
import { api } from '../api/client';
import type { PasswordPolicy } from './password';

/** A workspace as the public lookup tells it: where its people sign in. */
export interface Workspace {
  slug: string;
  name: string;
  user_pool_id: string;
  client_id: string;
  region: string;
  /** Its cell's API when the platform has cells (another cell's: call it there). */
  api_url?: string;
  /** Its pool's password policy (the first sign-in's new password). */
  password_policy?: PasswordPolicy;
}

export interface Session {
  workspace: Workspace;
  idToken: string;
  accessToken: string;
  refreshToken?: string;
  /** ms since epoch when the ID token expires */
  expiresAt: number;
  email: string;
  sub: string;
}

// Tokens live in memory. Only the refresh token (with the workspace it
// belongs to) is kept in sessionStorage, so a reload of this tab stays signed
// in and closing the tab ends the session.
const LAST_WORKSPACE = 'itr.lastWorkspace';
const REFRESH_BEFORE_MS = 60_000;

type Listener = (s: Session | undefined) => void;

interface Stored {
  workspace: Workspace;
  refreshToken: string;
  email: string;
}

export function cognitoFor(ws: Workspace): Cognito {
  return new Cognito(cognitoEndpoint(ws.region), ws.client_id);
}

export class SessionStore {
  /** key: where this tab keeps the refresh token; remember: note the workspace for /signin. */
  constructor(
    private readonly key: string,
    private readonly remember = true,
    /** Ends the session's tokens at the API too (a copied ID token dies with it). */
    private readonly endAtApi?: (idToken: string) => Promise<unknown>,
  ) {}

  private current: Session | undefined;
  private listeners = new Set<Listener>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<Session | undefined> | undefined;

  get(): Session | undefined {
    return this.current;
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private emit() {
    for (const l of this.listeners) l(this.current);
  }

  /** Starts a session from Cognito's tokens. */
  start(workspace: Workspace, tokens: Tokens, fallbackEmail = ''): Session {
    const c = claims(tokens.IdToken);
    const exp = typeof c.exp === 'number' ? c.exp * 1000 : Date.now() + tokens.ExpiresIn * 1000;
    const s: Session = {
      workspace,
      idToken: tokens.IdToken,
      accessToken: tokens.AccessToken,
      refreshToken: tokens.RefreshToken ?? this.current?.refreshToken,
      expiresAt: exp,
      email: String(c.email ?? fallbackEmail),
      sub: String(c.sub ?? ''),
    };
    this.current = s;
    if (s.refreshToken) {
      const stored: Stored = { workspace, refreshToken: s.refreshToken, email: s.email };
      sessionStorage.setItem(this.key, JSON.stringify(stored));
    }
    if (this.remember) rememberWorkspace(workspace.slug);
    this.schedule();
    this.emit();
    return s;
  }

  private schedule() {
    clearTimeout(this.timer);
    if (!this.current?.refreshToken) return;
    const wait = Math.max(5_000, this.current.expiresAt - Date.now() - REFRESH_BEFORE_MS);
    this.timer = setTimeout(() => void this.refresh(), wait);
  }

  /** Exchanges the refresh token for new tokens (one request at a time). */
  refresh(): Promise<Session | undefined> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(): Promise<Session | undefined> {
    const stored = readStored(this.key);
    const ws = this.current?.workspace ?? stored?.workspace;
    const rt = this.current?.refreshToken ?? stored?.refreshToken;
    if (!ws || !rt) return undefined;
    try {
      const a = await cognitoFor(ws).refresh(rt);
      if (!a.AuthenticationResult) return this.end();
      return this.start(ws, { ...a.AuthenticationResult, RefreshToken: rt }, stored?.email);
    } catch {
      return this.end();
    }
  }

  /** The session of workspace slug, restored from this tab's refresh token if needed. */
  async restore(slug: string): Promise<Session | undefined> {
    if (this.current?.workspace.slug === slug) return this.current;
    const stored = readStored(this.key);
    if (stored?.workspace.slug !== slug) return undefined;
    return this.refresh();
  }

  /** A valid ID token, refreshed first when it is about to expire. */
  async token(): Promise<string | undefined> {
    const s = this.current;
    if (!s) return undefined;
    if (s.expiresAt - Date.now() < 30_000) return (await this.refresh())?.idToken;
    return s.idToken;
  }

  /** Ends the session here (the API refused it, or the user signed out). */
  end(): undefined {
    clearTimeout(this.timer);
    this.current = undefined;
    sessionStorage.removeItem(this.key);
    this.emit();
    return undefined;
  }

  /**
   * Signs out: the API ends every token of the user's sessions so far (POST
   * /v1/me/sign-out; the authorizer refuses them within 30 s), then Cognito
   * revokes the refresh token. Either failing still ends the session here.
   */
  async signOut(): Promise<void> {
    const s = this.current;
    this.end();
    if (s && this.endAtApi) await this.endAtApi(s.idToken).catch(() => undefined);
    if (s?.refreshToken) await cognitoFor(s.workspace).revoke(s.refreshToken);
  }
}

function readStored(key: string): Stored | undefined {
  try {
    const raw = sessionStorage.getItem(key);
    return raw ? (JSON.parse(raw) as Stored) : undefined;
  } catch {
    return undefined;
  }
}

export function rememberWorkspace(slug: string) {
  try {
    localStorage.setItem(LAST_WORKSPACE, slug);
  } catch {
    /* private mode */
  }
}

export function lastWorkspace(): string | undefined {
  try {
    return localStorage.getItem(LAST_WORKSPACE) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The tenant user's session (one workspace at a time). */
export const sessions = new SessionStore('itr.session', true, (idToken) =>
  api().POST('/v1/me/sign-out', { headers: { Authorization: `Bearer ${idToken}` } }),
);

/**
 * Root's session in the provider console: the provider pool, kept apart from any workspace session.
 * Signing out ends Root's sessions everywhere too (POST /v1/admin/me/sign-out), as a tenant user's.
 */
export const providerSessions = new SessionStore('itr.provider', false, (idToken) =>
  api().POST('/v1/admin/me/sign-out', { headers: { Authorization: `Bearer ${idToken}` } }),
);

/** The provider pool as a sign-in target (the console's "workspace"). */
export function providerWorkspace(): Workspace {
  const c = config();
  return {
    slug: 'admin',
    name: 'IssueTracker provider console',
    user_pool_id: c.provider_pool_id,
    client_id: c.provider_client_id,
    region: c.region,
  };
}
