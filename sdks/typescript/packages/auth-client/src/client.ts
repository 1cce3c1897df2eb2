import { Transport, type ApiResponse, type Meta, type RequestSpec } from './http.js';
import { ArchonAuthError } from './errors.js';
import { SessionManager, isStaleTokenError } from './session.js';
import {
  MemoryStorage,
  type AgentAuth, type AgentGrant, type ApiKey, type ApiKeyInput, type CreatedApiKey, type CreatedWebhook, type Redelivery,
  type Webhook, type WebhookDelivery, type WebhookInput, type WebhookUpdate, type AgentTokenInfo, type AgentType, type AuditEvent, type AuthConfig,
  type AuthResponse, type AuthStateListener, type CapabilityDecision, type DiscoveryDocument, type LoginCredentials,
  type Page, type PageQuery, type RegisterData, type RegisterResult, type Restrictions, type Session, type SessionInfo,
  type User, type UserQuery, type VerifyResource,
} from './types.js';

/** Splits `baseURL` into the API base and the origin (for `/.well-known`). */
export function resolveBaseURL(baseURL: string): { apiBase: string; origin: string } {
  const trimmed = baseURL.trim().replace(/\/+$/, '');
  const m = /^(https?:\/\/[^/?#]+)(\/[^?#]*)?$/i.exec(trimmed);
  if (m) return { origin: m[1]!, apiBase: m[1]! + (m[2] || '/api/v2') };
  if (trimmed === '' || trimmed.startsWith('/')) return { origin: '', apiBase: trimmed || '/api/v2' };
  throw new ArchonAuthError({ code: 'INVALID_CONFIG', message: `baseURL must be an http(s) URL or an absolute path: ${baseURL}`, status: 0 });
}

const inBrowser = () => typeof document !== 'undefined';

/**
 * The archon-auth client: the spec's `ArchonAuthClient`, with its names, made safe for many tabs.
 * Bodies are camelCase here and snake_case on the wire.
 */
export class ArchonAuthClient {
  private readonly transport: Transport;
  private readonly session: SessionManager;
  private readonly apiKey?: string;
  readonly mode: 'cookie' | 'body';

  constructor(config: AuthConfig) {
    const { apiBase, origin } = resolveBaseURL(config.baseURL);
    const fetchImpl = config.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args));
    this.transport = new Transport({
      apiBase, origin, timeoutMs: config.timeout ?? 10_000, retries: config.retries ?? 3,
      fetch: fetchImpl, retryBaseDelayMs: config.retryBaseDelayMs ?? 250, retryMaxDelayMs: config.retryMaxDelayMs ?? 8_000,
    });
    this.apiKey = config.apiKey || undefined;
    this.mode = config.refreshTokenMode ?? (inBrowser() ? 'cookie' : 'body');
    this.session = new SessionManager(this.transport, {
      mode: this.mode,
      storage: config.storage ?? new MemoryStorage(),
      storageKey: config.storageKey ?? `archon-auth:refresh:${apiBase}`,
      autoRefresh: config.autoRefresh ?? inBrowser(),
      expiryMarginSeconds: config.expiryMarginSeconds,
      crossTab: config.crossTab ?? true,
      lockTimeoutMs: config.lockTimeoutMs ?? 10_000,
      channelName: `archon-auth:${apiBase}`,
    });
  }

  // ---------------------------------------------------------------- plumbing
  /**
   * Sends with the access token; a 401 for a stale token is retried once after one refresh.
   * A client configured with an API key and not signed in sends the key instead (no refresh).
   */
  private async authed<T>(spec: Omit<RequestSpec, 'bearer'>): Promise<ApiResponse<T>> {
    if (this.apiKey && !this.session.current()) return this.transport.send<T>({ ...spec, apiKey: this.apiKey });
    const token = await this.session.accessToken();
    try {
      return await this.transport.send<T>({ ...spec, bearer: token });
    } catch (err) {
      if (!isStaleTokenError(err)) throw err;
      const fresh = await this.session.refresh(token);
      return this.transport.send<T>({ ...spec, bearer: fresh.accessToken });
    }
  }

  private async call<T>(spec: Omit<RequestSpec, 'bearer'>): Promise<T> {
    return (await this.authed<T>(spec)).data;
  }

  private async page<T>(spec: Omit<RequestSpec, 'bearer'>): Promise<Page<T>> {
    const res = await this.authed<T[]>(spec);
    return { items: res.data ?? [], pagination: res.meta.pagination };
  }

  // ---------------------------------------------------------------- session state
  /** Restores the session (peer tab, refresh cookie or stored refresh token); emits INITIAL_SESSION. */
  initialize(): Promise<Session | null> { return this.session.initialize(); }

  /** Reports INITIAL_SESSION, SIGNED_IN, TOKEN_REFRESHED, SIGNED_OUT, SESSION_EXPIRED. Returns an unsubscribe. */
  onAuthStateChange(callback: AuthStateListener): () => void { return this.session.onAuthStateChange(callback); }

  getSession(): Session | null { return this.session.current(); }

  isAuthenticated(): boolean {
    const s = this.session.current();
    return !!s && s.expiresAt > Date.now();
  }

  getAccessToken(): string | undefined { return this.session.current()?.accessToken; }

  /** How many refresh requests this client has sent. */
  get refreshCount(): number { return this.session.refreshCount; }

  /**
   * Forgets the tokens this client holds, without telling the server or the other tabs. In a
   * browser the httpOnly refresh cookie stays (script cannot delete it): use logout() to end the session.
   */
  clearTokens(): void { void this.session.endLocally('SIGNED_OUT', false); }

  /** Stops timers and the cross-tab channel. */
  dispose(): void { this.session.dispose(); }

  // ---------------------------------------------------------------- account journey
  async login(credentials: LoginCredentials): Promise<AuthResponse> {
    const res = await this.transport.send<AuthResponse['data'] & { refreshToken?: string }>({
      method: 'POST', path: '/auth/login', withCredentials: this.mode === 'cookie',
      body: { ...credentials, returnRefreshToken: this.mode === 'body' ? true : undefined },
    });
    const { refreshToken, ...data } = res.data;
    await this.session.accept({ ...data, refreshToken }, 'SIGNED_IN');
    return { success: true, data, meta: res.meta };
  }

  async register(userData: RegisterData): Promise<RegisterResult> {
    return (await this.transport.send<RegisterResult>({ method: 'POST', path: '/auth/register', body: userData })).data;
  }

  async verifyEmail(token: string): Promise<{ emailVerified: boolean }> {
    return (await this.transport.send<{ emailVerified: boolean }>({ method: 'POST', path: '/auth/verify-email', body: { token } })).data;
  }

  async resendVerificationEmail(email: string): Promise<{ accepted: boolean }> {
    return (await this.transport.send<{ accepted: boolean }>({ method: 'POST', path: '/auth/verify-email/resend', body: { email } })).data;
  }

  async requestPasswordReset(email: string): Promise<void> {
    await this.transport.send({ method: 'POST', path: '/auth/password-reset', body: { email } });
  }

  async confirmPasswordReset(token: string, newPassword: string): Promise<{ passwordReset: boolean }> {
    return (await this.transport.send<{ passwordReset: boolean }>({
      method: 'POST', path: '/auth/password-reset/confirm', body: { token, newPassword },
    })).data;
  }

  /** Refreshes the access token now (single-flight; one refresh across tabs). */
  async refreshAccessToken(): Promise<void> {
    await this.session.refresh(this.session.current()?.accessToken);
  }

  /** Logs out (`scope`: this session, the others, or all) and clears the tokens, whatever the server says. */
  async logout(scope?: 'local' | 'others' | 'global'): Promise<{ revokedSessions: number }> {
    try {
      if (!this.session.current() && this.mode === 'body') return { revokedSessions: 0 };
      return await this.call<{ revokedSessions: number }>({
        method: 'POST', path: '/auth/logout', body: scope ? { scope } : {}, withCredentials: this.mode === 'cookie', idempotent: false,
      });
    } finally {
      if (scope !== 'others') await this.session.endLocally('SIGNED_OUT', true);
    }
  }

  async getCurrentUser(): Promise<User> {
    return this.call<User>({ method: 'GET', path: '/users/me' });
  }

  async updateProfile(updates: { name?: string; preferences?: Record<string, unknown> }): Promise<User> {
    return this.call<User>({ method: 'PUT', path: '/users/me', body: updates });
  }

  /** Not replayed: a second attempt would count as a wrong password toward the lockout. */
  async changePassword(currentPassword: string, newPassword: string): Promise<{ revokedSessions: number }> {
    return this.call({ method: 'PUT', path: '/users/me/password', body: { currentPassword, newPassword }, idempotent: false });
  }

  async getSessions(): Promise<SessionInfo[]> {
    return this.call<SessionInfo[]>({ method: 'GET', path: '/users/me/sessions', query: { limit: 100 } });
  }

  async terminateSession(sessionId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/users/me/sessions/${encodeURIComponent(sessionId)}` });
  }

  async getSecurityEvents(query: PageQuery = {}): Promise<Page<AuditEvent>> {
    return this.page<AuditEvent>({ method: 'GET', path: '/users/me/security-events', query: { ...query } });
  }

  // ---------------------------------------------------------------- agents
  async getAgentTypes(): Promise<AgentType[]> {
    return this.call<AgentType[]>({ method: 'GET', path: '/agents/types' });
  }

  async authenticateAgent(agentType: string, capabilities: string[], taskContext?: Record<string, unknown>): Promise<AgentAuth> {
    return this.call<AgentAuth>({
      method: 'POST', path: '/auth/agents/authenticate', body: { agentType, capabilitiesRequested: capabilities, taskContext },
    });
  }

  /** Mints a child token with the parent agent token as the credential (all or nothing). */
  async delegateAgent(parentAgentToken: string, agentType: string, capabilities: string[],
    options: { restrictions?: Partial<Restrictions>; taskContext?: Record<string, unknown> } = {}): Promise<AgentAuth> {
    return (await this.transport.send<AgentAuth>({
      method: 'POST', path: '/auth/agents/delegate', bearer: parentAgentToken,
      body: { agentType, capabilitiesRequested: capabilities, restrictions: options.restrictions, taskContext: options.taskContext },
    })).data;
  }

  /**
   * Asks archon-auth whether `agentToken` may use `capability` on `resource` (sees revocations).
   * Credential: a service client, the agent itself (`asAgent`), or else this client's (admin) session.
   */
  async verifyCapability(agentToken: string, capability: string, resource: VerifyResource = {},
    options: { client?: { clientId: string; clientSecret: string }; asAgent?: boolean } = {}): Promise<CapabilityDecision> {
    const body = { token: options.asAgent ? undefined : agentToken, capability, resource };
    const spec = { method: 'POST' as const, path: '/auth/agents/verify', body, idempotent: true };
    if (options.asAgent) return (await this.transport.send<CapabilityDecision>({ ...spec, bearer: agentToken })).data;
    if (options.client) return (await this.transport.send<CapabilityDecision>({ ...spec, basic: options.client })).data;
    return this.call<CapabilityDecision>(spec);
  }

  async listAgentTokens(): Promise<AgentTokenInfo[]> {
    return this.call<AgentTokenInfo[]>({ method: 'GET', path: '/auth/agents/tokens' });
  }

  /** Revokes the token and all its descendants. */
  async revokeAgentToken(agentId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/auth/agents/tokens/${encodeURIComponent(agentId)}` });
  }

  // ---------------------------------------------------------------- administration
  async listUsers(query: UserQuery = {}): Promise<Page<User>> {
    return this.page<User>({ method: 'GET', path: '/users', query: { ...query } });
  }

  async getUser(userId: string): Promise<User> {
    return this.call<User>({ method: 'GET', path: `/users/${encodeURIComponent(userId)}` });
  }

  async updateUser(userId: string, patch: { name?: string; roles?: string[]; isActive?: boolean }): Promise<User> {
    return this.call<User>({ method: 'PATCH', path: `/users/${encodeURIComponent(userId)}`, body: patch, idempotent: true });
  }

  /** Deactivates the user and revokes every session. */
  async deactivateUser(userId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/users/${encodeURIComponent(userId)}` });
  }

  async getUserSessions(userId: string): Promise<SessionInfo[]> {
    return this.call<SessionInfo[]>({ method: 'GET', path: `/users/${encodeURIComponent(userId)}/sessions` });
  }

  async terminateUserSession(userId: string, sessionId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/users/${encodeURIComponent(userId)}/sessions/${encodeURIComponent(sessionId)}` });
  }

  async getAuditEvents(query: PageQuery & { userId?: string; event?: string } = {}): Promise<Page<AuditEvent>> {
    return this.page<AuditEvent>({ method: 'GET', path: '/audit', query: { ...query } });
  }

  async getRoleAgentGrants(role: string): Promise<{ role: string; grants: AgentGrant[] }> {
    return this.call({ method: 'GET', path: `/admin/roles/${encodeURIComponent(role)}/agent-grants` });
  }

  async setRoleAgentGrants(role: string, grants: AgentGrant[]): Promise<{ role: string; grants: AgentGrant[] }> {
    return this.call({ method: 'PUT', path: `/admin/roles/${encodeURIComponent(role)}/agent-grants`, body: { grants } });
  }

  // ---------------------------------------------------------------- API keys (permission api_keys:manage)
  /** Creates a key; `key` (the secret) is in this answer only: store it now. */
  async createApiKey(input: ApiKeyInput): Promise<CreatedApiKey> {
    return this.call<CreatedApiKey>({ method: 'POST', path: '/admin/api-keys', body: input });
  }

  /** The keys, newest first, never with their secrets. */
  async listApiKeys(query: PageQuery = {}): Promise<Page<ApiKey>> {
    return this.page<ApiKey>({ method: 'GET', path: '/admin/api-keys', query: { ...query } });
  }

  async getApiKey(keyId: string): Promise<ApiKey> {
    return this.call<ApiKey>({ method: 'GET', path: `/admin/api-keys/${encodeURIComponent(keyId)}` });
  }

  /** Revokes the key at once on every instance; revoking again answers the same record. */
  async revokeApiKey(keyId: string): Promise<ApiKey> {
    return this.call<ApiKey>({ method: 'DELETE', path: `/admin/api-keys/${encodeURIComponent(keyId)}` });
  }

  // ---------------------------------------------------------------- webhooks (permission webhooks:manage)
  /** Registers an endpoint; `secret` (`whsec_...`, to verify signatures) is in this answer only: store it now. */
  async createWebhook(input: WebhookInput): Promise<CreatedWebhook> {
    return this.call<CreatedWebhook>({ method: 'POST', path: '/admin/webhooks', body: input });
  }

  /** The endpoints, newest first, never with their secrets. */
  async listWebhooks(query: PageQuery = {}): Promise<Page<Webhook>> {
    return this.page<Webhook>({ method: 'GET', path: '/admin/webhooks', query: { ...query } });
  }

  async getWebhook(webhookId: string): Promise<Webhook> {
    return this.call<Webhook>({ method: 'GET', path: webhookPath(webhookId) });
  }

  /** Changes the given fields; re-enabling an endpoint clears its `disabledReason`. */
  async updateWebhook(webhookId: string, patch: WebhookUpdate): Promise<Webhook> {
    return this.call<Webhook>({ method: 'PATCH', path: webhookPath(webhookId), body: patch });
  }

  /** Deletes the endpoint and its delivery log. */
  async deleteWebhook(webhookId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: webhookPath(webhookId) });
  }

  /** A new secret (in this answer only); the old one keeps signing beside it until `previousSecretExpiresAt`. */
  async rotateWebhookSecret(webhookId: string): Promise<CreatedWebhook> {
    return this.call<CreatedWebhook>({ method: 'POST', path: `${webhookPath(webhookId)}/rotate-secret` });
  }

  /** The endpoint's deliveries, newest first, each with its attempt log. */
  async listWebhookDeliveries(webhookId: string, query: PageQuery = {}): Promise<Page<WebhookDelivery>> {
    return this.page<WebhookDelivery>({ method: 'GET', path: `${webhookPath(webhookId)}/deliveries`, query: { ...query } });
  }

  /** Sends the delivery's event again as a new delivery (same `webhook-id` and body). */
  async redeliverWebhook(webhookId: string, deliveryId: number): Promise<Redelivery> {
    return this.call<Redelivery>({
      method: 'POST', path: `${webhookPath(webhookId)}/deliveries/${encodeURIComponent(String(deliveryId))}/redeliver`,
    });
  }

  // ---------------------------------------------------------------- discovery
  async getDiscovery(): Promise<DiscoveryDocument> {
    return (await this.transport.send<DiscoveryDocument>({ method: 'GET', path: '/.well-known/openid-configuration', atOrigin: true, raw: true })).data;
  }
}

export type { Meta };

function webhookPath(webhookId: string): string {
  return `/admin/webhooks/${encodeURIComponent(webhookId)}`;
}
