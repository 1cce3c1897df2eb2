// A project outside the workspace installs the packed tarballs, type-checks the spec's usage
// (default and named imports, the tool-server subpath, the React bindings) and runs the spec's
// TypeScript example against the real server.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, createUserWithCli, startServer, uniqueEmail, type RunningServer } from '../support/server.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });

let server: RunningServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server?.stop(); });

describe('packed SDK in a separate project', () => {
  it('installs, type-checks and runs the spec usage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'archon-consumer-'));
    run('npm', ['pack', '--workspaces', '--pack-destination', dir, '--silent'], ROOT);
    const tarballs = readdirSync(dir).filter((f) => f.endsWith('.tgz'));
    expect(tarballs.sort()).toEqual(['archon-auth-client-2.0.0.tgz', 'archon-auth-react-2.0.0.tgz']);
    const versions = JSON.parse(run('npm', ['ls', '--json', '--depth=0', 'typescript', 'react', 'react-dom', '@types/react', '@types/react-dom', '@types/node'], ROOT)).dependencies;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({
      name: 'consumer', private: true, type: 'module',
      dependencies: {
        '@archon/auth-client': `file:./${tarballs.find((t) => t.includes('client'))}`,
        '@archon/auth-react': `file:./${tarballs.find((t) => t.includes('react'))}`,
        react: versions.react.version, 'react-dom': versions['react-dom'].version,
      },
      devDependencies: {
        typescript: versions.typescript.version, '@types/react': versions['@types/react'].version,
        '@types/react-dom': versions['@types/react-dom'].version, '@types/node': versions['@types/node'].version,
      },
    }, null, 2));
    for (const f of ['spec-usage.ts', 'named-imports.ts', 'react-usage.tsx', 'tsconfig.json']) copyFileSync(join(ROOT, 'test/consumer', f), join(dir, f));
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--silent'], dir);
    run(join(dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], dir); // throws with the diagnostics on any type error

    const email = uniqueEmail('spec');
    createUserWithCli(server, email, 'Spec Reader', 'agent_operator', PASSWORD);
    const out = run('node', ['out/spec-usage.js'], dir, { ...process.env, ARCHON_BASE_URL: `${server.baseUrl}/api/v2`, ARCHON_EMAIL: email, ARCHON_PASSWORD: PASSWORD });
    expect(out).toContain('Login successful:');
    expect(out).toContain(`email: '${email}'`);
    expect(out).toContain('Agent authenticated:');
    expect(out).toMatch(/capabilitiesGranted: \[ 'file:read', 'file:write', 'git:commit' \]/);
    expect(run('node', ['out/react-usage.js'], dir)).toContain('react usage rendered');
  }, 300_000);
});
