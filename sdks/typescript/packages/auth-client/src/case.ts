// The one place where snake_case (wire) and camelCase (TypeScript) meet.

/** Values under these keys are caller data or maps keyed by names: never re-cased. */
const OPAQUE_WIRE = new Set([
  'preferences', 'device_info', 'task_context', 'details', 'denial_reasons', 'capabilities_denied_reasons',
]);
const OPAQUE_TS = new Set([...OPAQUE_WIRE].map(camelKey));

export function camelKey(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function snakeKey(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function recase(value: unknown, keyFn: (k: string) => string, opaque: Set<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => recase(v, keyFn, opaque));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[keyFn(k)] = opaque.has(k) ? v : recase(v, keyFn, opaque);
  }
  return out;
}

/** A wire (snake_case) value as the SDK returns it (camelCase keys). */
export function toCamel<T = unknown>(value: unknown): T {
  return recase(value, camelKey, OPAQUE_WIRE) as T;
}

/** An SDK (camelCase) value as the wire wants it (snake_case keys); undefined fields dropped. */
export function toSnake(value: unknown): unknown {
  return recase(value, snakeKey, OPAQUE_TS);
}
