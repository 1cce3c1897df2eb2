import { ArchonAuthClient } from '@archon/auth-client';
import { ADMIN_PASSWORD, PASSWORD, createUserWithCli, uniqueEmail, waitForMailToken, type RunningServer } from './server.js';

export function newClient(server: RunningServer, extra: Partial<ConstructorParameters<typeof ArchonAuthClient>[0]> = {}) {
  return new ArchonAuthClient({ baseURL: `${server.baseUrl}/api/v2`, retries: 0, ...extra });
}

/** Registers, verifies from the mail folder and logs in a new user. */
export async function signedInUser(server: RunningServer, client = newClient(server), name = 'SDK User') {
  const email = uniqueEmail();
  await client.register({ email, password: PASSWORD, name, termsAccepted: true });
  await client.verifyEmail(await waitForMailToken(server.dataDir, email));
  const login = await client.login({ email, password: PASSWORD });
  return { client, email, user: login.data.user, sessionId: login.data.sessionId };
}

export async function signedInAdmin(server: RunningServer, extra = {}) {
  const email = uniqueEmail('admin');
  createUserWithCli(server, email, 'Root Admin', 'admin', ADMIN_PASSWORD);
  const client = newClient(server, extra);
  await client.login({ email, password: ADMIN_PASSWORD });
  return { client, email };
}
