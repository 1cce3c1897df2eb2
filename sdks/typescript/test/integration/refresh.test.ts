// Refresh against the real server: the access token really expires (tokens.access.lifetime_seconds
// at its minimum, leeway 0), then 100 concurrent calls must cause exactly one refresh request,
// whether the client notices the expiry itself or only learns it from the server's 401s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchonAuthClient, type AuthChangeEvent } from '@archon/auth-client';
import { countingFetch, startServer, type RunningServer } from '../support/server.js';
import { newClient, signedInAdmin, signedInUser } from '../support/users.js';

const LIFETIME = Number(process.env.ARCHON_TS_ACCESS_LIFETIME ?? 60);
let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ tokens: { access: { lifetime_seconds: LIFETIME }, leeway_seconds: 0 } });
});
afterAll(async () => { if (!server) return; expect(await server.stop()).toBe(0); });

async function refreshRows(admin: ArchonAuthClient, userId: string) {
  const page = await admin.getAuditEvents({ userId, event: 'refresh', limit: 100 });
  return page.items;
}

describe('refresh', () => {
  it('100 concurrent calls meeting an expired token send exactly one refresh (client-side and 401 paths)', async () => {
    const { client: admin } = await signedInAdmin(server);
    // A: notices the expiry itself. B: its clock runs 30 s behind, so only the server's 401 tells it.
    const a = countingFetch();
    const b = countingFetch();
    const userA = await signedInUser(server, newClient(server, { fetch: a.fetch, expiryMarginSeconds: 0 }));
    const userB = await signedInUser(server, newClient(server, { fetch: b.fetch, expiryMarginSeconds: -30 }));
    const tokenA = userA.client.getAccessToken();
    const tokenB = userB.client.getAccessToken();
    await new Promise((r) => setTimeout(r, (LIFETIME + 1.5) * 1000));
    expect(userA.client.isAuthenticated()).toBe(false);

    const [usersA, usersB] = await Promise.all([
      Promise.all(Array.from({ length: 100 }, () => userA.client.getCurrentUser())),
      Promise.all(Array.from({ length: 100 }, () => userB.client.getCurrentUser())),
    ]);
    expect(usersA.every((u) => u.id === userA.user.id)).toBe(true);
    expect(usersB.every((u) => u.id === userB.user.id)).toBe(true);
    expect(a.count('/api/v2/auth/refresh')).toBe(1);
    expect(b.count('/api/v2/auth/refresh')).toBe(1);
    expect(a.count('/api/v2/users/me')).toBe(100);
    expect(b.count('/api/v2/users/me')).toBe(200); // each met a 401 once, then succeeded
    expect(userA.client.getAccessToken()).not.toBe(tokenA);
    expect(userB.client.getAccessToken()).not.toBe(tokenB);
    expect(await refreshRows(admin, userA.user.id)).toHaveLength(1);
    expect(await refreshRows(admin, userB.user.id)).toHaveLength(1);
  }, (LIFETIME + 60) * 1000);

  it('a refresh the server refuses clears the session and reports SESSION_EXPIRED', async () => {
    const { client: admin } = await signedInAdmin(server);
    const { client, user, sessionId } = await signedInUser(server);
    const events: AuthChangeEvent[] = [];
    client.onAuthStateChange((e) => events.push(e));
    await client.refreshAccessToken();
    expect(events).toContain('TOKEN_REFRESHED');
    await admin.terminateUserSession(user.id, sessionId);
    await expect(client.refreshAccessToken()).rejects.toMatchObject({ status: 401 });
    expect(client.isAuthenticated()).toBe(false);
    expect(events.at(-1)).toBe('SESSION_EXPIRED');
  });

  it('keeps the refresh token in the pluggable storage, never in returned data', async () => {
    const store = new Map<string, string>();
    const storage = { getItem: async (k: string) => store.get(k) ?? null, setItem: async (k: string, v: string) => { store.set(k, v); }, removeItem: async (k: string) => { store.delete(k); } };
    const { client, email } = await signedInUser(server, newClient(server, { storage, storageKey: 'rt' }));
    const first = store.get('rt');
    expect(first).toBeTruthy();
    await client.refreshAccessToken();
    expect(store.get('rt')).not.toBe(first); // rotated
    // A new process with the same storage resumes the session.
    const resumed = newClient(server, { storage, storageKey: 'rt' });
    expect(await resumed.initialize()).not.toBeNull();
    expect((await resumed.getCurrentUser()).email).toBe(email);
    await resumed.logout();
    expect(store.has('rt')).toBe(false);
  });

  it('two server-side renderers sharing one stored session refresh at once without a reuse detection', async () => {
    // The "Already Used" failure of SSR setups: two workers read the same refresh token and both
    // refresh. The server's grace window answers the second with the same child token.
    const { client: admin } = await signedInAdmin(server);
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => { store.set(k, v); }, removeItem: (k: string) => { store.delete(k); } };
    const { user } = await signedInUser(server, newClient(server, { storage, storageKey: 'shared' }));
    const workers = [newClient(server, { storage, storageKey: 'shared' }), newClient(server, { storage, storageKey: 'shared' })];
    await Promise.all(workers.map((w) => w.refreshAccessToken()));
    expect(workers[0]!.getAccessToken()).toBeTruthy();
    await Promise.all(workers.map((w) => w.getCurrentUser()));
    const rows = await refreshRows(admin, user.id);
    expect(rows.map((r) => r.outcome).sort()).toEqual(['grace_replay', 'rotated']);
    const reuse = await admin.getAuditEvents({ userId: user.id, event: 'refresh_reuse_detected' });
    expect(reuse.items).toHaveLength(0);
    await workers[1]!.refreshAccessToken(); // the stored child works on
  });
});
