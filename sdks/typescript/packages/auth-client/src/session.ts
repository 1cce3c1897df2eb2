import { ArchonAuthError } from './errors.js';
import type { Transport } from './http.js';
import { CrossTab, type SharedToken } from './cross-tab.js';
import type { AuthChangeEvent, AuthStateListener, Session, TokenStorage, User } from './types.js';

export interface SessionOptions {
  mode: 'cookie' | 'body';
  storage: TokenStorage;
  storageKey: string;
  autoRefresh: boolean;
  expiryMarginSeconds?: number;
  crossTab: boolean;
  lockTimeoutMs: number;
  channelName: string;
}

interface TokenAnswer { accessToken: string; expiresIn: number; sessionId?: string; refreshToken?: string; user?: User }

/** 401 codes that mean "this access token no longer works" (not a wrong password). */
const STALE_TOKEN_CODES = new Set(['AUTH_TOKEN_EXPIRED', 'AUTH_TOKEN_INVALID', 'AUTH_TOKEN_REVOKED']);

export function isStaleTokenError(e: unknown): boolean {
  return e instanceof ArchonAuthError && e.status === 401 && STALE_TOKEN_CODES.has(e.code);
}

/**
 * Holds the access token, refreshes it (single-flight in this client, one at a time across tabs),
 * and reports changes. The refresh token is never here in cookie mode: it is the server's
 * httpOnly cookie.
 */
export class SessionManager {
  private session: Session | null = null;
  private inflight?: Promise<Session>;
  private timer?: ReturnType<typeof setTimeout>;
  private readonly listeners = new Set<AuthStateListener>();
  private crossTab?: CrossTab;
  private initPromise?: Promise<Session | null>;
  private initialized = false;
  /** Lifetime of the last token this client was issued (peers' tokens share it). */
  private lifetimeMs = 0;
  /** How many refresh requests this client sent (diagnostics and tests). */
  refreshCount = 0;

  constructor(private readonly transport: Transport, private readonly opts: SessionOptions) {}

  current(): Session | null { return this.session; }

  isFresh(s: Session | null): boolean {
    return !!s && s.expiresAt - this.marginMs(s) > Date.now();
  }

  private marginMs(_s: Session): number {
    if (this.opts.expiryMarginSeconds !== undefined) return this.opts.expiryMarginSeconds * 1000;
    return Math.min(30_000, this.lifetimeMs * 0.1);
  }

  // ---------------------------------------------------------------- events
  onAuthStateChange(cb: AuthStateListener): () => void {
    this.listeners.add(cb);
    if (this.initialized) queueMicrotask(() => this.listeners.has(cb) && cb('INITIAL_SESSION', this.session));
    else void this.initialize();
    return () => { this.listeners.delete(cb); };
  }

  private emit(event: AuthChangeEvent): void {
    for (const cb of [...this.listeners]) {
      try { cb(event, this.session); } catch { /* a listener's bug is not ours to rethrow */ }
    }
  }

  // ---------------------------------------------------------------- lifecycle
  private tab(): CrossTab | undefined {
    if (!this.opts.crossTab || this.opts.mode !== 'cookie') return undefined;
    if (!this.crossTab && typeof BroadcastChannel !== 'undefined') {
      this.crossTab = new CrossTab(this.opts.channelName, {
        onToken: (t) => this.adoptShared(t),
        onSignedOut: () => this.endLocally('SIGNED_OUT', false),
        current: () => this.shared(),
      }, this.opts.lockTimeoutMs);
    }
    return this.crossTab;
  }

  /**
   * Restores a session once: from a peer tab, else by refreshing (the cookie, or the stored body
   * token). Emits INITIAL_SESSION. Never throws: no session is a normal start.
   */
  initialize(): Promise<Session | null> {
    this.initPromise ??= (async () => {
      try {
        if (!this.session) {
          const shared = await this.tab()?.askPeers(150);
          if (shared && shared.expiresAt > Date.now()) this.adoptShared(shared, false);
          else if (this.opts.mode === 'cookie' || await this.opts.storage.getItem(this.opts.storageKey)) {
            await this.refresh(undefined).catch(() => undefined);
          }
        }
      } finally {
        this.initialized = true;
        this.emit('INITIAL_SESSION');
      }
      return this.session;
    })();
    return this.initPromise;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.crossTab?.close();
    this.crossTab = undefined;
    this.listeners.clear();
  }

  // ---------------------------------------------------------------- tokens
  private shared(): SharedToken | undefined {
    const s = this.session;
    return s ? { accessToken: s.accessToken, expiresAt: s.expiresAt, sessionId: s.sessionId, lifetimeMs: this.lifetimeMs } : undefined;
  }

  /** Stores the tokens of a login or refresh answer. */
  async accept(answer: TokenAnswer, event: AuthChangeEvent | null): Promise<Session> {
    this.lifetimeMs = answer.expiresIn * 1000;
    const session: Session = {
      accessToken: answer.accessToken,
      expiresAt: Date.now() + this.lifetimeMs,
      sessionId: answer.sessionId ?? this.session?.sessionId,
      user: answer.user ?? (answer.sessionId === this.session?.sessionId ? this.session?.user : undefined),
    };
    if (this.opts.mode === 'body' && answer.refreshToken) {
      await this.opts.storage.setItem(this.opts.storageKey, answer.refreshToken);
    }
    this.session = session;
    this.tab()?.shareToken(this.shared()!);
    this.schedule();
    if (event) this.emit(event);
    return session;
  }

  /** A token another tab obtained. */
  private adoptShared(t: SharedToken, announce = true): void {
    const prev = this.session;
    if (prev && prev.sessionId === t.sessionId && prev.expiresAt >= t.expiresAt) return;
    // Another session (someone logged in in another tab; the cookie is shared): a new sign-in here.
    const same = !!prev && prev.sessionId === t.sessionId;
    if (t.lifetimeMs) this.lifetimeMs = t.lifetimeMs;
    this.session = { accessToken: t.accessToken, expiresAt: t.expiresAt, sessionId: t.sessionId, user: same ? prev!.user : undefined };
    this.schedule();
    if (announce) this.emit(same ? 'TOKEN_REFRESHED' : 'SIGNED_IN');
  }

  /** A valid access token, refreshing first when it is missing or about to expire. */
  async accessToken(): Promise<string> {
    const now = this.session;
    if (now && this.isFresh(now)) return now.accessToken;
    if (!this.initialized && !now) await this.initialize();
    const s = this.session as Session | null;
    if (s && this.isFresh(s)) return s.accessToken;
    return (await this.refresh(s?.accessToken)).accessToken;
  }

  /**
   * Single-flight refresh. `stale` is the token the caller found wanting: if the session already
   * holds another fresh one (a concurrent refresh here or in another tab), no request is sent.
   */
  refresh(stale?: string): Promise<Session> {
    this.inflight ??= this.refreshOnce(stale).finally(() => { this.inflight = undefined; });
    return this.inflight;
  }

  private async refreshOnce(stale: string | undefined): Promise<Session> {
    const tab = this.tab();
    const run = async (): Promise<Session> => {
      // Let a token message that raced the lock hand-over arrive before deciding.
      if (tab) await new Promise((r) => setTimeout(r, 20));
      let s = this.session;
      if (s && this.isFresh(s) && s.accessToken !== stale) return s;
      // A peer refreshed moments ago but its message is still on the way: wait for it (briefly).
      const peer = tab?.peerRefreshedAfter(s?.expiresAt ?? 0);
      if (peer !== undefined && await tab!.waitForToken(peer, 1_000)) {
        s = this.session;
        if (s && this.isFresh(s) && s.accessToken !== stale) return s;
      }
      return this.requestRefresh();
    };
    return tab ? tab.withLock(run) : run();
  }

  private async requestRefresh(): Promise<Session> {
    let body: Record<string, unknown> | undefined;
    if (this.opts.mode === 'body') {
      const rt = await this.opts.storage.getItem(this.opts.storageKey);
      if (!rt) throw new ArchonAuthError({ code: 'SESSION_MISSING', message: 'Not signed in', status: 401 });
      body = { refreshToken: rt, returnRefreshToken: true };
    }
    this.refreshCount++;
    try {
      // Safe to re-send: within the server's grace window the same parent yields the same child.
      const res = await this.transport.send<TokenAnswer>({
        method: 'POST', path: '/auth/refresh', body, withCredentials: this.opts.mode === 'cookie', idempotent: true,
      });
      // A refresh that restores the session at start-up is reported as INITIAL_SESSION only.
      return await this.accept(res.data, this.initialized ? 'TOKEN_REFRESHED' : null);
    } catch (err) {
      // The server refused the refresh token: the session is over. A network failure is not.
      if (err instanceof ArchonAuthError && (err.status === 401 || err.status === 403)) {
        const hadSession = !!this.session || this.opts.mode === 'body';
        await this.endLocally(hadSession ? 'SESSION_EXPIRED' : 'SIGNED_OUT', hadSession, !hadSession);
      }
      throw err;
    }
  }

  /** Ends the session in this client (and, when `share`, in the other tabs). */
  async endLocally(event: AuthChangeEvent, share: boolean, silent = false): Promise<void> {
    const had = !!this.session;
    this.session = null;
    clearTimeout(this.timer);
    if (this.opts.mode === 'body') await this.opts.storage.removeItem(this.opts.storageKey);
    if (share) this.tab()?.shareSignOut();
    if ((had || event === 'SESSION_EXPIRED') && !silent) this.emit(event);
  }

  /** Proactive refresh ahead of expiry, jittered so that tabs do not all fire at once. */
  private schedule(): void {
    clearTimeout(this.timer);
    const s = this.session;
    if (!this.opts.autoRefresh || !s) return;
    const margin = this.marginMs(s);
    // Jitter spreads the tabs' timers, but only over the last tenth of the usable window: the
    // earliest of N timers decides when the refresh happens, so a wide jitter would shorten every window.
    const usable = Math.max(0, this.lifetimeMs - margin);
    const jitter = Math.random() * Math.min(5_000, usable * 0.1);
    const delay = Math.max(0, s.expiresAt - margin - jitter - Date.now());
    this.timer = setTimeout(() => {
      if (this.session === s) void this.refresh(s.accessToken).catch(() => undefined);
    }, delay);
    (this.timer as { unref?: () => void }).unref?.();
  }
}
