// Starts a local archon-auth for the example app: a fresh data dir, a config that allows the app's
// origin for the cookie refresh, a development admin, and agent grants so that newly registered
// users may run the common agent types (code_implementer...). Used by `npm start` and the tests.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { serveApp } from '../server/serve.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const APP_ROOT = resolve(here, '..');
const REPO = resolve(APP_ROOT, '../..');

export function findBinary() {
  const candidates = [process.env.ARCHON_AUTH_BIN, join(REPO, 'build/debug/archon-auth'), join(REPO, 'build/release/archon-auth')];
  const bin = candidates.find((c) => c && existsSync(c));
  if (!bin) throw new Error('archon-auth not found: set ARCHON_AUTH_BIN or build it (cmake --preset debug && cmake --build --preset debug)');
  return bin;
}

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}

function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ARCHON_AUTH_')));
}

const HIGH = '1000000/second';
const RELAXED = {
  authentication: { login: { per_ip: HIGH, per_user: HIGH }, register: { per_ip: HIGH, global: HIGH }, password_reset: { per_email: HIGH, per_ip: HIGH } },
  api_access: { authenticated: { per_user: HIGH, burst: 1000000 }, agent: { per_agent: HIGH, burst: 1000000 }, admin: { per_user: HIGH, burst: 1000000 } },
  public: { health_check: { per_ip: HIGH }, documentation: { per_ip: HIGH } },
};

function startArchon(bin, dataDir, configPath) {
  const proc = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--config', configPath],
    { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c) => { err += c; });
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`archon-auth did not listen:\n${err.slice(-2000)}`)), 30_000);
    proc.stderr.on('data', () => {
      const m = /"msg":"listening".*?"address":"(127\.0\.0\.1:\d+)"/.exec(err);
      if (m) { clearTimeout(t); res({ proc, url: `http://${m[1]}`, stderr: () => err }); }
    });
    proc.once('exit', (code) => { clearTimeout(t); rej(new Error(`archon-auth exited ${code}:\n${err.slice(-2000)}`)); });
  });
}

async function api(base, method, path, body, token) {
  const res = await fetch(base + path, {
    method, headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!json.success) throw new Error(`${method} ${path}: ${res.status} ${json.error?.code}`);
  return json.data;
}

/**
 * Starts archon-auth and the app server. Options: port (app), accessLifetimeSeconds, dataDir,
 * rateLimits ('relaxed' | 'spec'). Resolves with {appUrl, archonUrl, dataDir, admin, stop}.
 */
export async function startDemo({ port = 0, accessLifetimeSeconds, dataDir, rateLimits = 'relaxed', leewaySeconds } = {}) {
  const bin = findBinary();
  const appPort = port || await freePort();
  const appUrl = `http://127.0.0.1:${appPort}`;
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'archon-demo-'));
  mkdirSync(dir, { recursive: true });
  const config = {
    cors: { allow_origins: [appUrl] },
    tokens: { public_url: appUrl, ...(accessLifetimeSeconds ? { access: { lifetime_seconds: accessLifetimeSeconds } } : {}),
      ...(leewaySeconds !== undefined ? { leeway_seconds: leewaySeconds } : {}) },
    ...(rateLimits === 'relaxed' ? { rate_limits: RELAXED } : {}),
  };
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, JSON.stringify(config, null, 2)); // JSON is YAML
  const archon = await startArchon(bin, join(dir, 'data'), configPath);
  const admin = { email: 'admin@example.com', password: `dev admin ${randomBytes(9).toString('base64url')}` };
  const created = spawnSync(bin, ['users', 'create', '--email', admin.email, '--name', 'Dev Admin', '--role', 'admin',
    '--data-dir', join(dir, 'data'), '--config', configPath], { input: admin.password, env: cleanEnv(), encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`users create: ${created.stderr}`);
  const base = `${archon.url}/api/v2`;
  const { access_token: adminToken } = await api(base, 'POST', '/auth/login', { email: admin.email, password: admin.password });
  // Development only: every user may run the common agent types (docs/agents.md, role grants).
  await api(base, 'PUT', '/admin/roles/user/agent-grants', { grants: [{ agent_type: '@common' }] }, adminToken);
  await api(base, 'POST', '/auth/logout', {}, adminToken);
  // Kept in a file only its owner can read, not printed.
  const adminFile = join(dir, 'dev-admin.txt');
  writeFileSync(adminFile, `${admin.email}\n${admin.password}\n`, { mode: 0o600 });
  const app = await serveApp({ root: join(APP_ROOT, 'dist'), target: archon.url, port: appPort, devMailDir: join(dir, 'data', 'mail') });
  return {
    appUrl: app.url, archonUrl: archon.url, dataDir: join(dir, 'data'), configPath, admin, adminFile, archonStderr: archon.stderr,
    async stop() {
      await app.close();
      if (archon.proc.exitCode === null) {
        const exited = new Promise((r) => archon.proc.once('exit', r));
        archon.proc.kill('SIGTERM');
        await exited;
      }
      return archon.proc.exitCode;
    },
  };
}
