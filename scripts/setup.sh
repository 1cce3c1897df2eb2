#!/usr/bin/env bash
# Installs everything archon-auth needs to build, run and test on Debian bookworm.
# Idempotent: packages already present are skipped. Works as root or through sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # build
  build-essential cmake ninja-build ccache pkg-config git
  # libraries (DESIGN.md, "Dependencies")
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsodium-dev libcrypt-dev libsqlite3-dev sqlite3 libpq-dev postgresql-15 libhiredis-dev redis-server
  libmimalloc-dev libcurl4-openssl-dev
  libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  # tests and tools (clang + its runtimes for the libFuzzer targets)
  googletest libgtest-dev libgmock-dev libbenchmark-dev clang-14 libclang-rt-14-dev
  python3 python3-pip python3-venv python3-yaml curl
  # benchmarks (bench/run): the load generator and the same-run baseline
  wrk nginx-light
  # common-password list source
  john-data
  # SDK tests: the browser the TypeScript SDK's Playwright tests drive (no browser download
  # works here), and unzip for the Go toolchain below
  chromium unzip
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root or sudo to install packages" >&2; exit 1; fi
}

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js may come from NodeSource (npm bundled) rather than Debian; only add Debian's if absent.
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python test dependencies live in a project-local venv so the system Python stays untouched.
# Re-installed whenever requirements.txt changes (a stamp holds its hash).
req_hash=$(sha256sum tests/api/requirements.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/pytest ] || [ "$(cat .venv/.requirements.sha256 2>/dev/null)" != "$req_hash" ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r tests/api/requirements.txt
  echo "$req_hash" > .venv/.requirements.sha256
fi

# npm tools: swagger-ui-dist (bundled into the binary's /docs), the OpenAPI linter, and the
# zxcvbn password list (part of the shipped common-password list).
if [ ! -d tools/node_modules/swagger-ui-dist ] || [ ! -d tools/node_modules/@redocly/cli ] ||
   [ ! -d tools/node_modules/@zxcvbn-ts/language-common ]; then
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
fi
# The admin console (console/, on the TypeScript SDK), compiled into the binary at /admin.
scripts/build_console.sh

# schemathesis lives in a venv of its own: its pins differ from tests/api's.
st_hash=$(sha256sum tests/schemathesis/requirements.txt | cut -d' ' -f1)
if [ ! -x .venv-schemathesis/bin/schemathesis ] || [ "$(cat .venv-schemathesis/.requirements.sha256 2>/dev/null)" != "$st_hash" ]; then
  python3 -m venv .venv-schemathesis
  .venv-schemathesis/bin/pip install -q --disable-pip-version-check -r tests/schemathesis/requirements.txt
  echo "$st_hash" > .venv-schemathesis/.requirements.sha256
fi

# The independent OAuth/JOSE clients of tests/api/test_standard_clients.py (oauth4webapi, jose).
if [ ! -d tests/api/standard_clients/node_modules/oauth4webapi ] || [ ! -d tests/api/standard_clients/node_modules/jose ]; then
  (cd tests/api/standard_clients && npm ci --no-audit --no-fund --loglevel=error)
fi

# The Standard Webhooks JavaScript library the webhook tests verify deliveries with.
if [ ! -d tests/api/webhook_js/node_modules/standardwebhooks ]; then
  (cd tests/api/webhook_js && npm ci --no-audit --no-fund --loglevel=error)
fi

# Go >= 1.24 for the Go SDK (Debian bookworm ships 1.19). The toolchain is itself a module on the
# Go module proxy (golang.org/toolchain), which is reachable where go.dev may not be.
GO_VERSION=1.24.13
go_ok() {
  local v
  v=$("$1" env GOVERSION 2>/dev/null | sed 's/^go//') || return 1
  [ -n "$v" ] && [ "$(printf '%s\n1.24\n' "$v" | sort -V | head -1)" = "1.24" ]
}
if ! { command -v go >/dev/null && go_ok go; } && ! go_ok /usr/local/go/bin/go && ! go_ok /opt/go/bin/go; then
  echo "setup: installing Go $GO_VERSION from the Go module proxy"
  tmp=$(mktemp -d)
  curl -fsSL -o "$tmp/go.zip" \
    "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-amd64.zip"
  (cd "$tmp" && unzip -q go.zip)
  as_root rm -rf /opt/go
  as_root mv "$tmp/golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-amd64" /opt/go
  as_root chmod -R a+rX /opt/go && as_root chmod a+x /opt/go/bin/* /opt/go/pkg/tool/*/*
  rm -rf "$tmp"
fi

echo "setup: done"
