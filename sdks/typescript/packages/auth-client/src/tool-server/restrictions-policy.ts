// Restriction sets: the strict parser, one decision, and delegation narrowing.
import {
  LIMITS, branchMatches, formatSize, normalizeBranch, normalizeBranchPattern, parseSize, pathMatches,
  pathPatternWithin, branchPatternWithin, validatePath, validatePathPattern,
  type Decision, type ParsedRestrictions, type Resource, type Result,
} from './restrictions.js';

const utf8 = (s: string) => new TextEncoder().encode(s).length;

function checkList(key: 'file_paths' | 'git_branches', raw: unknown): Result<string[]> {
  if (!Array.isArray(raw)) return { ok: false, error: `${key}: must be an array of strings` };
  if (raw.length > LIMITS.patternsPerList) return { ok: false, error: `${key}: more than ${LIMITS.patternsPerList} entries` };
  const out: string[] = [];
  let total = 0;
  for (let i = 0; i < raw.length; i++) {
    const entry = raw[i];
    if (typeof entry !== 'string') return { ok: false, error: `${key}[${i}]: must be a string` };
    total += utf8(entry);
    const v = key === 'file_paths' ? validatePathPattern(entry) : normalizeBranchPattern(entry);
    if (!v.ok) return { ok: false, error: `${key}[${i}]: ${v.error}` };
    if (!out.includes(v.value)) out.push(v.value);
  }
  if (total > LIMITS.listBytes) return { ok: false, error: `${key}: longer than ${LIMITS.listBytes} bytes in all` };
  return { ok: true, value: out };
}

function maxSize(v: unknown): Result<number> {
  if (typeof v === 'string') {
    const s = parseSize(v);
    return s.ok ? s : { ok: false, error: `max_file_size: ${s.error}` };
  }
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return { ok: true, value: v };
  return { ok: false, error: `max_file_size: must be a size such as "10MB" or a whole number of bytes from 0 to ${LIMITS.maxSize}` };
}

/** The strict parser: an unknown key, a bad list or entry, or a bad size refuses the whole object. */
export function parseRestrictions(claim: unknown): Result<ParsedRestrictions> {
  if (claim === null || typeof claim !== 'object' || Array.isArray(claim)) return { ok: false, error: 'restrictions: must be an object' };
  const r: ParsedRestrictions = { filePaths: [], gitBranches: [] };
  for (const [key, value] of Object.entries(claim)) {
    if (key === 'file_paths' || key === 'git_branches') {
      const list = checkList(key, value);
      if (!list.ok) return list;
      if (key === 'file_paths') r.filePaths = list.value; else r.gitBranches = list.value;
    } else if (key === 'max_file_size') {
      const s = maxSize(value);
      if (!s.ok) return s;
      r.maxFileSize = s.value;
    } else {
      const printable = key.length > 0 && key.length <= 64 && /^[\x21-\x7e]+$/.test(key);
      return { ok: false, error: `${printable ? `unknown key '${key}'` : 'unknown key'} (accepted: file_paths, git_branches, max_file_size)` };
    }
  }
  return { ok: true, value: r };
}

function resourceSize(v: number | string): number {
  const s = typeof v === 'string' ? parseSize(v) : Number.isSafeInteger(v) && v >= 0 ? { ok: true as const, value: v } : null;
  if (!s || !s.ok) throw new RangeError('resource.size must be a whole number of bytes (0 to 2^53-1) or a size such as "10MB"');
  return s.value;
}

/** Checks only what the resource gives, in the order path, branch, size; the first failure decides. */
export function checkResource(r: ParsedRestrictions, resource: Resource): Decision {
  if (resource.path !== undefined) {
    const v = validatePath(resource.path);
    if (!v.ok) return { allowed: false, reason: 'invalid_path', detail: v.error };
    if (!r.filePaths.some((p) => pathMatches(p, resource.path!))) return { allowed: false, reason: 'path_not_allowed' };
  }
  if (resource.branch !== undefined) {
    const v = normalizeBranch(resource.branch);
    if (!v.ok) return { allowed: false, reason: 'invalid_branch', detail: v.error };
    if (!r.gitBranches.some((p) => branchMatches(p, resource.branch!))) return { allowed: false, reason: 'branch_not_allowed' };
  }
  if (resource.size !== undefined && r.maxFileSize !== undefined && resourceSize(resource.size) > r.maxFileSize) {
    return { allowed: false, reason: 'size_exceeds_limit' };
  }
  return { allowed: true, reason: 'allowed' };
}

/** A token's `restrictions` claim against one action: `restrictions_invalid` when the claim does not parse. */
export function decide(claim: unknown, resource: Resource): Decision {
  const r = parseRestrictions(claim);
  if (!r.ok) return { allowed: false, reason: 'restrictions_invalid', detail: r.error };
  return checkResource(r.value, resource);
}

/** The claim as archon-auth writes it: both lists, max_file_size in the largest exact unit. */
export function toClaim(r: ParsedRestrictions): { file_paths: string[]; git_branches: string[]; max_file_size?: string } {
  return { file_paths: r.filePaths, git_branches: r.gitBranches, ...(r.maxFileSize !== undefined ? { max_file_size: formatSize(r.maxFileSize) } : {}) };
}

function narrowList(key: 'file_paths' | 'git_branches', parent: string[], requested: string[]): Result<string[]> {
  if (requested.length === 0) return { ok: true, value: parent };
  const within = key === 'file_paths' ? pathPatternWithin : branchPatternWithin;
  for (let i = 0; i < requested.length; i++) {
    if (!parent.some((p) => within(requested[i]!, p))) return { ok: false, error: `${key}[${i}] is not within the parent's ${key}` };
  }
  return { ok: true, value: requested };
}

/**
 * What a delegation would give the child, or why it is refused: each requested entry must lie
 * within one single parent entry; an empty or absent list, or an absent size, inherits the parent's.
 */
export function narrowRestrictions(parentClaim: unknown, requestedClaim: unknown): Result<ReturnType<typeof toClaim>> {
  const parent = parseRestrictions(parentClaim);
  if (!parent.ok) return { ok: false, error: `parent: ${parent.error}` };
  const requested = parseRestrictions(requestedClaim ?? {});
  if (!requested.ok) return requested;
  const paths = narrowList('file_paths', parent.value.filePaths, requested.value.filePaths);
  if (!paths.ok) return paths;
  const branches = narrowList('git_branches', parent.value.gitBranches, requested.value.gitBranches);
  if (!branches.ok) return branches;
  let size = parent.value.maxFileSize;
  const want = requested.value.maxFileSize;
  if (want !== undefined) {
    if (size !== undefined && want > size) return { ok: false, error: "max_file_size is larger than the parent's" };
    size = want;
  }
  return { ok: true, value: toClaim({ filePaths: paths.value, gitBranches: branches.value, maxFileSize: size }) };
}
