// Refresh coordination between the tabs of one origin. Web Locks serialise refreshes (a lock is
// released when its tab closes, so a closed "leader" never stalls the others), and a
// BroadcastChannel hands each new access token to every tab so one refresh serves them all.

export interface SharedToken { accessToken: string; expiresAt: number; sessionId?: string; lifetimeMs?: number }

type Message =
  | { type: 'token'; token: SharedToken; from: string }
  | { type: 'signed-out'; from: string }
  | { type: 'hello'; from: string };

export interface CrossTabHandlers {
  onToken(token: SharedToken): void;
  onSignedOut(): void;
  current(): SharedToken | undefined;
}

export class CrossTab {
  readonly id = Math.random().toString(36).slice(2);
  private readonly channel?: BroadcastChannel;
  private readonly waiters = new Set<(t: SharedToken) => void>();

  constructor(private readonly name: string, private readonly handlers: CrossTabHandlers,
    private readonly lockTimeoutMs: number) {
    if (typeof BroadcastChannel !== 'undefined') {
      this.channel = new BroadcastChannel(name);
      this.channel.onmessage = (ev: MessageEvent<Message>) => this.receive(ev.data);
    }
  }

  private receive(msg: Message): void {
    if (!msg || msg.from === this.id) return;
    if (msg.type === 'token') {
      this.handlers.onToken(msg.token);
      for (const w of this.waiters) w(msg.token);
    } else if (msg.type === 'signed-out') {
      this.handlers.onSignedOut();
    } else if (msg.type === 'hello') {
      const t = this.handlers.current();
      if (t && t.expiresAt > Date.now()) this.post({ type: 'token', token: t, from: this.id });
    }
  }

  private post(msg: Message): void {
    try { this.channel?.postMessage(msg); } catch { /* closed channel: nothing to tell */ }
  }

  /**
   * Announces a new token. A marker (the new expiry, never the token) also goes to localStorage,
   * which every tab reads synchronously: a tab that takes the lock next knows a peer has just
   * refreshed even if the broadcast has not reached it yet, and waits for it instead of refreshing.
   */
  shareToken(token: SharedToken): void {
    try { globalThis.localStorage?.setItem(`${this.name}:refreshed`, JSON.stringify({ at: Date.now(), expiresAt: token.expiresAt })); } catch { /* no storage: broadcast only */ }
    this.post({ type: 'token', token, from: this.id });
  }

  /** The expiry of a token a peer obtained in the last few seconds, if it is later than `than`. */
  peerRefreshedAfter(than: number): number | undefined {
    try {
      const raw = globalThis.localStorage?.getItem(`${this.name}:refreshed`);
      const m = raw ? JSON.parse(raw) as { at: number; expiresAt: number } : undefined;
      return m && m.expiresAt > than && m.expiresAt > Date.now() && Date.now() - m.at < 5_000 ? m.expiresAt : undefined;
    } catch { return undefined; }
  }

  /** Resolves with the first token message expiring at or after `expiresAt`, or undefined after waitMs. */
  waitForToken(expiresAt: number, waitMs: number): Promise<SharedToken | undefined> {
    return new Promise((resolve) => {
      const done = (t?: SharedToken) => {
        if (t && t.expiresAt < expiresAt) return;
        clearTimeout(timer); this.waiters.delete(done); resolve(t);
      };
      const timer = setTimeout(() => done(undefined), waitMs);
      this.waiters.add(done);
    });
  }

  shareSignOut(): void { this.post({ type: 'signed-out', from: this.id }); }

  /** Asks the other tabs for a live token; resolves with the first answer, or undefined. */
  askPeers(waitMs: number): Promise<SharedToken | undefined> {
    if (!this.channel) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const done = (t?: SharedToken) => { clearTimeout(timer); this.waiters.delete(done); resolve(t); };
      const timer = setTimeout(() => done(undefined), waitMs);
      this.waiters.add(done);
      this.post({ type: 'hello', from: this.id });
    });
  }

  /**
   * Runs `fn` holding the origin-wide refresh lock. Without Web Locks, or when the lock is not
   * granted within lockTimeoutMs (a holder stuck on a frozen tab), `fn` runs anyway: the server's
   * refresh grace window makes a rare concurrent refresh answer the same child token.
   */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    if (!locks?.request) return fn();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.lockTimeoutMs);
    let entered = false;
    try {
      return await locks.request(`${this.name}:refresh`, { signal: controller.signal }, async () => {
        entered = true;
        clearTimeout(timer);
        return fn();
      });
    } catch (err) {
      if (entered) throw err;
      return fn();
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void { this.channel?.close(); this.waiters.clear(); }
}
