// API keys through the SDK, against the real binary: an administrator creates, lists, reads and
// revokes keys; a service client configured with `apiKey` alone verifies an agent's capability and
// reads users; the wrong scope is 403; a revoked key is 401 on the next call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchonAuthClient, ArchonAuthError } from '@archon/auth-client';
import { startServer, type RunningServer } from '../support/server.js';
import { signedInAdmin, signedInUser } from '../support/users.js';

const KEY_SHAPE = /^archon_sk_[0-9A-Za-z]{38}$/;

let server: RunningServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { if (!server) return; expect(await server.stop()).toBe(0); });

function service(apiKey: string): ArchonAuthClient {
  return new ArchonAuthClient({ baseURL: server.baseUrl, apiKey, retries: 0 });
}

async function refusal(p: Promise<unknown>): Promise<ArchonAuthError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(ArchonAuthError);
  return e as ArchonAuthError;
}

/** The key's last_used_at, waiting up to 5 s: the server may record the use after answering. */
async function lastUsedAt(admin: ArchonAuthClient, id: string): Promise<string | null> {
  for (let i = 0; ; i++) {
    const rec = await admin.getApiKey(id);
    if (rec.lastUsedAt !== null || i >= 50) return rec.lastUsedAt;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('API keys', () => {
  it('an administrator creates, lists, reads and revokes keys; the secret is shown once', async () => {
    const { client: admin } = await signedInAdmin(server);
    const created = await admin.createApiKey({ name: 'file server', scopes: ['agents:verify', 'users:read'], expiresIn: 3600 });
    expect(created.key).toMatch(KEY_SHAPE);
    expect(created.prefix).toBe(created.key.slice(0, 14));
    expect(created).toMatchObject({ name: 'file server', lastUsedAt: null, revokedAt: null });
    expect(created.scopes.slice().sort()).toEqual(['agents:verify', 'users:read']);
    expect(Date.parse(created.expiresAt!) - Date.parse(created.createdAt)).toBeGreaterThanOrEqual(3599_000);

    const page = await admin.listApiKeys({ limit: 100 });
    expect(page.items[0]!.id).toBe(created.id); // newest first
    expect(page.pagination?.page).toBe(1);
    expect(JSON.stringify(page)).not.toContain(created.key);
    const { key, ...record } = created;
    expect(await admin.getApiKey(created.id)).toEqual(record);

    const revoked = await admin.revokeApiKey(created.id);
    expect(revoked.revokedAt).not.toBeNull();
    expect((await admin.revokeApiKey(created.id)).revokedAt).toBe(revoked.revokedAt);
    expect(await refusal(admin.getApiKey('key_00000000000000000000000000000000'))).toMatchObject({ status: 404, code: 'RESOURCE_NOT_FOUND' });
    expect(key).toMatch(KEY_SHAPE);
  });

  it('a service client with the key alone verifies capabilities and reads users, within its scopes', async () => {
    const { client: admin } = await signedInAdmin(server);
    const { client: operator, user } = await signedInUser(server);
    await admin.updateUser(user.id, { roles: ['user', 'agent_operator'] });
    const agent = await operator.authenticateAgent('code_implementer', ['file:read', 'file:write']);

    const { key, id } = await admin.createApiKey({ name: 'tool server', scopes: ['agents:verify', 'users:read'] });
    const tool = service(key);
    expect(await tool.verifyCapability(agent.agentToken, 'file:write', { path: '/project/src/app.ts' }))
      .toMatchObject({ allowed: true, reason: 'allowed', agentId: agent.agentId });
    expect(await tool.verifyCapability(agent.agentToken, 'file:write', { path: '/project/.env' }))
      .toMatchObject({ allowed: false, reason: 'path_not_allowed' });
    expect((await tool.getUser(user.id)).id).toBe(user.id);
    expect((await tool.listUsers({ limit: 5 })).items.length).toBeGreaterThan(0);

    const audit = await refusal(tool.getAuditEvents());
    expect(audit).toMatchObject({ status: 403, code: 'AUTH_INSUFFICIENT_PERMISSIONS' });
    expect(audit.details.required_scope).toBe('audit:read');
    expect(await refusal(tool.updateUser(user.id, { name: 'renamed by a key' }))).toMatchObject({ status: 403 });
    expect(await refusal(tool.createApiKey({ name: 'by a key', scopes: ['users:read'] }))).toMatchObject({ status: 403 });
    expect(await lastUsedAt(admin, id)).not.toBeNull();

    await admin.revokeApiKey(id);
    expect(await refusal(tool.verifyCapability(agent.agentToken, 'file:read', { path: '/project/src/a.ts' })))
      .toMatchObject({ status: 401, code: 'AUTH_TOKEN_INVALID' });
  });

  it('a non-admin cannot manage keys', async () => {
    const { client } = await signedInUser(server);
    expect(await refusal(client.listApiKeys())).toMatchObject({ status: 403, code: 'AUTH_INSUFFICIENT_PERMISSIONS' });
    expect(await refusal(client.createApiKey({ name: 'mine', scopes: ['users:read'] }))).toMatchObject({ status: 403 });
  });
});
