// Starts the real archon-auth binary ($ARCHON_AUTH_BIN) on a free port with a fresh data dir,
// as tests/api/conftest.py does, and reads the mail it writes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HIGH = '1000000/second';
/** tests/api/conftest.py RELAXED_RATE_LIMITS: these tests test the SDK, not the limiter. */
export const RELAXED_RATE_LIMITS = {
  authentication: {
    login: { per_ip: HIGH, per_user: HIGH },
    register: { per_ip: HIGH, global: HIGH },
    password_reset: { per_email: HIGH, per_ip: HIGH },
  },
  api_access: {
    authenticated: { per_user: HIGH, burst: 1000000 },
    agent: { per_agent: HIGH, burst: 1000000 },
    admin: { per_user: HIGH, burst: 1000000 },
  },
  public: { health_check: { per_ip: HIGH }, documentation: { per_ip: HIGH } },
};

export const PASSWORD = 'violet anchor 92 quietly mosaic';
export const ADMIN_PASSWORD = 'admin password 4 sdk tests';

export function archonBin(): string {
  const bin = process.env.ARCHON_AUTH_BIN;
  if (!bin || !existsSync(bin)) throw new Error(`ARCHON_AUTH_BIN must name the archon-auth binary (got ${bin ?? 'nothing'})`);
  return bin;
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ARCHON_AUTH_')) env[k] = v;
  env.ASAN_OPTIONS ??= 'detect_leaks=1:abort_on_error=0';
  return env;
}

export interface RunningServer {
  baseUrl: string;
  port: number;
  dataDir: string;
  configPath: string;
  proc: ChildProcess;
  stderr(): string;
  stop(): Promise<number | null>;
}

/** `config` is merged over relaxed rate limits (JSON is YAML). */
export async function startServer(config: Record<string, unknown> = {}): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'archon-ts-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, JSON.stringify({ rate_limits: RELAXED_RATE_LIMITS, ...config }, null, 2));
  const proc = spawn(archonBin(), ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--config', configPath], {
    env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'], cwd: dir,
  });
  let err = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => { err += chunk; });
  const port = await new Promise<number>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`archon-auth did not listen within 30 s:\n${err.slice(-3000)}`)), 30_000);
    const check = () => {
      const m = /"msg":"listening".*?"address":"127\.0\.0\.1:(\d+)"/.exec(err);
      if (m) { clearTimeout(deadline); proc.stderr!.off('data', check); resolve(Number(m[1])); }
    };
    proc.stderr!.on('data', check);
    proc.on('exit', (code) => { clearTimeout(deadline); reject(new Error(`archon-auth exited ${code}:\n${err.slice(-3000)}`)); });
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`, port, dataDir, configPath, proc,
    stderr: () => err,
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve(proc.exitCode);
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      proc.once('exit', (code) => { clearTimeout(t); resolve(code); });
      proc.kill('SIGTERM');
    }),
  };
}

/** `archon-auth users create`, password on stdin. */
export function createUserWithCli(server: RunningServer, email: string, name: string, role: string, password: string): void {
  const r = spawnSync(archonBin(), ['users', 'create', '--email', email, '--name', name, '--role', role,
    '--data-dir', server.dataDir, '--config', server.configPath], { input: password, env: cleanEnv(), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`users create failed (${r.status}): ${r.stdout}\n${r.stderr}`);
}

/** Tokens in `<Kind> token: X` lines of mail to `address` (quoted-printable soft breaks undone). */
export function mailTokens(dataDir: string, address: string, kind: 'Verification' | 'Reset'): string[] {
  const dir = join(dataDir, 'mail');
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.eml')).sort()) {
    const raw = readFileSync(join(dir, f), 'utf8').replace(/=\r?\n/g, '');
    if (!raw.toLowerCase().includes(address.toLowerCase())) continue;
    for (const m of raw.matchAll(new RegExp(`${kind} token:\\s*(\\S+)`, 'g'))) out.push(m[1]!);
  }
  return out;
}

export async function waitForMailToken(dataDir: string, address: string, kind: 'Verification' | 'Reset' = 'Verification',
  timeoutMs = 5_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = mailTokens(dataDir, address, kind);
    if (found.length) return found[found.length - 1]!;
    if (Date.now() > deadline) throw new Error(`no ${kind} token mailed to ${address}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 12)}@example.com`;
}

/** A fetch that counts requests per path (to prove how many refreshes were sent). */
export function countingFetch(): { fetch: typeof fetch; count(path: string): number } {
  const counts = new Map<string, number>();
  return {
    fetch: (input, init) => {
      const path = new URL(typeof input === 'string' ? input : (input as Request).url ?? String(input)).pathname;
      counts.set(path, (counts.get(path) ?? 0) + 1);
      return globalThis.fetch(input, init);
    },
    count: (path) => counts.get(path) ?? 0,
  };
}
