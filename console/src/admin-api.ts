import {
  ArchonAuthError, toCamel, toSnake,
  type AgentTokenInfo, type ArchonAuthClient, type AuditEvent, type Page, type Pagination,
} from '@archon/auth-client';

// The admin endpoints of issue 25 that the SDK has no call for yet (and no public generic request):
// a small typed wrapper that sends the SDK session's access token, in the SDK's envelope handling
// (camelCase out, snake_case in, ArchonAuthError with the server's code and details).

type Query = Record<string, string | number | undefined>;
type Method = 'GET' | 'POST' | 'DELETE';

/** Codes of a 401 that a refreshed access token cures (as the SDK's own calls retry). */
const STALE_TOKEN = new Set(['AUTH_TOKEN_EXPIRED', 'AUTH_TOKEN_INVALID', 'AUTH_TOKEN_REVOKED']);

function url(path: string, query: Query = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `${window.location.origin}/api/v2${path}${s ? `?${s}` : ''}`;
}

async function token(client: ArchonAuthClient): Promise<string> {
  if (!client.isAuthenticated()) await client.refreshAccessToken();
  const t = client.getAccessToken();
  if (!t) throw new ArchonAuthError({ code: 'SESSION_MISSING', message: 'Not signed in', status: 0 });
  return t;
}

async function once(method: Method, target: string, bearer: string, body?: unknown) {
  const res = await fetch(target, {
    method, credentials: 'same-origin', cache: 'no-store',
    headers: { Accept: 'application/json', Authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(toSnake(body)),
  });
  const json = await res.json().catch(() => null);
  if (res.ok && json?.success) return { data: toCamel<unknown>(json.data), pagination: toCamel<{ pagination?: Pagination }>(json.meta ?? {}).pagination };
  const e = json?.error;
  throw new ArchonAuthError({
    code: e?.code ?? 'INVALID_RESPONSE', message: e?.message ?? `HTTP ${res.status}`, status: res.status,
    details: e?.details, traceId: e?.trace_id,
  });
}

/** One authenticated call; a stale access token is refreshed once and the call sent again. */
async function send(client: ArchonAuthClient, method: Method, path: string, { query, body }: { query?: Query; body?: unknown } = {}) {
  const target = url(path, query);
  try {
    return await once(method, target, await token(client), body);
  } catch (e) {
    if (!(e instanceof ArchonAuthError && e.status === 401 && STALE_TOKEN.has(e.code))) throw e;
    await client.refreshAccessToken();
    return once(method, target, await token(client), body);
  }
}

const user = (id: string) => `/users/${encodeURIComponent(id)}`;

export interface LockoutState { locked: boolean; lockedUntil: string | null; lockedAddresses: number; accountFailures: number }
export interface AuditFilters { page?: number; limit?: number; userId?: string; event?: string; actor?: string; outcome?: string; since?: string; until?: string }
export interface ChainState { intact: boolean; events: number; firstBrokenSeq: number | null }
export type AdminAgentToken = AgentTokenInfo & { userId: string };
export interface AgentTokenFilters { page?: number; limit?: number; userId?: string; agentType?: string }

export const adminApi = {
  getLockout: async (c: ArchonAuthClient, id: string) => (await send(c, 'GET', `${user(id)}/lockout`)).data as LockoutState,
  unlock: async (c: ArchonAuthClient, id: string) => (await send(c, 'DELETE', `${user(id)}/lockout`)).data as LockoutState,
  revokeAllSessions: async (c: ArchonAuthClient, id: string) => (await send(c, 'DELETE', `${user(id)}/sessions`)).data as { revokedSessions: number },
  sendPasswordReset: async (c: ArchonAuthClient, id: string) => (await send(c, 'POST', `${user(id)}/password-reset`)).data as { sent: boolean },
  verifyAudit: async (c: ArchonAuthClient) => (await send(c, 'GET', '/audit/verify')).data as ChainState,
  async listAudit(c: ArchonAuthClient, f: AuditFilters): Promise<Page<AuditEvent>> {
    const r = await send(c, 'GET', '/audit', { query: snakeQuery(f) });
    return { items: r.data as AuditEvent[], pagination: r.pagination };
  },
  async listAgentTokens(c: ArchonAuthClient, f: AgentTokenFilters): Promise<Page<AdminAgentToken>> {
    const r = await send(c, 'GET', '/admin/agents/tokens', { query: snakeQuery(f) });
    return { items: r.data as AdminAgentToken[], pagination: r.pagination };
  },
  /** The kill switch: every live agent token of the user and/or type, with descendants. */
  revokeAgents: async (c: ArchonAuthClient, target: { userId?: string; agentType?: string }) =>
    (await send(c, 'POST', '/admin/agents/revoke', { body: target })).data as { revoked: number },
  /** One token of any account and every token delegated from it (404 for an unknown id). */
  revokeAgentToken: async (c: ArchonAuthClient, agentId: string) =>
    (await send(c, 'DELETE', `/admin/agents/tokens/${encodeURIComponent(agentId)}`)).data as { revoked: number },
};

function snakeQuery(q: object): Query {
  return toSnake(q as Record<string, unknown>) as Query;
}
