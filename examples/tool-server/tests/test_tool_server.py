"""The tool server against the real archon-auth: real files in a temp working copy, real git with
a bare remote, every call checked online with the path, branch and size as the resource."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Tuple

import httpx
import pytest

from archon_auth_client import AgentAuthResult, ArchonAuthClient, AuthConfig
from archon_auth_client.agents import Decision, OnlineAuthorizer
from archon_testing import ArchonServer, audit_rows
from tool_server import Workspace, build_app
from workspace import create_demo_workspace, git

CAPS = ["file:read", "file:write", "file:create", "file:delete", "git:branch", "git:commit",
        "git:push", "npm:install"]
TASK = {"project_id": "proj_tools", "task_type": "feature_implementation", "estimated_duration": 600}


class World:
    def __init__(self, project: Path, remote: Path, http: httpx.AsyncClient, user: ArchonAuthClient,
                 grant: AgentAuthResult, decisions: List[Decision]) -> None:
        self.project, self.remote, self.http, self.user = project, remote, http, user
        self.grant, self.decisions = grant, decisions

    async def call(self, route: str, token: str | None = None, **body: Any) -> httpx.Response:
        return await self.http.post(route, json=body, headers={
            "Authorization": f"Bearer {token or self.grant['agent_token']}"})


def refused(resp: httpx.Response, reason: str) -> None:
    assert resp.status_code == 403, resp.text
    assert resp.json()["error"]["details"]["reason"] == reason, resp.text


@pytest.fixture
async def world(archon: ArchonServer, tmp_path: Path) -> AsyncIterator[World]:
    project, remote = create_demo_workspace(tmp_path / "ws")
    operator = archon.create_user("agent_operator")
    cid, secret = archon.service
    decisions: List[Decision] = []
    async with ArchonAuthClient(AuthConfig(archon.base_url)) as user, \
            ArchonAuthClient(AuthConfig(archon.base_url, client_id=cid, client_secret=secret)) as tool:
        await user.login({"email": operator.email, "password": operator.password})
        grant = await user.authenticate_agent("code_implementer", CAPS, TASK)
        app = build_app(Workspace(project), OnlineAuthorizer(tool), lambda d, c, r: decisions.append(d))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tools") as http:
            yield World(project, remote, http, user, grant, decisions)


async def test_files(world: World) -> None:
    r = await world.call("/files/read", path="/project/src/app.ts")
    assert r.status_code == 200 and "hello" in r.json()["data"]["content"]
    r = await world.call("/files/create", path="/project/src/features/Login.ts", content="export {}\n")
    assert r.status_code == 200 and (world.project / "src/features/Login.ts").read_text() == "export {}\n"
    r = await world.call("/files/write", path="/project/src/app.ts", content="changed\n")
    assert r.status_code == 200 and (world.project / "src/app.ts").read_text() == "changed\n"
    assert (await world.call("/files/create", path="/project/src/app.ts", content="x")).status_code == 409
    assert (await world.call("/files/write", path="/project/src/none.ts", content="x")).status_code == 404
    r = await world.call("/files/delete", path="/project/src/features/Login.ts")
    assert r.status_code == 200 and not (world.project / "src/features/Login.ts").exists()


async def test_refusals_carry_the_reason(world: World) -> None:
    refused(await world.call("/files/read", path="/project/.env"), "path_not_allowed")
    refused(await world.call("/files/write", path="/project/.env", content="x"), "path_not_allowed")
    refused(await world.call("/files/write", path="/project/src/../../etc/passwd", content="x"),
            "invalid_path")
    refused(await world.call("/files/read", path="/project/src/%2e%2e/.env"), "invalid_path")
    refused(await world.call("/files/create", path="/project/package.json", content="{}"),
            "path_not_allowed")
    big = "x" * (10 * 1024 * 1024 + 1)
    refused(await world.call("/files/create", path="/project/src/big.bin", content=big),
            "size_exceeds_limit")
    assert not (world.project / "src/big.bin").exists()
    refused(await world.call("/npm/install", packages=["left-pad"]), "capability_not_granted")
    assert (world.project / ".env").read_text() == "DATABASE_PASSWORD=not-for-agents\n"


async def test_symlink_out_of_the_working_copy_is_not_followed(world: World, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("outside secret\n")
    os.symlink(outside, world.project / "src" / "link")
    r = await world.call("/files/read", path="/project/src/link/secret.txt")
    assert r.status_code == 403 and r.json()["error"]["code"] == "OUTSIDE_WORKSPACE"
    # A link inside the working copy is asked about by its target: /project/.env, refused.
    os.symlink(world.project / ".env", world.project / "src" / "env-link")
    refused(await world.call("/files/read", path="/project/src/env-link"), "path_not_allowed")


async def test_git_branch_commit_push(world: World) -> None:
    refused(await world.call("/git/commit", message="on main"), "branch_not_allowed")
    refused(await world.call("/git/branch", branch="main"), "branch_not_allowed")
    refused(await world.call("/git/branch", branch="main "), "invalid_branch")
    r = await world.call("/git/branch", branch="feature/login")
    assert r.status_code == 200 and git(world.project, "rev-parse", "--abbrev-ref", "HEAD") == "feature/login"
    await world.call("/files/create", path="/project/src/login.ts", content="export const x = 1;\n")
    r = await world.call("/git/commit", message="Add login")
    assert r.status_code == 200, r.text
    sha = r.json()["data"]["commit"]
    log = git(world.project, "log", "-1", "--format=%an%n%B")
    assert world.grant["agent_id"] in log and "Agent-Id: " + world.grant["agent_id"] in log
    r = await world.call("/git/push", branch="refs/heads/feature/login")  # the same branch
    assert r.status_code == 200 and r.json()["data"]["branch"] == "feature/login"
    assert git(world.remote, "rev-parse", "refs/heads/feature/login") == sha
    main_before = git(world.remote, "rev-parse", "refs/heads/main")
    refused(await world.call("/git/push", branch="main"), "branch_not_allowed")
    refused(await world.call("/git/push", branch="refs/heads/main"), "branch_not_allowed")
    assert git(world.remote, "rev-parse", "refs/heads/main") == main_before


async def test_revocation_counts_at_once_and_every_decision_is_audited(
        world: World, archon: ArchonServer) -> None:
    assert (await world.call("/files/write", path="/project/src/app.ts", content="1\n")).status_code == 200
    refused(await world.call("/files/read", path="/project/.env"), "path_not_allowed")
    await world.user.revoke_agent_token(world.grant["agent_id"])
    refused(await world.call("/files/write", path="/project/src/app.ts", content="2\n"), "token_revoked")
    assert (world.project / "src/app.ts").read_text() == "1\n"

    admin = archon.create_user("admin")
    async with ArchonAuthClient(AuthConfig(archon.base_url)) as client:
        await client.login({"email": admin.email, "password": admin.password})
        rows = {row["request_id"]: row for row in await audit_rows(client, "agent_verify")}
    assert len(world.decisions) == 3
    for d in world.decisions:
        row = rows[d.request_id]
        assert row["outcome"] == ("allowed" if d.allowed else "denied")
        assert row["details"]["reason"] == d.reason
