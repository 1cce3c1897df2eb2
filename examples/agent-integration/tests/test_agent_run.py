"""The real agent end to end: archon-auth, the tool server (its own process) on a real git
working copy with a bare remote, the code_implementer and its delegated test_writer."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Tuple

import pytest

from archon_auth_client import ArchonAuthClient, AuthConfig
from archon_testing import ArchonServer, Actor, audit_rows
from code_implementer_agent import CodeImplementerAgent
from tool_process import ToolServer
from workspace import git

HERE = Path(__file__).resolve().parents[1]
FEATURE = {'name': 'UserProfile', 'description': 'User profile management component',
           'type': 'react_component', 'dependencies': ['react-hook-form', 'yup']}
TASK = {'project_id': 'proj_user_dashboard', 'task_type': 'feature_implementation',
        'estimated_duration': 1800, 'feature_complexity': 'medium'}


@pytest.fixture
async def session(archon: ArchonServer) -> AsyncIterator[Tuple[ArchonAuthClient, Actor]]:
    dev = archon.create_user("agent_operator", prefix="developer")
    async with ArchonAuthClient(AuthConfig(base_url=archon.base_url + "/api/v2")) as client:
        await client.login({'email': dev.email, 'password': dev.password})
        yield client, dev


async def _admin(archon: ArchonServer) -> ArchonAuthClient:
    admin = archon.create_user("admin")
    client = ArchonAuthClient(AuthConfig(archon.base_url))
    await client.login({"email": admin.email, "password": admin.password})
    return client


async def test_end_to_end(archon: ArchonServer, tool_server: ToolServer,
                          session: Tuple[ArchonAuthClient, Actor]) -> None:
    client, _ = session
    agent = CodeImplementerAgent(client, tool_server.url)
    try:
        await agent.authenticate(TASK)
        assert agent.capabilities == ['file:read', 'file:write', 'file:create', 'git:commit',
                                      'git:branch', 'git:push']
        assert agent.denial_reasons == {'npm:install': 'requires_approval',
                                        'shell:execute': 'requires_approval'}
        results = await agent.implement_feature(FEATURE)
        probes = await agent.probe_boundaries()
        decisions = [d for a in [agent, *agent.sub_agents] for d in a._tools().decisions]
    finally:
        await agent.aclose()

    # Written, committed on feature/UserProfile and pushed; the tests by the sub-agent.
    assert results['files_created'] == ['src/features/UserProfile.ts', 'src/types/UserProfile.types.ts']
    assert results['files_modified'] == ['src/app.ts']  # package.json was refused
    assert results['tests_added'] == ['/project/src/__tests__/UserProfile.test.ts']
    sha = results['git_commits'][0]
    assert git(tool_server.remote, "rev-parse", "refs/heads/feature/UserProfile") == sha
    files = git(tool_server.project, "show", "--name-only", "--format=", sha).splitlines()
    assert sorted(files) == ['src/__tests__/UserProfile.test.ts', 'src/app.ts',
                             'src/features/UserProfile.ts', 'src/types/UserProfile.types.ts']
    assert f"Agent-Id: {agent.agent_id}" in git(tool_server.project, "log", "-1", "--format=%B")
    assert "import UserProfile" in (tool_server.project / "src/app.ts").read_text()
    assert "add_dependency" not in (tool_server.project / "package.json").read_text()

    sub_id = agent.sub_agents[0].agent_id
    reasons = [(r['agent_id'], r['route'], r['reason']) for r in agent.refusals]
    assert reasons == [
        (agent.agent_id, '/files/read', 'path_not_allowed'),        # package.json, read first
        (agent.agent_id, '/files/read', 'path_not_allowed'),        # /project/.env
        (agent.agent_id, '/files/write', 'invalid_path'),           # /project/src/../../etc/passwd
        (agent.agent_id, '/git/push', 'branch_not_allowed'),        # main
        (agent.agent_id, '/npm/install', 'capability_not_granted'),  # denied: requires_approval
        (sub_id, '/files/create', 'path_not_allowed'),              # outside the sub-agent's paths
    ], reasons
    assert len(probes) == 5
    assert not (tool_server.project / "src/features/Intruder.ts").exists()

    admin = await _admin(archon)
    try:
        verify_rows = {r["request_id"]: r for r in await audit_rows(admin, "agent_verify")}
        for d in decisions:  # every decision the tool server made is in the audit trail
            row = verify_rows[d["request_id"]]
            assert row["outcome"] == ("allowed" if d["allowed"] else "denied"), (d, row)
            assert row["details"]["reason"] == d["reason"]
        assert len(decisions) == 14, decisions
        auth = [r for r in await audit_rows(admin, "agent_authenticate")
                if r["details"].get("agent_id") == agent.agent_id]
        assert len(auth) == 1 and auth[0]["details"]["denied"] == {
            "npm:install": "requires_approval", "shell:execute": "requires_approval"}, auth
        delegated = [r for r in await audit_rows(admin, "agent_delegate")
                     if r["details"].get("agent_id") == sub_id]
        assert len(delegated) == 1 and delegated[0]["outcome"] == "granted"
    finally:
        await admin.aclose()


@pytest.mark.parametrize("how", ["revoke", "logout"])
async def test_next_write_refused_after(how: str, archon: ArchonServer, tool_server: ToolServer,
                                        session: Tuple[ArchonAuthClient, Actor]) -> None:
    client, _ = session
    agent = CodeImplementerAgent(client, tool_server.url)
    try:
        await agent.authenticate(TASK)
        tools = agent._tools()
        await tools.write("/project/src/app.ts", "// before\n")
        if how == "revoke":
            await client.revoke_agent_token(str(agent.agent_id))
        else:
            await client.logout()
        assert await agent._tool(tools.write("/project/src/app.ts", "// after\n")) is False
        assert agent.refusals[-1]["reason"] == "token_revoked"
    finally:
        await agent.aclose()
    assert (tool_server.project / "src/app.ts").read_text() == "// before\n"


def test_the_two_commands_of_the_readme(archon: ArchonServer, tool_server: ToolServer) -> None:
    """`python code_implementer_agent.py` against a tool server started as the README says."""
    dev = archon.create_user("agent_operator", prefix="developer")
    env = dict(os.environ, ARCHON_URL=archon.base_url + "/api/v2", ARCHON_EMAIL=dev.email,
               ARCHON_PASSWORD=dev.password, TOOL_SERVER_URL=tool_server.url)
    proc = subprocess.run([sys.executable, str(HERE / "code_implementer_agent.py")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "Creating file: src/features/UserProfile.ts" in out
    assert "REFUSED by the tool server: /files/read (path_not_allowed)" in out
    assert "REFUSED by the tool server: /git/push (branch_not_allowed)" in out
    assert "'npm:install': 'requires_approval'" in out
    assert git(tool_server.remote, "ls-tree", "-r", "--name-only", "feature/UserProfile").count("UserProfile") == 3
