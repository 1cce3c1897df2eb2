/** Rate-limit figures of a 429 (from `details`, the envelope's `meta.rate_limit` and the headers). */
export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  /** When the budget refills (ISO 8601 or seconds, as the server sent it). */
  reset?: string;
  window?: string;
  scope?: string;
}

export interface ArchonAuthErrorInit {
  code: string;
  message: string;
  status: number;
  details?: Record<string, unknown>;
  traceId?: string;
  documentationUrl?: string;
  retryAfterMs?: number;
  rateLimit?: RateLimitInfo;
  cause?: unknown;
}

/**
 * The one error the SDK throws. Server errors carry the envelope's `code`, `message`, `details`,
 * `trace_id` and `documentation_url`; client-side failures use `status: 0` and the codes
 * `NETWORK_ERROR`, `TIMEOUT`, `ABORTED`, `INVALID_RESPONSE` or `SESSION_MISSING`.
 */
export class ArchonAuthError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown>;
  readonly traceId?: string;
  readonly documentationUrl?: string;
  /** For 429 and 503: how long the server asked us to wait (Retry-After), in milliseconds. */
  readonly retryAfterMs?: number;
  readonly rateLimit?: RateLimitInfo;

  constructor(init: ArchonAuthErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ArchonAuthError';
    this.code = init.code;
    this.status = init.status;
    this.details = init.details ?? {};
    this.traceId = init.traceId;
    this.documentationUrl = init.documentationUrl;
    this.retryAfterMs = init.retryAfterMs;
    this.rateLimit = init.rateLimit;
  }

  /** Retry-After in whole seconds, as the spec's clients show it. */
  get retryAfter(): number | undefined {
    return this.retryAfterMs === undefined ? undefined : Math.ceil(this.retryAfterMs / 1000);
  }
}

export function isArchonAuthError(e: unknown): e is ArchonAuthError {
  return e instanceof ArchonAuthError;
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
