import type { Meta, Pagination } from './http.js';

export interface AuthConfig {
  /** `http://localhost:8181/api/v2` (as the spec writes it), a bare origin, or `/api/v2` in a browser. */
  baseURL: string;
  /**
   * A service's API key (`archon_sk_...`, made by an administrator with `createApiKey`). While the
   * client has no signed-in session, calls that need a credential send it as `X-API-Key` (never
   * beside another credential: the server refuses two; never on public calls such as login).
   */
  apiKey?: string;
  /** Per-attempt timeout in milliseconds (default 10000). */
  timeout?: number;
  /** Retries for network errors, 429 and 503 (idempotent requests only; default 3). */
  retries?: number;
  /**
   * Where the refresh token lives. `cookie` (the default in browsers): the server's httpOnly
   * cookie, never readable by script. `body` (the default elsewhere): the token comes in the
   * response body (`return_refresh_token`) and is kept in `storage`.
   */
  refreshTokenMode?: 'cookie' | 'body';
  /** Where `body` mode keeps the refresh token (default: memory only). */
  storage?: TokenStorage;
  /** Key under which the refresh token is stored. */
  storageKey?: string;
  /** Refresh ahead of expiry on a timer (default: true in browsers, false elsewhere). */
  autoRefresh?: boolean;
  /**
   * Treat the access token as stale this many seconds before it expires (default: 10% of its
   * lifetime, at most 30 s).
   */
  expiryMarginSeconds?: number;
  /** Coordinate refreshes across the tabs of one origin (Web Locks + BroadcastChannel; default true). */
  crossTab?: boolean;
  /** Longest wait for the cross-tab refresh lock before refreshing without it (default 10000 ms). */
  lockTimeoutMs?: number;
  /** Replaces the global fetch (tests, instrumentation). */
  fetch?: typeof fetch;
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
}

/** Pluggable storage for the refresh token in `body` mode (sync or async). */
export interface TokenStorage {
  getItem(key: string): string | null | undefined | Promise<string | null | undefined>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

export class MemoryStorage implements TokenStorage {
  private readonly items = new Map<string, string>();
  getItem(key: string) { return this.items.get(key) ?? null; }
  setItem(key: string, value: string) { this.items.set(key, value); }
  removeItem(key: string) { this.items.delete(key); }
}

export interface LoginCredentials {
  email: string;
  password: string;
  rememberMe?: boolean;
  deviceInfo?: { deviceId?: string; userAgent?: string; location?: string; [k: string]: unknown };
}

export interface RegisterData {
  email: string;
  password: string;
  name: string;
  termsAccepted: true;
  marketingConsent?: boolean;
}

export interface User {
  id: string;
  email: string;
  name: string;
  roles: string[];
  permissions: string[];
  isActive: boolean;
  emailVerified: boolean;
  preferences: Record<string, unknown>;
  createdAt: string;
  lastLogin?: string | null;
}

export interface AuthResponse {
  success: boolean;
  data: {
    accessToken: string;
    tokenType: string;
    expiresIn: number;
    user: User;
    sessionId: string;
  };
  meta: Meta;
}

export interface RegisterResult { userId: string; email: string; emailVerificationSent: boolean }

export interface SessionInfo {
  sessionId: string;
  deviceInfo: Record<string, unknown> | null;
  createdAt: string;
  lastAccessed: string;
  expiresAt?: string;
  isActive: boolean;
  current?: boolean;
  clientAddress?: string;
  userAgent?: string;
}

export interface Restrictions {
  filePaths: string[];
  gitBranches: string[];
  maxFileSize?: string | number;
}

export interface AgentAuth {
  agentToken: string;
  agentId: string;
  capabilitiesGranted: string[];
  capabilitiesDenied: string[];
  /** capability -> reason (`requires_approval`, `not_permitted_for_user`, ...). */
  denialReasons: Record<string, string>;
  expiresIn: number;
  restrictions: Restrictions;
}

export interface AgentTokenInfo {
  agentId: string;
  agentType: string;
  parentAgentId: string | null;
  rootAgentId: string;
  depth: number;
  capabilities: string[];
  restrictions: Restrictions;
  sessionId: string;
  createdAt: number;
  expiresAt: number;
}

export interface AgentType {
  name: string;
  description: string;
  capabilities: string[];
  requiresApproval: string[];
  defaultRestrictions: Restrictions;
  maxTokenLifetimeSeconds: number;
  /** Whether the caller's roles may run this type now. */
  runnable: boolean;
  [k: string]: unknown;
}

export interface CapabilityDecision {
  allowed: boolean;
  reason: string;
  agentId?: string;
  agentType?: string;
}

export interface VerifyResource { path?: string; branch?: string; size?: number | string }

export interface AuditEvent {
  seq: number;
  at: string;
  event: string;
  outcome: string;
  actor: string;
  userId: string | null;
  requestId: string;
  clientAddress: string;
  userAgent: string;
  details: Record<string, unknown>;
}

export interface AgentGrant { agentType: string; capabilities?: string[] }

/** What an API key may do (docs/api-keys.md). */
export type ApiKeyScope = 'agents:verify' | 'tokens:introspect' | 'tokens:revoke' | 'users:read' | 'audit:read' | 'webhooks:manage';

export interface ApiKeyInput {
  name: string;
  scopes: ApiKeyScope[];
  /** Lifetime in seconds (60 to 157680000); none: the key does not expire. */
  expiresIn?: number;
}

/** An API key's record; the secret itself is never in it. */
export interface ApiKey {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  /** The first 14 characters of the key (`archon_sk_` + 4), for people to recognise it. */
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdBy: string;
}

/** The answer to createApiKey: the record and, this once, the key. */
export interface CreatedApiKey extends ApiKey { key: string }

/** What an endpoint subscribes to (docs/webhooks.md); `*` is every type. */
export type WebhookEventType =
  | '*' | 'user.registered' | 'user.email_verified' | 'user.locked' | 'user.password_changed' | 'user.deactivated'
  | 'session.revoked' | 'refresh_token.reuse_detected' | 'agent.token_issued' | 'agent.delegated'
  | 'agent.token_revoked' | 'webhook.endpoint_disabled';

export interface WebhookInput {
  /** http(s); refused (422) when it resolves to a loopback/private/link-local address the server does not allow. */
  url: string;
  eventTypes: WebhookEventType[];
  description?: string;
  /** Default true. */
  enabled?: boolean;
}

export type WebhookUpdate = Partial<WebhookInput>;

/** A webhook endpoint's record; the signing secret is never in it. */
export interface Webhook {
  id: string;
  url: string;
  description: string;
  eventTypes: WebhookEventType[];
  enabled: boolean;
  /** Why the server disabled it (persistent failures), else null. */
  disabledReason: string | null;
  /** Until when the previous secret still signs beside the new one (after a rotation). */
  previousSecretExpiresAt: string | null;
  lastSuccessAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The answer to createWebhook and rotateWebhookSecret: the record and, this once, the secret. */
export interface CreatedWebhook extends Webhook { secret: string }

export interface WebhookAttempt {
  /** 1-based. */
  attempt: number;
  at: string;
  /** null: no HTTP answer (connect failure, timeout, refused destination). */
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

export interface WebhookDelivery {
  id: number;
  /** The `webhook-id` header (`msg_...`), the same on every attempt and redelivery. */
  eventId: string;
  eventType: WebhookEventType;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  createdAt: string;
  completedAt: string | null;
  attemptLog: WebhookAttempt[];
}

export interface Redelivery { deliveryId: number; status: 'pending' }

export interface Page<T> { items: T[]; pagination?: Pagination }

export interface PageQuery { page?: number; limit?: number }

export interface UserQuery extends PageQuery {
  sortBy?: 'created_at' | 'email' | 'name' | 'last_login';
  sortOrder?: 'asc' | 'desc';
  q?: string;
  role?: string;
  isActive?: boolean;
}

/** What the client holds for the signed-in session (never the refresh token). */
export interface Session {
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  sessionId?: string;
  user?: User;
}

export type AuthChangeEvent = 'INITIAL_SESSION' | 'SIGNED_IN' | 'TOKEN_REFRESHED' | 'SIGNED_OUT' | 'SESSION_EXPIRED';

export type AuthStateListener = (event: AuthChangeEvent, session: Session | null) => void;

export interface DiscoveryDocument {
  issuer: string;
  jwks_uri: string;
  access_token_signing_alg_values_supported?: string[];
  agent_token_signing_alg_values_supported?: string[];
  [k: string]: unknown;
}
