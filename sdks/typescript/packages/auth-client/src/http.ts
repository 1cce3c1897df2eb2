import { ArchonAuthError, parseRetryAfter, type RateLimitInfo } from './errors.js';
import { snakeKey, toCamel, toSnake } from './case.js';

export const SDK_USER_AGENT = 'ArchonAuthClient/2.0.0';

export interface Meta {
  timestamp?: string;
  version?: string;
  requestId?: string;
  performance?: { responseTimeMs: number; cacheHit: boolean };
  pagination?: Pagination;
  rateLimit?: RateLimitInfo;
}

export interface Pagination {
  page: number;
  limit: number;
  total: number;
  totalPages: number;
  hasNext: boolean;
  hasPrev: boolean;
}

export interface TransportConfig {
  /** e.g. `http://localhost:8181/api/v2`, or `/api/v2` in a browser (same origin). */
  apiBase: string;
  /** The server's origin, for `/.well-known/*`; '' means the page's own origin. */
  origin: string;
  timeoutMs: number;
  retries: number;
  fetch: typeof fetch;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** camelCase JSON body; translated to snake_case here. */
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  bearer?: string;
  basic?: { clientId: string; clientSecret: string };
  /** A service's API key, sent as `X-API-Key` only when no other credential is (the server refuses two). */
  apiKey?: string;
  /** Send and accept cookies (the browser refresh cookie). */
  withCredentials?: boolean;
  /** Override the method's default: may this request be sent twice? */
  idempotent?: boolean;
  /** Path is served at the origin, not under the API base (`/.well-known/...`). */
  atOrigin?: boolean;
  /** Not in the envelope (`/.well-known/*`): return the JSON as is. */
  raw?: boolean;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  status: number;
  data: T;
  meta: Meta;
  headers: Headers;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal));
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(abortedError(signal!)); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortedError(signal: AbortSignal): ArchonAuthError {
  return new ArchonAuthError({ code: 'ABORTED', message: 'The request was aborted', status: 0, cause: signal.reason });
}

/** Exponential backoff with full jitter in [0.5, 1.5) of the step, never below Retry-After. */
export function backoffDelay(attempt: number, cfg: Pick<TransportConfig, 'retryBaseDelayMs' | 'retryMaxDelayMs'>,
  retryAfterMs?: number, random = Math.random): number {
  const step = Math.min(cfg.retryMaxDelayMs, cfg.retryBaseDelayMs * 2 ** attempt);
  const jittered = step * (0.5 + random());
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** Errors that prove the request never reached the server (so even a POST may be re-sent). */
function neverConnected(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } })?.cause;
  return cause?.code === 'ECONNREFUSED' || cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN';
}

export class Transport {
  constructor(readonly cfg: TransportConfig) {}

  url(spec: Pick<RequestSpec, 'path' | 'query' | 'atOrigin'>): string {
    let url = (spec.atOrigin ? this.cfg.origin : this.cfg.apiBase) + spec.path;
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) params.append(snakeKey(k), String(v));
    const qs = params.toString();
    if (qs) url += `?${qs}`;
    return url;
  }

  async send<T>(spec: RequestSpec): Promise<ApiResponse<T>> {
    const idempotent = spec.idempotent ?? IDEMPOTENT.has(spec.method);
    for (let attempt = 0; ; attempt++) {
      const canRetry = attempt < this.cfg.retries;
      let res: Response;
      try {
        res = await this.attempt(spec);
      } catch (err) {
        const e = err as ArchonAuthError;
        // A request that timed out or failed mid-flight may have reached the server: only an
        // idempotent one is sent again, or one that provably never connected.
        if (canRetry && e.code !== 'ABORTED' && (idempotent || neverConnected(e.cause))) {
          await sleep(backoffDelay(attempt, this.cfg), spec.signal);
          continue;
        }
        throw err;
      }
      const parsed = await this.parse<T>(res, spec);
      if (!(parsed instanceof ArchonAuthError)) return parsed;
      // 429: refused before anything happened. 503 with Retry-After: the server says it did not
      // act (draining, hashing queue full). A 503 without it may come from anywhere: idempotent only.
      const retryable = parsed.status === 429 ||
        (parsed.status === 503 && (idempotent || parsed.retryAfterMs !== undefined));
      if (canRetry && retryable) {
        await sleep(backoffDelay(attempt, this.cfg, parsed.retryAfterMs), spec.signal);
        continue;
      }
      throw parsed;
    }
  }

  private headers(spec: RequestSpec): Record<string, string> {
    const h: Record<string, string> = { Accept: 'application/json' };
    if (spec.body !== undefined) h['Content-Type'] = 'application/json';
    if (spec.bearer) h.Authorization = `Bearer ${spec.bearer}`;
    else if (spec.basic) h.Authorization = `Basic ${btoa(`${spec.basic.clientId}:${spec.basic.clientSecret}`)}`;
    else if (spec.apiKey) h['X-API-Key'] = spec.apiKey;
    // Browsers forbid setting User-Agent; elsewhere the spec's SDK names itself.
    if (typeof document === 'undefined') h['User-Agent'] = SDK_USER_AGENT;
    return h;
  }

  private async attempt(spec: RequestSpec): Promise<Response> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); }, this.cfg.timeoutMs);
    const onAbort = () => controller.abort();
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (spec.signal?.aborted) throw abortedError(spec.signal);
      return await this.cfg.fetch(this.url(spec), {
        method: spec.method,
        headers: this.headers(spec),
        body: spec.body === undefined ? undefined : JSON.stringify(toSnake(spec.body)),
        credentials: spec.withCredentials ? 'include' : 'same-origin',
        signal: controller.signal,
      });
    } catch (err) {
      if (err instanceof ArchonAuthError) throw err;
      if (timedOut) {
        throw new ArchonAuthError({ code: 'TIMEOUT', message: `No answer within ${this.cfg.timeoutMs} ms`, status: 0, cause: err });
      }
      if (spec.signal?.aborted) throw abortedError(spec.signal);
      throw new ArchonAuthError({ code: 'NETWORK_ERROR', message: `Network error: ${(err as Error)?.message ?? err}`, status: 0, cause: err });
    } finally {
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
    }
  }

  private async parse<T>(res: Response, spec: RequestSpec): Promise<ApiResponse<T> | ArchonAuthError> {
    const text = res.status === 204 || res.status === 205 ? '' : await res.text();
    let body: any = undefined;
    if (text) {
      try { body = JSON.parse(text); } catch {
        return new ArchonAuthError({ code: 'INVALID_RESPONSE', message: `HTTP ${res.status}: the answer is not JSON`, status: res.status });
      }
    }
    if (res.ok) {
      if (spec.raw) return { status: res.status, data: body as T, meta: {}, headers: res.headers };
      return { status: res.status, data: toCamel<T>(body?.data ?? null), meta: toCamel<Meta>(body?.meta ?? {}), headers: res.headers };
    }
    return errorFrom(res, body);
  }
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

export function errorFrom(res: Response, body: any): ArchonAuthError {
  const err = body?.error;
  const retryAfterMs = parseRetryAfter(res.headers.get('Retry-After'));
  let rateLimit: RateLimitInfo | undefined;
  if (res.status === 429) {
    const d = err?.details ?? {};
    const m = body?.meta?.rate_limit ?? {};
    rateLimit = {
      limit: num(d.limit) ?? num(m.limit) ?? num(res.headers.get('X-RateLimit-Limit')),
      remaining: num(m.remaining) ?? num(res.headers.get('X-RateLimit-Remaining')) ?? 0,
      reset: m.reset ?? res.headers.get('X-RateLimit-Reset') ?? undefined,
      window: typeof d.window === 'string' ? d.window : undefined,
      scope: typeof d.scope === 'string' ? d.scope : undefined,
    };
  }
  return new ArchonAuthError({
    code: typeof err?.code === 'string' ? err.code : `HTTP_${res.status}`,
    message: typeof err?.message === 'string' ? err.message : `HTTP ${res.status}`,
    status: res.status,
    details: err?.details && typeof err.details === 'object' ? err.details : {},
    traceId: err?.trace_id ?? res.headers.get('X-Request-ID') ?? undefined,
    documentationUrl: err?.documentation_url,
    retryAfterMs,
    rateLimit,
  });
}
