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
  libmimalloc-dev
  libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  # tests and tools (clang + its runtimes for the libFuzzer targets)
  googletest libgtest-dev libgmock-dev libbenchmark-dev clang-14 libclang-rt-14-dev
  python3 python3-pip python3-venv python3-yaml curl
  # benchmarks (bench/run): the load generator and the same-run baseline
  wrk nginx-light
  # common-password list source
  john-data
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
echo "setup: done"
