"""Fixtures for the multi-instance tests (see cluster_harness.py for the topology).

- archon_bin (session): $ARCHON_AUTH_BIN, else build/debug/archon-auth.
- cluster (session): PostgreSQL, Redis, three archon-auth instances and nginx, started once and
  stopped at the end; sanitizer reports or unexpected exits of any instance fail the run.
- up (function): the cluster with every piece running (restarts what a failed test left down).
- admin (session): an admin made with `archon-auth users create --role admin`, logged in.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cluster_harness  # noqa: E402
from cluster_harness import Cluster  # noqa: E402
from identity_support import User  # noqa: E402

import cluster_support  # noqa: E402


def pytest_collection_modifyitems(items):
    # No test may hang CI: a hang is a failure with a traceback.
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(120))


def pytest_terminal_summary(terminalreporter):
    if cluster_support.FIGURES:
        terminalreporter.section("cluster figures")
        for line in cluster_support.FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def archon_bin() -> Path:
    path = Path(os.environ.get("ARCHON_AUTH_BIN") or cluster_harness.REPO / "build" / "debug" / "archon-auth").absolute()
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(f"archon-auth binary not found or not executable at {path} (set ARCHON_AUTH_BIN)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def cluster(archon_bin):
    missing = cluster_harness.missing_prerequisites()
    if missing:
        pytest.fail("the cluster tests need: " + "; ".join(missing), pytrace=False)
    c = Cluster(archon_bin)
    try:
        c.start()
    except BaseException:
        c.close()
        raise
    yield c
    problems = c.close()
    if problems:
        pytest.fail("cluster problems:\n" + "\n\n".join(problems), pytrace=False)


@pytest.fixture
def up(cluster):
    cluster.ensure_all_up()
    return cluster


@pytest.fixture(scope="session")
def admin(cluster) -> User:
    user = User(cluster_support.unique_email("admin"), "admin password 4 cluster tests", "Root Admin")
    proc = cluster.cli("users", "create", "--config", cluster.config_path, "--data-dir", cluster.cli_dir,
                       "--email", user.email, "--name", user.name, "--role", "admin", input=user.password)
    assert proc.returncode == 0, f"users create: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    data = cluster_support.login(cluster.instances[0], user, cluster.next_ip())
    assert "admin" in data["user"]["roles"], data
    return user
