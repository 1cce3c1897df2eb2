#!/usr/bin/env bash
# The one command that runs every test: installs what is missing, builds the debug preset
# (ASan + UBSan, warnings as errors), runs the unit tests, then the black-box API tests
# against the real binary, on the SQLite store and again on PostgreSQL (ARCHON_TEST_STORE,
# see tests/api/store_support.py), then three instances behind nginx on PostgreSQL and Redis,
# schemathesis over the OpenAPI document, and the Go, Python and TypeScript SDKs (browser tests
# included) against the same binary.
# Usage: scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== code shape: no function in src/ over 80 lines, no file over 600 (scripts/check_code_shape.py)"
.venv/bin/python scripts/check_code_shape.py

echo "== build (debug: ASan + UBSan, -Werror)"
cmake --preset debug -DARCHON_WERROR=ON >/dev/null
cmake --build --preset debug

echo "== unit tests"
ctest --preset debug -j2

echo "== black-box API tests"
export ARCHON_AUTH_BIN="$PWD/build/debug/archon-auth"
# Sanitizer findings in the server fail the API tests (conftest scans each server's stderr).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
.venv/bin/pytest -q tests/api "$@"

echo "== black-box API tests on PostgreSQL (a throwaway PostgreSQL 15 for the run; a database per server)"
ARCHON_TEST_STORE=postgres .venv/bin/pytest -q tests/api "$@"

echo "== several instances: three behind nginx on PostgreSQL and Redis (tests/cluster)"
tests/cluster/run.sh

echo "== schemathesis --checks all over the served OpenAPI document (tests/schemathesis)"
tests/schemathesis/run.sh

# The SDKs, each against the same binary (started by their own tests on free ports). Go (setup.sh
# installs >= 1.24 under /opt/go where the machine's is missing or older) and Python run side by
# side; the TypeScript suite (browser tests, 8 tabs for two minutes) runs alone after them.
export PATH="/opt/go/bin:/usr/local/go/bin:$PATH"
echo "== SDKs: Go and Python (side by side; logs under build/sdk-logs)"
mkdir -p build/sdk-logs
sdk_failed=0
sdks/go/test.sh > build/sdk-logs/go.log 2>&1 & go_pid=$!
sdks/python/test.sh > build/sdk-logs/python.log 2>&1 & py_pid=$!
wait "$go_pid" || { echo "-- Go SDK FAILED:"; tail -n 80 build/sdk-logs/go.log; sdk_failed=1; }
wait "$py_pid" || { echo "-- Python SDK FAILED:"; tail -n 80 build/sdk-logs/python.log; sdk_failed=1; }
[ "$sdk_failed" = 0 ] || exit 1
tail -n 2 build/sdk-logs/go.log build/sdk-logs/python.log
echo "== SDKs: TypeScript, React and the example app in Chromium"
sdks/typescript/test.sh

echo "== the admin console, served by the binary at /admin, in Chromium (console/test.sh)"
CONSOLE_SERVED_BY=binary console/test.sh

echo "== docs: the agent tables in docs/agents.md match config/agents.yaml"
python3 scripts/agents_table.py --check

echo "== fuzz smoke: the token decoder and the stored password-hash parser under libFuzzer"
FUZZ_SECONDS="${FUZZ_SECONDS:-20}" scripts/fuzz.sh

echo "== bench smoke: the harness runs and writes valid JSON (figures are not checked here)"
bench/run --smoke --binary build/debug/archon-auth

echo "== all tests passed"
