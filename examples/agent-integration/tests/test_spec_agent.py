"""The spec's agent example (verbatim copy in ../spec/) runs unchanged against the real server,
with base_url and the credentials replaced."""
from __future__ import annotations

import ast
from pathlib import Path

from archon_testing import ArchonServer
from spec_examples import SPEC_BASE_URL, run_spec_example

SPEC_AGENT = Path(__file__).resolve().parents[1] / "spec" / "code_implementer_agent.py"


def test_spec_agent_main_runs(archon: ArchonServer, tmp_path: Path) -> None:
    dev = archon.create_user("agent_operator", prefix="developer")
    proc = run_spec_example(SPEC_AGENT, {SPEC_BASE_URL: repr(archon.base_url + "/api/v2"),
                                         "'developer@company.com'": repr(dev.email),
                                         "'password123'": repr(dev.password)}, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "Agent authenticated with capabilities: " \
                       "['file:read', 'file:write', 'file:create', 'git:commit']", lines
    assert lines[1] == "WARNING: Denied capabilities: ['npm:install', 'shell:execute']", lines
    assert lines[-1].startswith("Feature implementation results: ")
    results = ast.literal_eval(lines[-1].split(": ", 1)[1])
    assert results["git_commits"] == ["abc123def456"]  # the spec's simulated commit
