#!/usr/bin/env bash
# Builds the admin console (console/) into console/dist/{index.html,console.js,console.css},
# which the C++ build compiles into the binary (served at /admin). The console links the
# TypeScript SDK's packages, so those are built first. Skips what is already up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

sdk=sdks/typescript
if [ ! -f $sdk/packages/auth-client/dist/index.js ] || [ ! -f $sdk/packages/auth-react/dist/index.js ]; then
  (cd $sdk && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build --silent)
fi

lock_hash=$(sha256sum console/package-lock.json | cut -d' ' -f1)
if [ ! -d console/node_modules ] || [ "$(cat console/node_modules/.lock.sha256 2>/dev/null)" != "$lock_hash" ]; then
  (cd console && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" > console/node_modules/.lock.sha256
fi

# Rebuilt when a source is newer than the bundle (or the bundle is missing).
newest_source=$(find console/src console/index.html console/vite.config.* $sdk/packages/*/dist -type f -printf '%T@\n' 2>/dev/null | sort -n | tail -1)
bundle_time=$(stat -c %Y console/dist/console.js 2>/dev/null || echo 0)
if [ ! -f console/dist/index.html ] || [ ! -f console/dist/console.css ] ||
   awk -v s="${newest_source:-0}" -v b="$bundle_time" 'BEGIN { exit !(s > b) }'; then
  (cd console && npx vite build --logLevel warn)
fi
