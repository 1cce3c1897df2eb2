// The named export, the error class and the tool-server subpath, as a consumer types them.
import { ArchonAuthClient, ArchonAuthError, type AuthChangeEvent, type User } from '@archon/auth-client';
import { AgentTokenVerifier, decide, actorChain, type Authorization } from '@archon/auth-client/tool-server';

export async function check(baseURL: string): Promise<[User | null, Authorization | null]> {
  const client = new ArchonAuthClient({ baseURL, apiKey: 'k', timeout: 5000, retries: 2 });
  const off = client.onAuthStateChange((event: AuthChangeEvent) => void event);
  off();
  let user: User | null = null;
  try { user = await client.getCurrentUser(); } catch (e) { if (!(e instanceof ArchonAuthError) || typeof e.code !== 'string') throw e; }
  const verifier = await AgentTokenVerifier.fromServer(baseURL);
  const d = decide({ file_paths: ['/project/src/**'] }, { path: '/project/src/a.ts' });
  void actorChain({ agent_id: 'agt_x' });
  return [user, d.allowed ? await verifier.authorize('x.y.z', 'file:read') : null];
}
