// `npm start` needs the SDK packages built (they are linked from sdks/typescript): build them once.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const sdk = resolve(dirname(fileURLToPath(import.meta.url)), '../../../sdks/typescript');
const built = ['auth-client', 'auth-react'].every((p) => existsSync(resolve(sdk, 'packages', p, 'dist/index.js')));
if (!built) {
  console.log('building the SDK packages in sdks/typescript (first run only)...');
  if (!existsSync(resolve(sdk, 'node_modules'))) execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: sdk, stdio: 'inherit' });
  execFileSync('npm', ['run', 'build'], { cwd: sdk, stdio: 'inherit' });
}
