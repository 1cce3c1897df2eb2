#!/usr/bin/env bash
# The one command that runs every test: installs what is missing, builds the debug preset
# (ASan + UBSan, warnings as errors), runs the unit tests, then the black-box API tests
# against the real binary, on the SQLite store and again on PostgreSQL (ARCHON_TEST_STORE,
# see tests/api/store_support.py), then three instances behind nginx on PostgreSQL and Redis.
# Usage: scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

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

echo "== docs: the agent tables in docs/agents.md match config/agents.yaml"
python3 scripts/agents_table.py --check

echo "== fuzz smoke: the token decoder and the stored password-hash parser under libFuzzer"
FUZZ_SECONDS="${FUZZ_SECONDS:-20}" scripts/fuzz.sh

echo "== bench smoke: the harness runs and writes valid JSON (figures are not checked here)"
bench/run --smoke --binary build/debug/archon-auth

echo "== all tests passed"
