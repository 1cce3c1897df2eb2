// The tool-server kit against real tokens: offline verification from discovery + JWKS, the
// capability and restriction checks (agreeing with the server's own verify endpoint), the act
// chain, forged tokens, and key rotation (an unknown kid refetches the JWKS at most once per interval).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, generateKeyPair } from 'jose';
import { AgentTokenVerifier } from '@archon/auth-client/tool-server';
import { archonBin, countingFetch, startServer, type RunningServer } from '../support/server.js';
import { signedInAdmin } from '../support/users.js';

let server: RunningServer;
beforeAll(async () => { server = await startServer({ tokens: { key_refresh_seconds: 1 } }); });
afterAll(async () => { if (!server) return; expect(await server.stop()).toBe(0); });

function b64(obj: unknown) { return Buffer.from(JSON.stringify(obj)).toString('base64url'); }

describe('tool-server kit', () => {
  it('verifies offline and decides as the server does', async () => {
    const { client: admin } = await signedInAdmin(server);
    const counter = countingFetch();
    const verifier = await AgentTokenVerifier.fromServer(server.baseUrl, { fetch: counter.fetch });
    const discovery = await admin.getDiscovery();
    expect(verifier.discovery.issuer).toBe(discovery.issuer);

    const root = await admin.authenticateAgent('code_implementer', ['file:read', 'file:write', 'git:commit']);
    const child = await admin.delegateAgent(root.agentToken, 'test_writer', ['file:read', 'file:write'], {
      restrictions: { filePaths: ['/project/src/components/**'] },
    });
    const grandchild = await admin.delegateAgent(child.agentToken, 'test_writer', ['file:read']);

    const cases: [string, string, Record<string, unknown>][] = [
      [root.agentToken, 'file:write', { path: '/project/src/app.ts', size: 1024 }],
      [root.agentToken, 'file:write', { path: '/project/.env' }],
      [root.agentToken, 'file:read', { path: '/project/src/../../etc/passwd' }],
      [root.agentToken, 'file:read', { path: '/project/src/%2e%2e/x' }],
      [root.agentToken, 'git:commit', { branch: 'refs/heads/main' }],
      [root.agentToken, 'git:commit', { branch: 'main ' }],
      [root.agentToken, 'git:commit', { branch: 'feature/login' }],
      [root.agentToken, 'file:write', { path: '/project/src/a', size: 10485761 }],
      [root.agentToken, 'npm:install', {}],
      [child.agentToken, 'file:write', { path: '/project/src/app.ts' }],
      [child.agentToken, 'file:write', { path: '/project/src/components/x.tsx', size: '2MB' }],
      [grandchild.agentToken, 'file:write', { path: '/project/src/components/x.tsx' }],
    ];
    for (const [token, capability, resource] of cases) {
      const offline = await verifier.authorize(token, capability, resource);
      const online = await admin.verifyCapability(token, capability, resource);
      expect({ capability, resource, reason: offline.reason }).toEqual({ capability, resource, reason: online.reason });
      expect(offline.allowed).toBe(online.allowed);
    }
    const g = await verifier.authorize(grandchild.agentToken, 'file:read', { path: '/project/src/components/a.ts' });
    expect(g).toMatchObject({ allowed: true, actors: [grandchild.agentId, child.agentId, root.agentId] });
    expect(g.user).toBe(g.claims?.sub);
    expect(counter.count('/.well-known/jwks.json')).toBe(1); // cached across all of the above
  });

  it('refuses forged, edited and wrong-kind tokens', async () => {
    const { client: admin } = await signedInAdmin(server);
    const verifier = await AgentTokenVerifier.fromServer(server.baseUrl);
    const agent = await admin.authenticateAgent('code_reviewer', ['file:read']);
    const [h, p, s] = agent.agentToken.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const edited = `${h}.${b64({ ...payload, capabilities: ['file:read', 'deploy:production'] })}.${s}`;
    expect((await verifier.authorize(edited, 'deploy:production')).reason).toBe('token_invalid');
    expect((await verifier.authorize(admin.getAccessToken()!, 'file:read')).reason).toBe('token_invalid');
    const { privateKey } = await generateKeyPair('ES256');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
    const forged = await new SignJWT(payload).setProtectedHeader(header).sign(privateKey);
    expect((await verifier.authorize(forged, 'file:read')).reason).toBe('token_invalid');
    expect((await verifier.authorize('not.a.token', 'file:read')).reason).toBe('token_invalid');
  });

  it('picks up a rotated key with one refetch, and refetches at most once per interval for unknown kids', async () => {
    const { client: admin } = await signedInAdmin(server);
    const counter = countingFetch();
    const INTERVAL = 3_000;
    const verifier = await AgentTokenVerifier.fromServer(server.baseUrl, { fetch: counter.fetch, refetchIntervalMs: INTERVAL });
    const before = await admin.authenticateAgent('code_reviewer', ['file:read']);
    expect((await verifier.authorize(before.agentToken, 'file:read', { path: '/project/a' })).allowed).toBe(true);
    expect(counter.count('/.well-known/jwks.json')).toBe(1);
    const firstFetch = Date.now();

    const r = spawnSync(archonBin(), ['keys', 'rotate', '--kind', 'agent', '--immediately', '--data-dir', server.dataDir, '--config', server.configPath],
      { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
    expect(r.status, r.stderr).toBe(0);
    const kid = (t: string) => JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()).kid;
    let after = before;
    for (let i = 0; i < 50 && kid(after.agentToken) === kid(before.agentToken); i++) {
      await new Promise((res) => setTimeout(res, 200)); // the server re-reads keys every key_refresh_seconds
      after = await admin.authenticateAgent('code_reviewer', ['file:read']);
    }
    expect(kid(after.agentToken)).not.toBe(kid(before.agentToken));
    // Within the interval an unknown kid is refused without a fetch (even a real new key)...
    if (Date.now() - firstFetch < INTERVAL - 500) {
      expect((await verifier.authorize(after.agentToken, 'file:read', { path: '/project/a' })).reason).toBe('token_invalid');
      expect(counter.count('/.well-known/jwks.json')).toBe(1);
    }
    // ...and after it, one refetch finds the rotated key.
    await new Promise((res) => setTimeout(res, Math.max(0, INTERVAL + 200 - (Date.now() - firstFetch))));
    expect((await verifier.authorize(after.agentToken, 'file:read', { path: '/project/a' })).allowed).toBe(true);
    expect(counter.count('/.well-known/jwks.json')).toBe(2);

    // Unknown kids (forged) within the interval: no further fetch.
    const { privateKey } = await generateKeyPair('ES256');
    for (let i = 0; i < 5; i++) {
      const t = await new SignJWT({ type: 'agent' }).setProtectedHeader({ alg: 'ES256', typ: 'agent+jwt', kid: `unknown-${i}` }).sign(privateKey);
      expect((await verifier.authorize(t, 'file:read')).reason).toBe('token_invalid');
    }
    expect(counter.count('/.well-known/jwks.json')).toBe(2);
  });
});
