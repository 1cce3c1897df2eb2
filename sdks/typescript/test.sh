#!/usr/bin/env bash
# The TypeScript SDKs and the React example app, end to end:
#   npm ci, build, type-check, unit tests (incl. the shared restriction vectors), integration tests
#   against $ARCHON_AUTH_BIN (incl. npm pack + a consumer project), then the example app's browser
#   tests in Debian's Chromium (journey with screenshots, 8 tabs for 2 minutes).
# Screenshots and the many-tabs figures land in examples/react-app/artifacts/ (gitignored).
# Env: ARCHON_AUTH_BIN (required), MANY_TABS_SECONDS (default 120), SKIP_BROWSER=1 to stop before the browser.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
APP="$REPO/examples/react-app"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

: "${ARCHON_AUTH_BIN:?set ARCHON_AUTH_BIN to the archon-auth binary}"
ARCHON_AUTH_BIN="$(cd "$(dirname "$ARCHON_AUTH_BIN")" && pwd)/$(basename "$ARCHON_AUTH_BIN")"
export ARCHON_AUTH_BIN
[[ -x "$ARCHON_AUTH_BIN" ]] || { echo "ARCHON_AUTH_BIN=$ARCHON_AUTH_BIN is not executable" >&2; exit 1; }

step() { printf '\n==> %s (%ss)\n' "$1" "$SECONDS"; }

step "sdks/typescript: npm ci"
cd "$HERE"
npm ci --no-audit --no-fund --loglevel=error
step "build"
npm run --silent build
step "type-check tests"
npx tsc -p tsconfig.test.json
step "unit tests"
npx vitest run --project unit
step "integration tests against $ARCHON_AUTH_BIN (incl. npm pack + consumer project)"
npx vitest run --project integration

if [[ "${SKIP_BROWSER:-}" == 1 ]]; then echo "SKIP_BROWSER=1: browser tests skipped"; exit 0; fi

step "Chromium"
if ! command -v /usr/bin/chromium >/dev/null; then
  echo "Debian's chromium is missing (scripts/setup.sh should install it); installing" >&2
  SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO=sudo
  $SUDO apt-get install -y chromium >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null || true

step "examples/react-app: npm ci, type-check, build"
cd "$APP"
npm ci --no-audit --no-fund --loglevel=error
npx tsc --noEmit
npx vite build --logLevel warn
rm -rf artifacts && mkdir -p artifacts
step "browser: example-app journey"
node --test --test-reporter=spec e2e/journey.test.mjs
step "browser: many tabs"
node --test --test-reporter=spec e2e/many-tabs.test.mjs
step "done: screenshots and many-tabs.json in $APP/artifacts"
