import { isArchonAuthError } from '@archon/auth-client';

/** A message for a failed call, with the server's per-field validation messages when it sent some. */
export function describeError(e: unknown): { message: string; fields: Record<string, string> } {
  if (isArchonAuthError(e)) {
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(e.details ?? {})) if (typeof v === 'string') fields[k] = v;
    return { message: `${e.message} (${e.code})`, fields };
  }
  return { message: e instanceof Error ? e.message : String(e), fields: {} };
}

export function errorText(e: unknown): string {
  const { message, fields } = describeError(e);
  const parts = Object.entries(fields).map(([k, v]) => `${k}: ${v}`);
  return parts.length ? `${message}: ${parts.join('; ')}` : message;
}

/**
 * GET /metrics (Prometheus text). Not an /api/v2 endpoint, so not in the SDK: a plain same-origin
 * fetch. It needs no credential today; a 401/403 is reported as "unavailable".
 */
export async function fetchMetricsText(signal?: AbortSignal): Promise<{ ok: true; text: string } | { ok: false; reason: string }> {
  try {
    const res = await fetch('/metrics', { signal, cache: 'no-store', credentials: 'omit' });
    if (!res.ok) return { ok: false, reason: `GET /metrics answered ${res.status}` };
    return { ok: true, text: await res.text() };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

export function formatTime(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const d = typeof iso === 'number' ? new Date(iso * 1000) : new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString('en-GB', { timeZone: 'UTC', hour12: false }) + ' UTC';
}
