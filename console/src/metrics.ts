// Prometheus text exposition (0.0.4) -> samples, and the console's figures from the names
// /metrics exposes today (auth_attempts_total{outcome}, agent_capability_decisions_total{verdict},
// rate_limit_exceeded_total{tier}).

export interface MetricSample { name: string; labels: Record<string, string>; value: number }

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export interface Exposition { samples: MetricSample[]; families: Set<string> }

export function parsePrometheus(text: string): Exposition {
  const out: MetricSample[] = [];
  const families = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const type = /^#\s*TYPE\s+(\S+)/.exec(line);
    if (type) families.add(type[1]!);
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    const value = Number(m[3]);
    if (!Number.isNaN(value)) { out.push({ name: m[1]!, labels, value }); families.add(m[1]!); }
  }
  return { samples: out, families };
}

/** A declared family with no series yet counts 0; a family the server does not expose is null. */
function sum(e: Exposition, name: string, where: (l: Record<string, string>) => boolean = () => true): number | null {
  if (!e.families.has(name)) return null;
  return e.samples.filter((s) => s.name === name && where(s.labels)).reduce((n, s) => n + s.value, 0);
}

const isAllowed = (l: Record<string, string>) => l.verdict === 'allowed' || l.allowed === 'true' || l.decision === 'allowed';

export const FIGURES = [
  { key: 'logins', label: 'Logins', metric: 'auth_attempts_total{outcome="success"}' },
  { key: 'failures', label: 'Login failures', metric: 'auth_attempts_total{outcome="failure"}' },
  { key: 'lockouts', label: 'Lockouts', metric: 'auth_attempts_total{outcome="locked"}' },
  { key: 'agentAllowed', label: 'Agent decisions allowed', metric: 'agent_capability_decisions_total (allowed)' },
  { key: 'agentDenied', label: 'Agent decisions denied', metric: 'agent_capability_decisions_total (denied)' },
  { key: 'rateLimited', label: 'Rate-limited requests', metric: 'rate_limit_exceeded_total' },
] as const;
export type FigureKey = (typeof FIGURES)[number]['key'];

/** Counter totals; a family the server does not expose at all is null (shown as "not exposed"). */
export function figuresOf(e: Exposition): Record<FigureKey, number | null> {
  return {
    logins: sum(e, 'auth_attempts_total', (l) => l.outcome === 'success'),
    failures: sum(e, 'auth_attempts_total', (l) => l.outcome === 'failure'),
    lockouts: sum(e, 'auth_attempts_total', (l) => l.outcome === 'locked'),
    agentAllowed: sum(e, 'agent_capability_decisions_total', isAllowed),
    agentDenied: sum(e, 'agent_capability_decisions_total', (l) => !isAllowed(l)),
    rateLimited: sum(e, 'rate_limit_exceeded_total'),
  };
}

export interface Point { at: number; totals: Record<FigureKey, number | null> }

/** Increase per interval (a counter that went down was reset: its new value is the increase). */
export function increases(points: Point[], key: FigureKey): { at: number; value: number }[] {
  const out: { at: number; value: number }[] = [];
  for (let i = 1; i < points.length; i++) {
    const prev = points[i - 1]!.totals[key];
    const cur = points[i]!.totals[key];
    if (prev === null || cur === null) continue;
    out.push({ at: points[i]!.at, value: cur >= prev ? cur - prev : cur });
  }
  return out;
}
