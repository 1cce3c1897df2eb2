// Agent tokens through the SDK: the spec's example, delegation, verify, list, revoke.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { ArchonAuthClient, ArchonAuthError } from '@archon/auth-client';
import { archonBin, startServer, type RunningServer } from '../support/server.js';
import { signedInAdmin, signedInUser } from '../support/users.js';

let server: RunningServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { if (!server) return; expect(await server.stop()).toBe(0); });

describe('agents', () => {
  it('a plain user runs no agent type until a role grants it', async () => {
    const { client } = await signedInUser(server);
    const err = await client.authenticateAgent('code_implementer', ['file:read']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArchonAuthError);
    expect((err as ArchonAuthError).code).toBe('AGENT_UNAUTHORIZED');
  });

  it('grants, denies with reasons, delegates, verifies, lists and revokes', async () => {
    const { client: admin } = await signedInAdmin(server);
    const { client, user } = await signedInUser(server);
    await admin.updateUser(user.id, { roles: ['user', 'agent_operator'] });

    const types = await client.getAgentTypes();
    expect(types.find((t) => t.name === 'code_implementer')).toMatchObject({ runnable: true, maxTokenLifetimeSeconds: 3600, requiresApproval: ['npm:install', 'pip:install', 'shell:execute'] });

    const auth = await client.authenticateAgent('code_implementer', ['file:read', 'file:write', 'git:commit', 'npm:install'],
      { project_id: 'proj_123', estimated_duration: 300 });
    expect(auth.capabilitiesGranted).toEqual(['file:read', 'file:write', 'git:commit']);
    expect(auth.capabilitiesDenied).toEqual(['npm:install']);
    expect(auth.denialReasons).toEqual({ 'npm:install': 'requires_approval' });
    expect(auth.expiresIn).toBe(450);
    expect(auth.restrictions).toEqual({ filePaths: ['/project/src/**'], gitBranches: ['feature/*'], maxFileSize: '10MB' });

    const child = await client.delegateAgent(auth.agentToken, 'test_writer', ['file:read', 'file:write'], {
      restrictions: { filePaths: ['/project/src/components/**'], gitBranches: ['feature/login-*'], maxFileSize: '2MB' },
    });
    expect(child.capabilitiesGranted).toEqual(['file:read', 'file:write']);
    expect(child.restrictions.filePaths).toEqual(['/project/src/components/**']);

    const wider = await client.delegateAgent(auth.agentToken, 'test_writer', ['file:read'], {
      restrictions: { filePaths: ['/project/**'] },
    }).catch((e: unknown) => e as ArchonAuthError);
    expect(wider).toMatchObject({ status: 403, code: 'AGENT_DELEGATION_REFUSED' });
    expect((wider as ArchonAuthError).details.reason).toBe('restrictions_wider_than_parent');

    expect(await admin.verifyCapability(auth.agentToken, 'file:write', { path: '/project/src/app.ts', size: 1024 }))
      .toMatchObject({ allowed: true, reason: 'allowed', agentId: auth.agentId, agentType: 'code_implementer' });
    expect(await client.verifyCapability(auth.agentToken, 'file:read', { path: '/project/.env' }, { asAgent: true }))
      .toMatchObject({ allowed: false, reason: 'path_not_allowed' });
    expect(await client.verifyCapability(child.agentToken, 'git:commit', { branch: 'feature/login-x' }, { asAgent: true }))
      .toMatchObject({ allowed: false, reason: 'capability_not_granted' });

    // A tool server authenticates as a service client (HTTP Basic), as introspection clients do.
    const created = spawnSync(archonBin(), ['clients', 'create', '--name', 'file-server', '--data-dir', server.dataDir, '--config', server.configPath], { encoding: 'utf8' });
    expect(created.status, created.stderr).toBe(0);
    const { client_id: clientId, client_secret: clientSecret } = JSON.parse(created.stdout.trim().split('\n').pop()!);
    const anonymous = new ArchonAuthClient({ baseURL: server.baseUrl });
    expect(await anonymous.verifyCapability(auth.agentToken, 'git:commit', { branch: 'refs/heads/main' }, { client: { clientId, clientSecret } }))
      .toMatchObject({ allowed: false, reason: 'branch_not_allowed' });

    const listed = await client.listAgentTokens();
    const mine = listed.find((t) => t.agentId === child.agentId);
    expect(mine).toMatchObject({ parentAgentId: auth.agentId, rootAgentId: auth.agentId, depth: 1, agentType: 'test_writer' });

    await client.revokeAgentToken(auth.agentId);
    expect(await admin.verifyCapability(child.agentToken, 'file:read', { path: '/project/src/components/a.tsx' }))
      .toMatchObject({ allowed: false, reason: 'token_revoked' });
    expect((await client.listAgentTokens()).map((t) => t.agentId)).not.toContain(child.agentId);
  });
});
