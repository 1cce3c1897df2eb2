#!/usr/bin/env bash
# The Python SDK's and the two Python examples' tests, against the real archon-auth binary:
# a venv under sdks/python/.venv, `pip install sdks/python[test]` (a real, non-editable install),
# mypy --strict over the SDK, its tests and both examples, then pytest over all three.
# Needs: python3 >= 3.11 with venv, git, $ARCHON_AUTH_BIN (default build/debug/archon-auth).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="$HERE/.venv"
export ARCHON_AUTH_BIN="${ARCHON_AUTH_BIN:-$REPO/build/debug/archon-auth}"
[ -x "$ARCHON_AUTH_BIN" ] || { echo "archon-auth binary not found: $ARCHON_AUTH_BIN" >&2; exit 1; }
command -v git >/dev/null || { echo "git is required (the tool-server example runs real git)" >&2; exit 1; }

PY="${PYTHON:-python3}"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "python >= 3.11 is required" >&2; exit 1; }
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# setuptools' build/ keeps modules deleted from src/: never install from a stale one.
rm -rf "$HERE/build"
"$VPY" -m pip install -q "$HERE[test]"
# The package itself is reinstalled every run (not editable): the tests use what a user gets.
"$VPY" -m pip install -q --no-deps --force-reinstall "$HERE"

# The spec's example programs run in a fresh venv holding nothing but `pip install sdks/python`.
FRESH="$(mktemp -d "${TMPDIR:-/tmp}/archon-py-fresh.XXXXXX")"
trap 'rm -rf "$FRESH"' EXIT
"$PY" -m venv "$FRESH/venv"
(cd "$REPO" && "$FRESH/venv/bin/python" -m pip install -q sdks/python)
export ARCHON_SPEC_PYTHON="$FRESH/venv/bin/python"

echo "== mypy --strict"
(cd "$HERE" && "$VPY" -m mypy --strict --no-incremental src tests tools)
(cd "$REPO/examples/tool-server" && MYPYPATH="$HERE/tests:." "$VPY" -m mypy --strict --no-incremental \
  tool_server.py workspace.py tests/conftest.py tests/test_tool_server.py)
(cd "$REPO/examples/agent-integration" && MYPYPATH="$HERE/tests:.:tests:../tool-server" \
  "$VPY" -m mypy --strict --no-incremental code_implementer_agent.py tools.py tests/conftest.py \
  tests/tool_process.py tests/test_agent_run.py tests/test_spec_agent.py)

echo "== pytest"
cd "$REPO"
"$VPY" -m pytest -q -p no:cacheprovider -c "$HERE/pyproject.toml" --rootdir "$REPO" \
  "$HERE/tests" "$REPO/examples/tool-server/tests" "$REPO/examples/agent-integration/tests" "$@"
