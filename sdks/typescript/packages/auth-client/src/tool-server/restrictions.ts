// The agent-token restriction rules of docs/agent-restrictions.md, as the reference
// (src/agents/restrictions.cpp) implements them: strict parsing, lexical path and branch
// validation, greedy wildcard matching, and the sound, conservative "within" test for delegation.
// Every function here is pure; sdks/testdata/restriction-vectors.json is its conformance suite.

export const LIMITS = {
  pathBytes: 4096, pathPatternBytes: 1024, branchBytes: 255, patternsPerList: 64, listBytes: 4096,
  maxSize: Number.MAX_SAFE_INTEGER, // 2^53 - 1
} as const;

export type DecisionReason = 'allowed' | 'invalid_path' | 'path_not_allowed' | 'invalid_branch' | 'branch_not_allowed'
  | 'size_exceeds_limit' | 'restrictions_invalid';

export interface Decision { allowed: boolean; reason: DecisionReason; detail?: string }

/** A parsed, validated restrictions claim (branch patterns without `refs/heads/`, duplicates dropped). */
export interface ParsedRestrictions { filePaths: string[]; gitBranches: string[]; maxFileSize?: number }

/** What an action touches. `path` may be raw bytes (a file name that is not valid UTF-8). */
export interface Resource { path?: string | Uint8Array; branch?: string; size?: number | string }

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

// ---- compiled patterns: parts (segments/components) of tokens over code points ----------------
const LIT = 0, ONE = 1, ANY = 2;
interface Tok { kind: number; cp: number }
type Seg = Tok[];
interface Part { globstar: boolean; seg: Seg }
type Compiled = Part[];

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const err = <T>(error: string): Result<T> => ({ ok: false, error });

/** Code points of a JS string, or null when it holds a lone surrogate (not valid UTF-8). */
function codePoints(s: string): number[] | null {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) return null;
    out.push(cp);
  }
  return out;
}

function utf8Length(cps: number[]): number {
  let n = 0;
  for (const c of cps) n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  return n;
}

const isControl = (c: number) => c < 0x20 || (c >= 0x7f && c <= 0x9f);
const SLASH = 0x2f, STAR = 0x2a, QMARK = 0x3f;

function splitParts(cps: number[]): number[][] {
  const parts: number[][] = [[]];
  for (const c of cps) {
    if (c === SLASH) parts.push([]);
    else parts[parts.length - 1]!.push(c);
  }
  return parts;
}

const eq = (a: number[], s: string) => a.length === s.length && a.every((c, i) => c === s.charCodeAt(i));

function compilePart(cps: number[], wild: boolean, what: string): Result<Part> {
  if (wild && eq(cps, '**')) return ok({ globstar: true, seg: [] });
  for (let i = 0; wild && i + 1 < cps.length; i++) {
    if (cps[i] === STAR && cps[i + 1] === STAR) return err(`${what}: '**' must be a whole ${what.startsWith('b') ? 'component' : 'segment'}`);
  }
  const seg = cps.map((c) => {
    const kind = !wild ? LIT : c === STAR ? ANY : c === QMARK ? ONE : LIT;
    return { kind, cp: kind === LIT ? c : 0 };
  });
  return ok({ globstar: false, seg });
}

function decodeBytes(bytes: Uint8Array): string | null {
  try { return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes); } catch { return null; }
}

function compilePath(raw: string | Uint8Array, wild: boolean): Result<Compiled> {
  const what = wild ? 'path pattern' : 'path';
  const max = wild ? LIMITS.pathPatternBytes : LIMITS.pathBytes;
  const text = typeof raw === 'string' ? raw : decodeBytes(raw);
  if (text === null) return err(`${what} is not valid UTF-8`);
  const cps = codePoints(text);
  if (cps === null) return err(`${what} is not valid UTF-8`);
  if (cps.length === 0) return err(`${what} is empty`);
  if (utf8Length(cps) > max) return err(`${what} is longer than ${max} bytes`);
  for (const c of cps) {
    if (isControl(c)) return err(`${what} contains a control character`);
    if (c === 0x5c) return err(`${what} contains a backslash`);
    if (c === 0x25) return err(`${what} contains '%' (percent-encoding is refused, never decoded)`);
  }
  if (cps[0] !== SLASH) return err(`${what} is not absolute (must start with '/')`);
  if (cps.length === 1) return ok([]);
  if (cps[cps.length - 1] === SLASH) return err(`${what} ends with '/'`);
  const out: Compiled = [];
  for (const seg of splitParts(cps.slice(1))) {
    if (seg.length === 0) return err(`${what} contains an empty segment ('//')`);
    if (eq(seg, '.')) return err(`${what} contains a '.' segment`);
    if (eq(seg, '..')) return err(`${what} contains a '..' segment`);
    const part = compilePart(seg, wild, what);
    if (!part.ok) return part;
    out.push(part.value);
  }
  return ok(out);
}

interface CompiledBranch { name: string; parts: Compiled }

/** git check-ref-format --branch, plus archon's additions (docs/agent-restrictions.md, Branches). */
function compileBranch(raw: string, wild: boolean): Result<CompiledBranch> {
  const what = wild ? 'branch pattern' : 'branch';
  const s = raw.startsWith('refs/heads/') ? raw.slice(11) : raw;
  const cps = codePoints(s);
  if (cps === null) return err(`${what} is not valid UTF-8`);
  if (cps.length === 0) return err(`${what} is empty`);
  if (utf8Length(cps) > LIMITS.branchBytes) return err(`${what} is longer than ${LIMITS.branchBytes} bytes`);
  const bad = wild ? '~^:\\[' : '~^:\\[*?';
  for (const c of cps) {
    if (isControl(c)) return err(`${what} contains a control character`);
    if (c === 0x20) return err(`${what} contains a space`);
    if (c < 0x80 && bad.includes(String.fromCharCode(c))) return err(`${what} contains '${String.fromCharCode(c)}'`);
  }
  if (s.startsWith('refs/')) return err(`${what} starts with 'refs/' (only 'refs/heads/' is understood)`);
  if (s === 'HEAD') return err(`${what} is 'HEAD'`);
  if (s === '@') return err(`${what} is '@'`);
  if (s.includes('..')) return err(`${what} contains '..'`);
  if (s.includes('@{')) return err(`${what} contains '@{'`);
  if (s.startsWith('-')) return err(`${what} starts with '-'`);
  if (s.startsWith('/')) return err(`${what} starts with '/'`);
  if (s.endsWith('/')) return err(`${what} ends with '/'`);
  if (s.endsWith('.')) return err(`${what} ends with '.'`);
  if (s.includes('//')) return err(`${what} contains '//'`);
  const parts: Compiled = [];
  for (const comp of splitParts(cps)) {
    if (comp[0] === 0x2e) return err(`${what} has a component starting with '.'`);
    if (String.fromCodePoint(...comp).endsWith('.lock')) return err(`${what} has a component ending with '.lock'`);
    const part = compilePart(comp, wild, what);
    if (!part.ok) return part;
    parts.push(part.value);
  }
  return ok({ name: s, parts });
}

// ---- matching: the classic greedy wildcard algorithm, at both levels ---------------------------
function greedyMatch<S, P>(s: S[], p: P[], isStar: (x: P) => boolean, one: (a: S, b: P) => boolean): boolean {
  let i = 0, j = 0, starJ = -1, starI = 0;
  while (i < s.length) {
    if (j < p.length && isStar(p[j]!)) { starJ = j++; starI = i; }
    else if (j < p.length && one(s[i]!, p[j]!)) { i++; j++; }
    else if (starJ !== -1) { j = starJ + 1; i = ++starI; }
    else return false;
  }
  while (j < p.length && isStar(p[j]!)) j++;
  return j === p.length;
}

const segMatch = (s: Seg, p: Seg) => greedyMatch(s, p, (t) => t.kind === ANY, (a, b) => b.kind === ONE || a.cp === b.cp);
const compiledMatch = (s: Compiled, p: Compiled) => greedyMatch(s, p, (x) => x.globstar, (a, b) => segMatch(a.seg, b.seg));

// ---- inclusion ----------------------------------------------------------------------------------
// W(i, j): everything c[i..] matches, p[j..] matches. A parent star absorbs nothing or the child's
// next element (whatever it is); any other parent element must face a non-star child element it covers.
function dpWithin<T>(c: T[], p: T[], isStar: (x: T) => boolean, covers: (a: T, b: T) => boolean): boolean {
  const m = p.length;
  let next = new Array<boolean>(m + 1).fill(false);
  next[m] = true;
  for (let j = m - 1; j >= 0; j--) next[j] = isStar(p[j]!) && next[j + 1]!;
  for (let i = c.length - 1; i >= 0; i--) {
    const cur = new Array<boolean>(m + 1).fill(false);
    for (let j = m - 1; j >= 0; j--) {
      cur[j] = isStar(p[j]!) ? cur[j + 1]! || next[j]! : next[j + 1]! && !isStar(c[i]!) && covers(c[i]!, p[j]!);
    }
    next = cur;
  }
  return next[0]!;
}

const segWithin = (c: Seg, p: Seg) => dpWithin(c, p, (t) => t.kind === ANY, (a, b) => b.kind === ONE || (a.kind === LIT && a.cp === b.cp));
const compiledWithin = (c: Compiled, p: Compiled) => dpWithin(c, p, (x) => x.globstar, (a, b) => segWithin(a.seg, b.seg));

/** Rewrites a pattern into an equivalent spelling the inclusion table handles (docs: "Arrange"). */
function arranged(input: Compiled, child: boolean, fixedFirst: boolean): Compiled {
  const parts: Compiled = input.map((part) => {
    if (part.globstar) return part;
    const out: Seg = [];
    for (let i = 0; i < part.seg.length;) {
      if (part.seg[i]!.kind === LIT) { out.push(part.seg[i++]!); continue; }
      let ones = 0, star = false;
      for (; i < part.seg.length && part.seg[i]!.kind !== LIT; i++) {
        if (part.seg[i]!.kind === ONE) ones++; else star = true;
      }
      if (star && !fixedFirst) out.push({ kind: ANY, cp: 0 });
      for (let k = 0; k < ones; k++) out.push({ kind: ONE, cp: 0 });
      if (star && fixedFirst) out.push({ kind: ANY, cp: 0 });
    }
    if (child && out.length === 1 && out[0]!.kind === ANY) {
      if (fixedFirst) out.unshift({ kind: ONE, cp: 0 }); else out.push({ kind: ONE, cp: 0 });
    }
    return { globstar: false, seg: out };
  });
  const anyPart = (p: Part) => !p.globstar && p.seg.length >= 1 && p.seg.length <= 2 &&
    p.seg.every((t) => t.kind !== LIT) && p.seg.filter((t) => t.kind === ANY).length === 1;
  const out: Compiled = [];
  for (let i = 0; i < parts.length;) {
    if (!parts[i]!.globstar && !anyPart(parts[i]!)) { out.push(parts[i++]!); continue; }
    let globstar = false;
    const first = out.length;
    for (; i < parts.length && (parts[i]!.globstar || anyPart(parts[i]!)); i++) {
      if (parts[i]!.globstar) globstar = true; else out.push(parts[i]!);
    }
    if (globstar) out.splice(fixedFirst ? out.length : first, 0, { globstar: true, seg: [] });
  }
  return out;
}

interface Prepared { fixedFirst: Compiled; starFirst: Compiled }
const prepare = (c: Compiled, child: boolean): Prepared => ({ fixedFirst: arranged(c, child, true), starFirst: arranged(c, child, false) });
const preparedWithin = (c: Prepared, p: Prepared) => compiledWithin(c.fixedFirst, p.fixedFirst) || compiledWithin(c.starFirst, p.starFirst);

// ---- public: names and patterns -----------------------------------------------------------------
export function validatePath(path: string | Uint8Array): Result<string> {
  const c = compilePath(path, false);
  return c.ok ? ok(typeof path === 'string' ? path : new TextDecoder().decode(path)) : c;
}

export function validatePathPattern(pattern: string): Result<string> {
  const c = compilePath(pattern, true);
  return c.ok ? ok(pattern) : c;
}

/** The branch without `refs/heads/`, or why it is invalid. */
export function normalizeBranch(branch: string): Result<string> {
  const c = compileBranch(branch, false);
  return c.ok ? ok(c.value.name) : c;
}

export function normalizeBranchPattern(pattern: string): Result<string> {
  const c = compileBranch(pattern, true);
  return c.ok ? ok(c.value.name) : c;
}

export function pathMatches(pattern: string, path: string | Uint8Array): boolean {
  const p = compilePath(pattern, true), s = compilePath(path, false);
  return p.ok && s.ok && compiledMatch(s.value, p.value);
}

export function branchMatches(pattern: string, branch: string): boolean {
  const p = compileBranch(pattern, true), s = compileBranch(branch, false);
  return p.ok && s.ok && compiledMatch(s.value.parts, p.value.parts);
}

/** Sound, conservative: true only when every path the child matches is provably matched by the parent. */
export function pathPatternWithin(child: string, parent: string): boolean {
  const c = compilePath(child, true), p = compilePath(parent, true);
  return c.ok && p.ok && preparedWithin(prepare(c.value, true), prepare(p.value, false));
}

export function branchPatternWithin(child: string, parent: string): boolean {
  const c = compileBranch(child, true), p = compileBranch(parent, true);
  return c.ok && p.ok && preparedWithin(prepare(c.value.parts, true), prepare(p.value.parts, false));
}

// ---- sizes --------------------------------------------------------------------------------------
const UNITS: [string, bigint][] = [['GB', 1n << 30n], ['MB', 1n << 20n], ['KB', 1n << 10n], ['B', 1n]];

/** `<digits><unit>`, binary units in any case: "10MB" = 10485760. */
export function parseSize(text: string): Result<number> {
  const m = /^([0-9]+)([A-Za-z]*)$/.exec(text);
  if (!m) return err('size must start with a digit and end with a unit: B, KB, MB or GB');
  const [, digits, unit] = m as unknown as [string, string, string];
  if (digits.length > 1 && digits.startsWith('0')) return err('size has a leading zero');
  const found = UNITS.find(([name]) => name === unit.toUpperCase());
  if (!found) return err('size must end with a unit: B, KB, MB or GB (1KB = 1024 bytes)');
  const bytes = BigInt(digits) * found[1];
  if (bytes > BigInt(LIMITS.maxSize)) return err(`size is larger than ${LIMITS.maxSize} bytes`);
  return ok(Number(bytes));
}

/** The largest unit that divides exactly: 10485760 -> "10MB", 1536 -> "1536B", 0 -> "0B". */
export function formatSize(bytes: number): string {
  const b = BigInt(bytes);
  for (const [name, unit] of UNITS) if (b !== 0n && b % unit === 0n) return `${b / unit}${name}`;
  return '0B';
}
