#!/usr/bin/env bash
# Installs, type-checks and builds the console, then runs its end-to-end tests in Debian's
# Chromium against the real archon-auth ($ARCHON_AUTH_BIN, else build/debug/archon-auth).
set -euo pipefail
cd "$(dirname "$0")"
export ARCHON_AUTH_BIN="${ARCHON_AUTH_BIN:-$(cd .. && pwd)/build/debug/archon-auth}"
# binary: the console the binary embeds (it must serve /admin); proxy: dist/ from e2e/server.mjs.
export CONSOLE_SERVED_BY="${CONSOLE_SERVED_BY:-binary}"

sdk=../sdks/typescript
if [[ ! -f $sdk/packages/auth-client/dist/index.js || ! -f $sdk/packages/auth-react/dist/index.js ]]; then
  echo "building the SDK packages in sdks/typescript (the console links them)..."
  (cd "$sdk" && { [[ -d node_modules ]] || npm ci --no-audit --no-fund; } && npm run build)
fi

# Installed once per lockfile (the marker scripts/build_console.sh keeps too).
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -d node_modules || "$(cat node_modules/.lock.sha256 2>/dev/null)" != "$lock_hash" ]]; then
  npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.lock.sha256
fi
npx tsc --noEmit
# Built aside, then copied into dist/ only where it changed: the C++ build embeds dist/, and an
# unchanged file keeps its time (no re-embedding, no relink of the binary).
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npx vite build --logLevel warn --outDir "$out" --emptyOutDir
for f in index.html console.js console.css; do [[ -f $out/$f ]] || { echo "dist/$f missing" >&2; exit 1; }; done
extra=$(ls "$out" | grep -vxE 'index.html|console.js|console.css' || true)
[[ -z $extra ]] || { echo "unexpected files in dist/: $extra" >&2; exit 1; }
mkdir -p dist
for f in index.html console.js console.css; do cmp -s "$out/$f" "dist/$f" || cp "$out/$f" "dist/$f"; done
echo "bundle: console.js $(wc -c <dist/console.js) B ($(gzip -9c dist/console.js | wc -c) B gzip), console.css $(wc -c <dist/console.css) B ($(gzip -9c dist/console.css | wc -c) B gzip)"

rm -rf e2e/artifacts
node --test --test-concurrency=1 e2e/console.test.mjs e2e/keys-webhooks.test.mjs e2e/admin-actions.test.mjs
