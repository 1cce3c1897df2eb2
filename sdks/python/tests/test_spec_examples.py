"""The spec's Python SDK usage example runs unchanged (but for base_url and credentials)."""
from __future__ import annotations

from pathlib import Path

import archon_auth_client
from archon_testing import ArchonServer
from spec_examples import SPEC_BASE_URL, run_spec_example

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "spec_sdk_usage.py"


def test_spec_sdk_main_runs(archon: ArchonServer, tmp_path: Path) -> None:
    user = archon.create_user("agent_operator", name="Spec Example User")
    proc = run_spec_example(EXAMPLE, {SPEC_BASE_URL: repr(archon.base_url + "/api/v2"),
                                      "'user@example.com'": repr(user.email),
                                      "'password123'": repr(user.password)}, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "Login successful: Spec Example User",
        "Agent authenticated with capabilities: ['file:read', 'file:write', 'git:commit']",
    ], proc.stdout + proc.stderr


def test_spec_sdk_main_reports_the_policy_refusal(archon: ArchonServer, tmp_path: Path) -> None:
    """With the spec's own password123 the login fails cleanly and the agent call says why."""
    proc = run_spec_example(EXAMPLE, {SPEC_BASE_URL: repr(archon.base_url + "/api/v2")}, tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Login failed: ") and "(Code: AUTH_INVALID_CREDENTIALS)" in lines[0]
    assert lines[1].startswith("Agent auth failed: ")


def test_installed_not_from_source_tree() -> None:
    """test.sh installs the package with `pip install sdks/python` (not editable)."""
    assert "site-packages" in archon_auth_client.__file__, archon_auth_client.__file__


def test_spec_examples_use_a_fresh_install() -> None:
    """Under test.sh the examples run in a fresh venv with only `pip install sdks/python`."""
    import os
    import subprocess

    python = os.environ.get("ARCHON_SPEC_PYTHON")
    if not python:
        import pytest
        pytest.skip("ARCHON_SPEC_PYTHON not set (test.sh sets it)")
    out = subprocess.run([python, "-c", "import archon_auth_client as a, importlib.util as u; "
                          "print(a.__file__); print(u.find_spec('starlette') is None)"],
                         capture_output=True, text=True, check=True, cwd="/").stdout.split()
    assert out[0].startswith(str(Path(python).parents[1])) and out[1] == "True", out
