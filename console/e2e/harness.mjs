// Starts the real archon-auth (fresh data dir, relaxed rate limits), makes an administrator with
// the CLI, and serves the console: from the binary itself (CONSOLE_SERVED_BY=binary, the default;
// it must serve /admin) or from console/dist through a same-origin proxy (proxy, for development).
// Served by the binary, the config lists no CORS origin: the refresh cookie's Origin check must
// accept the server's own origin by itself (a reload keeps the session).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveConsoleProxy } from './server.mjs';

const CONSOLE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(CONSOLE_DIR, '..');

export function findBinary() {
  const bin = process.env.ARCHON_AUTH_BIN || join(REPO, 'build/debug/archon-auth');
  if (!existsSync(bin)) throw new Error(`archon-auth not found at ${bin}: set ARCHON_AUTH_BIN`);
  return resolve(bin);
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}

const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ARCHON_AUTH_')));

const HIGH = '1000000/second';
const RELAXED = {
  authentication: { login: { per_ip: HIGH, per_user: HIGH }, register: { per_ip: HIGH, global: HIGH }, password_reset: { per_email: HIGH, per_ip: HIGH } },
  api_access: { authenticated: { per_user: HIGH, burst: 1000000 }, agent: { per_agent: HIGH, burst: 1000000 }, admin: { per_user: HIGH, burst: 1000000 } },
  public: { health_check: { per_ip: HIGH }, documentation: { per_ip: HIGH } },
};

function startArchon(bin, port, dataDir, configPath) {
  const proc = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--config', configPath],
    { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c) => { err += c; });
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`archon-auth did not listen:\n${err.slice(-2000)}`)), 30_000);
    proc.stderr.on('data', () => { if (/"msg":"listening"/.test(err)) { clearTimeout(t); res({ proc, stderr: () => err }); } });
    proc.once('exit', (code) => { clearTimeout(t); rej(new Error(`archon-auth exited ${code}:\n${err.slice(-2000)}`)); });
  });
}

/** Throws unless the binary serves /admin/console.js, and the same build as console/dist. */
async function checkBinaryServesConsole(archonUrl) {
  const res = await fetch(`${archonUrl}/admin/console.js`).catch(() => null);
  if (!res?.ok || !/javascript/.test(res.headers.get('content-type') ?? ''))
    throw new Error(`archon-auth does not serve /admin/console.js (${res?.status ?? 'no answer'}): build it with `
      + 'console/dist, or set CONSOLE_SERVED_BY=proxy to serve console/dist from the test proxy');
  await res.body?.cancel();
  for (const name of ['index.html', 'console.js', 'console.css']) {
    const dist = join(CONSOLE_DIR, 'dist', name);
    if (!existsSync(dist)) continue;
    const served = Buffer.from(await (await fetch(`${archonUrl}/admin${name === 'index.html' ? '' : `/${name}`}`)).arrayBuffer());
    if (Buffer.compare(served, readFileSync(dist)) !== 0)
      throw new Error(`archon-auth embeds another ${name} than console/dist: rebuild the binary (it compiles `
        + 'console/dist in), or set CONSOLE_SERVED_BY=proxy');
  }
}

function servedByWanted() {
  const wanted = process.env.CONSOLE_SERVED_BY || 'binary';
  if (wanted !== 'binary' && wanted !== 'proxy') throw new Error(`CONSOLE_SERVED_BY must be binary or proxy, not ${wanted}`);
  return wanted;
}

function createAdmin(bin, dataDir, configPath, email, password) {
  const r = spawnSync(bin, ['users', 'create', '--email', email, '--name', 'Console Admin', '--role', 'admin',
    '--data-dir', dataDir, '--config', configPath], { input: password, env: cleanEnv(), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`users create: ${r.stderr}`);
}

/**
 * Resolves with {consoleUrl, archonUrl, servedBy, allowOrigins, dataDir, admin, verificationToken(email), stop}.
 * `config` adds top-level sections to the server's config (e.g. {webhooks: {...}}).
 */
export async function startConsoleEnv({ config = {} } = {}) {
  const bin = findBinary();
  const servedBy = servedByWanted();
  const [archonPort, proxyPort] = [await freePort(), await freePort()];
  const archonUrl = `http://127.0.0.1:${archonPort}`;
  const proxyUrl = `http://127.0.0.1:${proxyPort}`;
  const dir = mkdtempSync(join(tmpdir(), 'archon-console-'));
  const dataDir = join(dir, 'data');
  const configPath = join(dir, 'config.yaml');
  // Only the proxy's origin is foreign to the server; its own origin must need no listing.
  const allowOrigins = servedBy === 'proxy' ? [proxyUrl] : [];
  const cors = allowOrigins.length ? { cors: { allow_origins: allowOrigins } } : {};
  writeFileSync(configPath, JSON.stringify({ ...cors, rate_limits: RELAXED, ...config }, null, 2));
  const archon = await startArchon(bin, archonPort, dataDir, configPath);
  const admin = { email: 'console-admin@example.com', password: 'console admin passphrase 7' };
  createAdmin(bin, dataDir, configPath, admin.email, admin.password);

  try {
    if (servedBy === 'binary') await checkBinaryServesConsole(archonUrl);
  } catch (e) {
    if (archon.proc.exitCode === null) {
      const exited = new Promise((r) => archon.proc.once('exit', r));
      archon.proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const proxy = servedBy === 'proxy' ? await serveConsoleProxy({ distDir: join(CONSOLE_DIR, 'dist'), target: archonUrl, port: proxyPort }) : null;
  const origin = proxy ? proxyUrl : archonUrl;
  return {
    origin, consoleUrl: `${origin}/admin`, archonUrl, servedBy, allowOrigins, dataDir, admin, archonStderr: archon.stderr,
    /** The console's address of a route: page('/users?q=a') is {origin}/admin#/users?q=a. */
    page: (route) => `${origin}/admin#${route}`,
    verificationToken: (email) => mailToken(join(dataDir, 'mail'), email, 'Verification'),
    resetToken: (email) => mailToken(join(dataDir, 'mail'), email, 'Reset'),
    async stop() {
      await proxy?.close();
      if (archon.proc.exitCode === null) {
        const exited = new Promise((r) => archon.proc.once('exit', r));
        archon.proc.kill('SIGTERM');
        await exited;
      }
      if (archon.proc.exitCode === 0) rmSync(dir, { recursive: true, force: true });
      return archon.proc.exitCode;
    },
  };
}

/** The newest `kind` (Verification | Reset) token mailed to `email` (the binary writes data/mail/*.eml). */
function mailToken(mailDir, email, kind) {
  if (!existsSync(mailDir)) return null;
  for (const name of readdirSync(mailDir).filter((n) => n.endsWith('.eml')).sort().reverse()) {
    const raw = readFileSync(join(mailDir, name), 'utf8').replace(/=\r?\n/g, '');
    if (!new RegExp(`^To:.*${email.replace(/[.+]/g, '\\$&')}`, 'mi').test(raw)) continue;
    const m = new RegExp(`${kind} token:\\s*(\\S+)`).exec(raw);
    if (m) return m[1];
  }
  return null;
}
