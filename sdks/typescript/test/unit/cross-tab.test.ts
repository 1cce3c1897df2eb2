// Cross-tab coordination, with Node's BroadcastChannel standing in for the tabs of one origin and
// a scripted fetch for the server. Web Locks: absent (Node), then present but stuck.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ArchonAuthClient, type AuthChangeEvent } from '@archon/auth-client';
import { envelope, failure, fakeFetch, loginAnswer, USER } from './fake.js';

let n = 0;
const clients: ArchonAuthClient[] = [];
afterEach(() => { clients.splice(0).forEach((c) => c.dispose()); vi.unstubAllGlobals(); });

function tabs(count: number, handler: (req: { path: string }) => Response | Promise<Response> = defaultServer()) {
  const baseURL = `http://tabs${++n}.test/api/v2`; // one origin per test: its own channel
  const f = fakeFetch(handler);
  const made = Array.from({ length: count }, () => {
    const c = new ArchonAuthClient({ baseURL, fetch: f.fetch, refreshTokenMode: 'cookie', autoRefresh: false, lockTimeoutMs: 100 });
    clients.push(c);
    return c;
  });
  return { f, tabs: made };
}

function defaultServer() {
  let k = 0;
  return async (req: { path: string }) => {
    if (req.path.endsWith('/login')) return loginAnswer('at-0');
    if (req.path.endsWith('/refresh')) {
      await new Promise((r) => setTimeout(r, 30));
      return envelope({ access_token: `at-${++k}`, token_type: 'Bearer', expires_in: 3600, session_id: 'sess_1' });
    }
    return envelope(USER);
  };
}

/** A minimal Web Locks: exclusive, FIFO, honours AbortSignal. */
function fakeLocks() {
  const queue: { fn: () => Promise<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void; signal?: AbortSignal }[] = [];
  let busy = false;
  const pump = () => {
    if (busy) return;
    const next = queue.shift();
    if (!next) return;
    busy = true;
    next.fn().then(next.resolve, next.reject).finally(() => { busy = false; pump(); });
  };
  const locks = {
    request: (_name: string, opts: { signal?: AbortSignal }, fn: () => Promise<unknown>) => new Promise((resolve, reject) => {
      const entry = { fn, resolve, reject, signal: opts.signal };
      opts.signal?.addEventListener('abort', () => {
        const i = queue.indexOf(entry);
        if (i >= 0) { queue.splice(i, 1); reject(new DOMException('aborted', 'AbortError')); }
      });
      queue.push(entry);
      pump();
    }),
  };
  return locks;
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('across tabs', () => {
  it('a log-in and a refresh in one tab reach the others; a new tab asks its peers instead of refreshing', async () => {
    const { f, tabs: [a, b] } = tabs(2);
    const seen: AuthChangeEvent[] = [];
    b!.onAuthStateChange((e) => seen.push(e));
    await b!.initialize(); // no peer has a token yet: b tries the cookie
    await a!.login({ email: 'a', password: 'b' });
    await settle();
    expect(b!.getAccessToken()).toBe(a!.getAccessToken());
    const before = f.count('/api/v2/auth/refresh');
    await a!.refreshAccessToken();
    await settle();
    expect(b!.getAccessToken()).toBe(a!.getAccessToken());
    expect(seen).toContain('TOKEN_REFRESHED');

    const { tabs: [late] } = { tabs: [new ArchonAuthClient({ baseURL: (a as any).transport.cfg.apiBase, fetch: f.fetch, refreshTokenMode: 'cookie', autoRefresh: false })] };
    clients.push(late!);
    await late!.initialize();
    expect(late!.getAccessToken()).toBe(a!.getAccessToken());
    expect(f.count('/api/v2/auth/refresh')).toBe(before + 1); // only a's explicit refresh
  });

  it('many tabs meeting a stale token at once send one refresh between them', async () => {
    const { f, tabs: all } = tabs(6);
    await all[0]!.login({ email: 'a', password: 'b' });
    await settle();
    const stale = all[0]!.getAccessToken();
    // Every tab is told its token is stale at the same moment (as a 401 would).
    await Promise.all(all.map((t) => (t as any).session.refresh(stale)));
    await settle();
    // Racing refreshes may leave tabs with different (all valid) access tokens; none keeps the stale one.
    expect(all.every((t) => t.isAuthenticated() && t.getAccessToken() !== stale)).toBe(true);
    // Without Web Locks (Node) tabs may race; the server's grace window covers it. With the
    // broadcast, at most a few of them refresh, never one per call.
    expect(f.count('/api/v2/auth/refresh')).toBeLessThanOrEqual(all.length);
  });

  it('with Web Locks, one refresh for all tabs; a stuck lock is waited for at most lockTimeoutMs', async () => {
    const locks = fakeLocks();
    vi.stubGlobal('navigator', { locks });
    const { f, tabs: all } = tabs(6);
    await all[0]!.login({ email: 'a', password: 'b' });
    await settle();
    const stale = all[0]!.getAccessToken();
    const before = f.count('/api/v2/auth/refresh');
    await Promise.all(all.map((t) => (t as any).session.refresh(stale)));
    expect(f.count('/api/v2/auth/refresh') - before).toBe(1);
    expect(new Set(all.map((t) => t.getAccessToken())).size).toBe(1);

    // A holder that never lets go: the next refresh goes ahead after lockTimeoutMs.
    void locks.request('x', {}, () => new Promise(() => undefined));
    const t0 = Date.now();
    await all[1]!.refreshAccessToken();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    expect(f.count('/api/v2/auth/refresh') - before).toBe(2);
  });

  it('logging out in one tab signs the others out', async () => {
    const { tabs: [a, b] } = tabs(2, (req) => (req.path.endsWith('/login') ? loginAnswer('at-0')
      : req.path.endsWith('/refresh') ? failure(401, 'AUTH_TOKEN_INVALID') : envelope({ revoked_sessions: 1 })));
    const seen: AuthChangeEvent[] = [];
    b!.onAuthStateChange((e) => seen.push(e));
    await b!.initialize(); // mounted, no session anywhere yet
    await a!.login({ email: 'a', password: 'b' });
    await settle();
    expect(seen).toEqual(['INITIAL_SESSION', 'SIGNED_IN']);
    await a!.logout();
    await settle();
    expect(b!.isAuthenticated()).toBe(false);
    expect(seen).toContain('SIGNED_OUT');
  });

  it("another tab's log-in (a new session) is a SIGNED_IN here, not a refresh of the old user's session", async () => {
    let session = 0;
    const { tabs: [a, b] } = tabs(2, (req) => (req.path.endsWith('/login')
      ? envelope({ access_token: `at-${++session}`, token_type: 'Bearer', expires_in: 3600, session_id: `sess_${session}`, user: { ...USER, id: `usr_${session}` } })
      : envelope(USER)));
    await a!.initialize();
    await b!.initialize();
    await b!.login({ email: 'first', password: 'p' });
    await settle();
    const seen: AuthChangeEvent[] = [];
    b!.onAuthStateChange((e) => seen.push(e));
    await a!.login({ email: 'second', password: 'p' });
    await settle();
    expect(b!.getSession()?.sessionId).toBe('sess_2');
    expect(b!.getSession()?.user).toBeUndefined(); // the first user's profile is not carried over
    expect(seen).toContain('SIGNED_IN');
  });

  it('a tab that takes the lock before the broadcast arrives waits for it instead of refreshing again', async () => {
    // Messages take 200 ms (a busy browser); the localStorage marker tells the next lock holder.
    const Real = globalThis.BroadcastChannel;
    class SlowChannel extends Real {
      override set onmessage(fn: ((ev: MessageEvent) => void) | null) {
        super.onmessage = fn && ((ev: MessageEvent) => { setTimeout(() => fn.call(this, ev), 200); });
      }
    }
    const store = new Map<string, string>();
    vi.stubGlobal('BroadcastChannel', SlowChannel);
    vi.stubGlobal('localStorage', { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => { store.set(k, v); }, removeItem: (k: string) => { store.delete(k); } });
    vi.stubGlobal('navigator', { locks: fakeLocks() });
    const { f, tabs: all } = tabs(5);
    await all[0]!.login({ email: 'a', password: 'b' });
    await new Promise((r) => setTimeout(r, 300));
    const stale = all[0]!.getAccessToken();
    const before = f.count('/api/v2/auth/refresh');
    await Promise.all(all.map((t) => (t as any).session.refresh(stale)));
    expect(f.count('/api/v2/auth/refresh') - before).toBe(1);
    expect(new Set(all.map((t) => t.getAccessToken())).size).toBe(1);
    expect([...store.values()].join()).not.toContain('at-'); // the marker never holds a token
  });
});
