// The account journey of the spec's SDK, against the real archon-auth binary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchonAuthClient, ArchonAuthError, type AuthChangeEvent } from '@archon/auth-client';
import { PASSWORD, startServer, uniqueEmail, waitForMailToken, type RunningServer } from '../support/server.js';
import { newClient, signedInAdmin, signedInUser } from '../support/users.js';

let server: RunningServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { if (!server) return; expect(await server.stop()).toBe(0); expect(server.stderr()).not.toMatch(/AddressSanitizer|runtime error:/); });

async function rejection(p: Promise<unknown>): Promise<ArchonAuthError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ArchonAuthError);
  return err as ArchonAuthError;
}

describe('account journey', () => {
  it('reads issuer and jwks_uri from discovery, with either form of baseURL', async () => {
    for (const baseURL of [server.baseUrl, `${server.baseUrl}/api/v2`, `${server.baseUrl}/`]) {
      const d = await new ArchonAuthClient({ baseURL }).getDiscovery();
      expect(d.jwks_uri).toMatch(/\/\.well-known\/jwks\.json$/);
      expect(typeof d.issuer).toBe('string');
    }
  });

  it('registers, verifies by mail, logs in, edits the profile, lists and revokes sessions, logs out', async () => {
    const client = newClient(server);
    const events: AuthChangeEvent[] = [];
    client.onAuthStateChange((e) => events.push(e));
    const email = uniqueEmail();
    const reg = await client.register({ email, password: PASSWORD, name: 'Ada', termsAccepted: true });
    expect(reg).toMatchObject({ email, emailVerificationSent: true });
    expect(typeof reg.userId).toBe('string');

    const unverified = await rejection(client.login({ email, password: PASSWORD }));
    expect([unverified.status, unverified.code]).toEqual([403, 'USER_EMAIL_NOT_VERIFIED']);

    expect(await client.verifyEmail(await waitForMailToken(server.dataDir, email))).toEqual({ emailVerified: true });
    const login = await client.login({ email, password: PASSWORD, rememberMe: true, deviceInfo: { deviceId: 'laptop-1', user_agent_hint: 'kept as is' } });
    expect(login.success).toBe(true);
    expect(login.data.user).toMatchObject({ email, name: 'Ada', emailVerified: true, isActive: true, roles: ['user'] });
    expect(login.data.tokenType).toBe('Bearer');
    expect(login.meta.requestId).toMatch(/.+/);
    expect(JSON.stringify(login)).not.toMatch(/refresh_?token/i);
    expect(client.isAuthenticated()).toBe(true);
    expect(events).toContain('SIGNED_IN');

    const me = await client.getCurrentUser();
    expect(me.id).toBe(login.data.user.id);
    const updated = await client.updateProfile({ name: 'Ada L.', preferences: { dark_mode: true, fontSize: 14 } });
    expect(updated.name).toBe('Ada L.');
    // preferences are the caller's data: their keys are never re-cased
    expect(updated.preferences).toEqual({ dark_mode: true, fontSize: 14 });

    const other = newClient(server);
    const second = await other.login({ email, password: PASSWORD });
    const sessions = await client.getSessions();
    expect(sessions.map((s) => s.sessionId).sort()).toEqual([login.data.sessionId, second.data.sessionId].sort());
    expect(sessions.find((s) => s.sessionId === login.data.sessionId)?.current).toBe(true);
    expect(sessions.find((s) => s.sessionId === login.data.sessionId)?.deviceInfo).toEqual({ deviceId: 'laptop-1', user_agent_hint: 'kept as is' }); // caller data: stored and returned as given
    await client.terminateSession(second.data.sessionId);
    const revoked = await rejection(other.getCurrentUser());
    expect(revoked.status).toBe(401);
    expect(other.isAuthenticated()).toBe(false); // the failed refresh cleared it

    const events2 = await client.getSecurityEvents({ limit: 50 });
    expect(events2.items.map((e) => e.event)).toEqual(expect.arrayContaining(['login', 'register']));
    expect(events2.pagination?.page).toBe(1);

    const out = await client.logout();
    expect(out.revokedSessions).toBe(1);
    expect(client.isAuthenticated()).toBe(false);
    expect(events.at(-1)).toBe('SIGNED_OUT');
    await rejection(client.getCurrentUser());
  });

  it('changes the password: other sessions end, the current one stays', async () => {
    const { client, email } = await signedInUser(server);
    const other = newClient(server);
    await other.login({ email, password: PASSWORD });
    const wrong = await rejection(client.changePassword('not the password at all', 'another long passphrase 77'));
    expect(wrong.code).toBe('AUTH_INVALID_CREDENTIALS');
    expect(client.isAuthenticated()).toBe(true); // a wrong password is not a stale token
    expect(await client.changePassword(PASSWORD, 'another long passphrase 77')).toEqual({ revokedSessions: 1 });
    await client.getCurrentUser();
    expect((await rejection(other.getCurrentUser())).status).toBe(401);
  });

  it('resets a forgotten password from the mailed token', async () => {
    const { client, email } = await signedInUser(server);
    await client.requestPasswordReset(email);
    const token = await waitForMailToken(server.dataDir, email, 'Reset');
    expect(await client.confirmPasswordReset(token, 'brand new passphrase 2026')).toEqual({ passwordReset: true });
    const again = newClient(server);
    await again.login({ email, password: 'brand new passphrase 2026' });
    expect(await again.resendVerificationEmail(email)).toEqual({ accepted: true });
  });
});

describe('errors', () => {
  it('carries code, message, details, traceId, status and documentationUrl', async () => {
    const client = newClient(server);
    const e = await rejection(client.login({ email: uniqueEmail(), password: 'wrong password 123' }));
    expect(e.status).toBe(401);
    expect(e.code).toBe('AUTH_INVALID_CREDENTIALS');
    expect(e.message.length).toBeGreaterThan(0);
    expect(e.details).toHaveProperty('attempts_remaining');
    expect(e.traceId).toMatch(/^req_/);
    expect(e.documentationUrl).toBe('https://docs.archon.ai/errors/auth-invalid-credentials');

    const v = await rejection(client.register({ email: uniqueEmail(), password: 'short', name: 'X', termsAccepted: true }));
    expect([v.status, v.code]).toEqual([422, 'VALIDATION_CONSTRAINT_VIOLATION']);
    expect(Object.keys(v.details)).toContain('password');
  });

  it('reports 429 with the retry delay and the rate-limit figures', async () => {
    const limited = await startServer({ rate_limits: { authentication: { login: { per_ip: '2/minute', per_user: '100/minute' } } } });
    try {
      const client = new ArchonAuthClient({ baseURL: limited.baseUrl, retries: 0 });
      const email = uniqueEmail();
      let last: ArchonAuthError | undefined;
      for (let i = 0; i < 4 && last?.status !== 429; i++) last = await rejection(client.login({ email, password: 'wrong password 123' }));
      expect(last!.status).toBe(429);
      expect(last!.code).toBe('RATE_LIMIT_EXCEEDED');
      expect(last!.retryAfterMs).toBeGreaterThan(0);
      expect(last!.retryAfter).toBeGreaterThan(0);
      expect(last!.rateLimit?.limit).toBe(2);
      expect(last!.rateLimit?.remaining).toBe(0);
    } finally {
      await limited.stop();
    }
  });

  it('times out with AbortController', async () => {
    const client = new ArchonAuthClient({ baseURL: server.baseUrl, timeout: 1, retries: 0 });
    // 1 ms is below any real round trip through the ASan server's TCP accept and JSON answer
    const e = await rejection(client.login({ email: uniqueEmail(), password: PASSWORD }));
    expect(e.code).toBe('TIMEOUT');
  });
});

describe('administration', () => {
  it('lists, reads, updates and deactivates users; reads the audit; manages role grants', async () => {
    const { client: admin } = await signedInAdmin(server);
    const { user, sessionId, email } = await signedInUser(server);
    const page = await admin.listUsers({ q: email, limit: 5 });
    expect(page.items.map((u) => u.id)).toContain(user.id);
    expect(page.pagination?.limit).toBe(5);
    expect((await admin.getUser(user.id)).email).toBe(email);
    expect((await admin.updateUser(user.id, { roles: ['user', 'agent_operator'] })).roles.sort()).toEqual(['agent_operator', 'user']);
    expect((await admin.getUserSessions(user.id)).map((s) => s.sessionId)).toContain(sessionId);
    await admin.terminateUserSession(user.id, sessionId);
    const audit = await admin.getAuditEvents({ userId: user.id, event: 'login' });
    expect(audit.items.length).toBeGreaterThan(0);
    expect(audit.items[0]).toMatchObject({ event: 'login', outcome: 'success', userId: user.id });
    const grants = await admin.getRoleAgentGrants('agent_operator');
    expect(grants.grants[0]).toMatchObject({ agentType: '@common' });
    await admin.deactivateUser(user.id);
    expect((await admin.getUser(user.id)).isActive).toBe(false);
  });
});
