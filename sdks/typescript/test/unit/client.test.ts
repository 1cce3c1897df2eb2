import { describe, expect, it, vi } from 'vitest';
import ArchonAuthClientDefault, { ArchonAuthClient, ArchonAuthError, resolveBaseURL, toCamel, toSnake, type AuthChangeEvent } from '@archon/auth-client';
import { backoffDelay } from '../../packages/auth-client/src/http.js';
import { envelope, failure, fakeFetch, loginAnswer, USER } from './fake.js';

const base = { baseURL: 'http://auth.test/api/v2', retryBaseDelayMs: 1, retryMaxDelayMs: 5 };

describe('surface', () => {
  it('is the default export and a named export', () => {
    expect(ArchonAuthClientDefault).toBe(ArchonAuthClient);
  });

  it('takes baseURL as the spec writes it, as a bare origin, or as a path', () => {
    expect(resolveBaseURL('http://localhost:8181/api/v2')).toEqual({ origin: 'http://localhost:8181', apiBase: 'http://localhost:8181/api/v2' });
    expect(resolveBaseURL('http://localhost:8181/')).toEqual({ origin: 'http://localhost:8181', apiBase: 'http://localhost:8181/api/v2' });
    expect(resolveBaseURL('https://api.archon.ai/v2')).toEqual({ origin: 'https://api.archon.ai', apiBase: 'https://api.archon.ai/v2' });
    expect(resolveBaseURL('/api/v2')).toEqual({ origin: '', apiBase: '/api/v2' });
    expect(() => resolveBaseURL('ftp://x')).toThrow(ArchonAuthError);
  });

  it('translates camelCase to snake_case and back in one place, leaving caller data alone', () => {
    expect(toSnake({ capabilitiesRequested: ['a'], taskContext: { estimatedDuration: 3, project_id: 'p' }, rememberMe: undefined }))
      .toEqual({ capabilities_requested: ['a'], task_context: { estimatedDuration: 3, project_id: 'p' } });
    expect(toCamel({ denial_reasons: { 'x_y:z': 'requires_approval' }, restrictions: { file_paths: ['/a'] }, preferences: { dark_mode: 1 } }))
      .toEqual({ denialReasons: { 'x_y:z': 'requires_approval' }, restrictions: { filePaths: ['/a'] }, preferences: { dark_mode: 1 } });
  });

  it('sends a JSON body in snake_case and the SDK user agent; a public call carries no API key', async () => {
    const f = fakeFetch(() => loginAnswer());
    const c = new ArchonAuthClient({ ...base, apiKey: 'k-123', fetch: f.fetch });
    const r = await c.login({ email: 'a@example.com', password: 'p', rememberMe: true });
    expect(r.data.user.emailVerified).toBe(true);
    expect(f.seen[0]!.headers['X-API-Key']).toBeUndefined();
    expect(f.seen[0]!.headers['User-Agent']).toBe('ArchonAuthClient/2.0.0');
    expect(f.seen[0]!.body).toEqual({ email: 'a@example.com', password: 'p', remember_me: true, return_refresh_token: true });
  });

  it('sends the API key as the only credential while not signed in, and never beside another', async () => {
    const f = fakeFetch((req) => (req.path.startsWith('/api/v2/auth/login') ? loginAnswer() : envelope(
      req.path.startsWith('/api/v2/auth/agents/verify') ? { allowed: true, reason: 'allowed' } : [])));
    const c = new ArchonAuthClient({ ...base, apiKey: 'archon_sk_k', fetch: f.fetch });
    await c.listUsers();
    await c.verifyCapability('agent-token', 'file:read');
    expect(f.seen[0]!.headers['X-API-Key']).toBe('archon_sk_k');
    expect(f.seen[0]!.headers.Authorization).toBeUndefined();
    expect(f.seen[1]!.headers['X-API-Key']).toBe('archon_sk_k');
    await c.verifyCapability('agent-token', 'file:read', {}, { client: { clientId: 'svc', clientSecret: 's' } });
    await c.verifyCapability('agent-token', 'file:read', {}, { asAgent: true });
    for (const seen of f.seen.slice(2)) expect(seen.headers['X-API-Key']).toBeUndefined();
    await c.login({ email: 'a@example.com', password: 'p' });
    await c.listUsers();
    const last = f.seen[f.seen.length - 1]!;
    expect(last.headers.Authorization).toBe('Bearer at-1');
    expect(last.headers['X-API-Key']).toBeUndefined();
  });
});

describe('webhook administration', () => {
  it('sends the calls to the documented paths with snake_case bodies and answers in camelCase', async () => {
    const f = fakeFetch((req) => {
      if (req.path.endsWith('/redeliver')) return envelope({ delivery_id: 8, status: 'pending' }, 202);
      if (req.method === 'DELETE') return envelope(null, 204);
      if (req.path.includes('/deliveries')) return envelope([{ id: 7, event_id: 'msg_1', attempt_log: [{ status_code: 500, latency_ms: 3 }] }]);
      return envelope({ id: 'wh_1', event_types: ['*'], previous_secret_expires_at: null, secret: 'whsec_x' }, req.method === 'POST' ? 201 : 200);
    });
    const c = new ArchonAuthClient({ ...base, apiKey: 'archon_sk_k', fetch: f.fetch });
    expect(await c.createWebhook({ url: 'https://h.test/x', eventTypes: ['user.registered'], enabled: false }))
      .toMatchObject({ id: 'wh_1', eventTypes: ['*'], secret: 'whsec_x' });
    await c.updateWebhook('wh/1', { description: '' });
    expect((await c.listWebhookDeliveries('wh_1', { limit: 5 })).items[0]!.attemptLog[0]).toEqual({ statusCode: 500, latencyMs: 3 });
    expect(await c.redeliverWebhook('wh_1', 7)).toEqual({ deliveryId: 8, status: 'pending' });
    await c.rotateWebhookSecret('wh_1');
    await c.deleteWebhook('wh_1');
    expect(f.seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'POST /api/v2/admin/webhooks', 'PATCH /api/v2/admin/webhooks/wh%2F1', 'GET /api/v2/admin/webhooks/wh_1/deliveries?limit=5',
      'POST /api/v2/admin/webhooks/wh_1/deliveries/7/redeliver', 'POST /api/v2/admin/webhooks/wh_1/rotate-secret',
      'DELETE /api/v2/admin/webhooks/wh_1']);
    expect(f.seen[0]!.body).toEqual({ url: 'https://h.test/x', event_types: ['user.registered'], enabled: false });
    expect(f.seen[1]!.body).toEqual({ description: '' });
  });
});

describe('errors and retries', () => {
  it('parses the error envelope, including 429 figures and Retry-After', async () => {
    const f = fakeFetch(() => failure(429, 'RATE_LIMIT_EXCEEDED', { limit: 5, window: '1 minute', retry_after: 12, scope: 'ip' },
      { 'Retry-After': '12' }, { rate_limit: { limit: 5, remaining: 0, reset: '2026-01-01T00:00:12Z' } }));
    const c = new ArchonAuthClient({ ...base, retries: 0, fetch: f.fetch });
    const e = await c.register({ email: 'a@b.c', password: 'x', name: 'n', termsAccepted: true }).catch((x) => x);
    expect(e).toBeInstanceOf(ArchonAuthError);
    expect(e).toMatchObject({ status: 429, code: 'RATE_LIMIT_EXCEEDED', traceId: 'req_e', retryAfterMs: 12000, retryAfter: 12,
      rateLimit: { limit: 5, remaining: 0, reset: '2026-01-01T00:00:12Z', window: '1 minute', scope: 'ip' },
      documentationUrl: 'https://docs.archon.ai/errors/rate-limit-exceeded' });
  });

  it('retries GET on 503 and network errors with backoff, up to `retries`', async () => {
    const f = fakeFetch((_r, n) => {
      if (n === 1) throw new TypeError('fetch failed');
      if (n === 2) return failure(503, 'SYSTEM_SERVICE_UNAVAILABLE');
      return envelope([]);
    });
    const c = new ArchonAuthClient({ ...base, retries: 2, fetch: f.fetch });
    await c.login({ email: 'a', password: 'b' }).catch(() => undefined); // 503 without Retry-After: POST not retried
    expect(f.seen.length).toBe(1);
    f.seen.length = 0;
    const g = fakeFetch((_r, n) => (n === 1 ? loginAnswer() : n === 2 ? Promise.reject(new TypeError('fetch failed')) : n === 3 ? failure(503, 'SYSTEM_SERVICE_UNAVAILABLE') : envelope([])));
    const c2 = new ArchonAuthClient({ ...base, retries: 2, fetch: g.fetch });
    await c2.login({ email: 'a', password: 'b' });
    expect(await c2.getSessions()).toEqual([]);
    expect(g.count('/api/v2/users/me/sessions')).toBe(3);
  });

  it('never replays a POST that may have reached the server, but does re-send one refused with 429 or never connected', async () => {
    const lost = fakeFetch(() => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } })));
    const c = new ArchonAuthClient({ ...base, retries: 3, fetch: lost.fetch });
    await expect(c.register({ email: 'a', password: 'b', name: 'c', termsAccepted: true })).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(lost.seen.length).toBe(1);

    const refused = fakeFetch((_r, n) => (n === 1 ? Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })) : envelope({ user_id: 'u', email: 'a', email_verification_sent: true }, 201)));
    await new ArchonAuthClient({ ...base, retries: 1, fetch: refused.fetch }).register({ email: 'a', password: 'b', name: 'c', termsAccepted: true });
    expect(refused.seen.length).toBe(2);

    const limited = fakeFetch((_r, n) => (n === 1 ? failure(429, 'RATE_LIMIT_EXCEEDED', {}, { 'Retry-After': '0' }) : loginAnswer()));
    await new ArchonAuthClient({ ...base, retries: 1, fetch: limited.fetch }).login({ email: 'a', password: 'b' });
    expect(limited.seen.length).toBe(2);

    const password = fakeFetch((r, n) => (n === 1 ? loginAnswer() : Promise.reject(new TypeError('fetch failed'))));
    const c3 = new ArchonAuthClient({ ...base, retries: 3, fetch: password.fetch });
    await c3.login({ email: 'a', password: 'b' });
    await expect(c3.changePassword('a', 'b')).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(password.count('/api/v2/users/me/password')).toBe(1);
  });

  it('honours Retry-After as the floor of the backoff, with jitter', () => {
    const cfg = { retryBaseDelayMs: 100, retryMaxDelayMs: 1000 };
    expect(backoffDelay(0, cfg, undefined, () => 0)).toBe(50);
    expect(backoffDelay(3, cfg, undefined, () => 0.999)).toBeCloseTo(1199.2, 1);
    expect(backoffDelay(0, cfg, 5000, () => 0.5)).toBe(5000);
    expect(backoffDelay(10, cfg, undefined, () => 0.5)).toBe(1000);
  });

  it('aborts a request that outlives the timeout', async () => {
    const f = fakeFetch(() => new Promise<Response>(() => undefined));
    const c = new ArchonAuthClient({ ...base, timeout: 20, retries: 0, fetch: f.fetch });
    await expect(c.getDiscovery()).rejects.toMatchObject({ code: 'TIMEOUT', status: 0 });
  });
});

describe('tokens', () => {
  it('100 concurrent calls meeting 401 cause one refresh, then each is retried once', async () => {
    let current = 'at-1';
    const f = fakeFetch(async (req) => {
      if (req.path === '/api/v2/auth/login') return loginAnswer('at-1', 3600, { refresh_token: 'rt-1' });
      if (req.path === '/api/v2/auth/refresh') {
        await new Promise((r) => setTimeout(r, 10));
        current = 'at-2';
        return envelope({ access_token: 'at-2', token_type: 'Bearer', expires_in: 3600, session_id: 'sess_1', refresh_token: 'rt-2' });
      }
      if (req.headers.Authorization !== `Bearer ${current}`) return failure(401, 'AUTH_TOKEN_EXPIRED');
      return envelope(USER);
    });
    const c = new ArchonAuthClient({ ...base, fetch: f.fetch });
    await c.login({ email: 'a', password: 'b' });
    current = 'at-x'; // the server no longer takes at-1 (the client still thinks it fresh)
    const users = await Promise.all(Array.from({ length: 100 }, () => c.getCurrentUser()));
    expect(users).toHaveLength(100);
    expect(f.count('/api/v2/auth/refresh')).toBe(1);
    expect(f.seen.find((s) => s.path === '/api/v2/auth/refresh')!.body).toEqual({ refresh_token: 'rt-1', return_refresh_token: true });
    expect(c.refreshCount).toBe(1);
  });

  it('reports the auth state changes and unsubscribes', async () => {
    const f = fakeFetch((req) => (req.path.endsWith('/login') ? loginAnswer('at-1', 3600, { refresh_token: 'rt' })
      : req.path.endsWith('/refresh') ? failure(401, 'AUTH_REFRESH_TOKEN_REUSED') : envelope({ revoked_sessions: 1 })));
    const c = new ArchonAuthClient({ ...base, fetch: f.fetch });
    const seen: AuthChangeEvent[] = [];
    const off = c.onAuthStateChange((e) => seen.push(e));
    await c.initialize();
    await c.login({ email: 'a', password: 'b' });
    await c.refreshAccessToken().catch(() => undefined);
    expect(seen).toEqual(['INITIAL_SESSION', 'SIGNED_IN', 'SESSION_EXPIRED']);
    off();
    await c.login({ email: 'a', password: 'b' });
    expect(seen).toHaveLength(3);
    const late = vi.fn();
    c.onAuthStateChange(late);
    await Promise.resolve();
    expect(late).toHaveBeenCalledWith('INITIAL_SESSION', expect.objectContaining({ accessToken: 'at-1' }));
  });

  it('refreshes ahead of expiry on a timer when autoRefresh is on', async () => {
    const f = fakeFetch((req) => (req.path.endsWith('/login') ? loginAnswer('at-1', 1, { refresh_token: 'rt' })
      : envelope({ access_token: 'at-2', token_type: 'Bearer', expires_in: 3600, session_id: 'sess_1', refresh_token: 'rt2' })));
    const c = new ArchonAuthClient({ ...base, fetch: f.fetch, autoRefresh: true });
    await c.login({ email: 'a', password: 'b' });
    await vi.waitFor(() => expect(c.getAccessToken()).toBe('at-2'), { timeout: 2000 });
    expect(f.count('/api/v2/auth/refresh')).toBe(1);
    c.dispose();
  });

  it('uses the cookie in cookie mode: credentials included, no token in the body', async () => {
    const f = fakeFetch((req) => (req.path.endsWith('/login') ? loginAnswer() : envelope({ access_token: 'at-2', token_type: 'Bearer', expires_in: 60, session_id: 's' })));
    const c = new ArchonAuthClient({ ...base, fetch: f.fetch, refreshTokenMode: 'cookie', crossTab: false });
    await c.login({ email: 'a', password: 'b' });
    await c.refreshAccessToken();
    const refresh = f.seen.find((s) => s.path.endsWith('/refresh'))!;
    expect(refresh.credentials).toBe('include');
    expect(refresh.body).toBeUndefined();
    expect(f.seen[0]!.body.return_refresh_token).toBeUndefined();
  });
});
