#!/usr/bin/env python3
"""A small real tool server for AI agents: file read/write/create/delete on a working copy and git
branch/commit/push on its repository, every call allowed only when archon-auth says so.

Each route is wrapped in the SDK's ``CapabilityGuard`` with the ``OnlineAuthorizer``: the agent's
token, the route's capability and the resource (the file path, its size, the branch) go to
``POST /api/v2/auth/agents/verify`` on every call, so a revoked token or an ended session is
refused at once, and archon-auth writes every decision to its audit trail. A refusal answers 403
with the decision's reason.

Environment: ARCHON_URL, ARCHON_CLIENT_ID, ARCHON_CLIENT_SECRET (a service client:
``archon-auth clients create --name tool-server``), TOOL_WORKSPACE (the working copy; with
``--demo DIR`` a demo repository and bare remote are created under DIR), TOOL_PORT (0: any).
The agent sees the working copy as ``/project``."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from archon_auth_client import ArchonAuthClient, AuthConfig
from archon_auth_client.agents import CapabilityGuard, Decision, OnlineAuthorizer, path_valid
from archon_auth_client.agents.restrictions import normalize_branch
from archon_auth_client.agents.asgi import Scope

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workspace import create_demo_workspace, git_env  # noqa: E402

VIRTUAL_ROOT = "/project"
log = logging.getLogger("tool-server")


class Workspace:
    """Maps the agent's ``/project/...`` paths onto the working copy and runs git in it."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.git_lock = asyncio.Lock()

    def resolve(self, vpath: Any) -> tuple[str, Optional[Path]]:
        """(the path to ask archon-auth about, the real file or None). Symbolic links are resolved
        first and the path asked about is the one that will be opened; a lexically invalid path
        (``..``, ``%``...) is asked about as given, so archon-auth refuses and audits it, and is
        never touched here."""
        if not isinstance(vpath, str) or not path_valid(vpath) or not (
                vpath == VIRTUAL_ROOT or vpath.startswith(VIRTUAL_ROOT + "/")):
            return (vpath if isinstance(vpath, str) else ""), None
        real = Path(os.path.realpath(self.root / vpath[len(VIRTUAL_ROOT):].lstrip("/")))
        if real != self.root and self.root not in real.parents:
            return vpath, None  # a link out of the working copy: never opened
        rel = real.relative_to(self.root).as_posix()
        return (VIRTUAL_ROOT + "/" + rel if rel != "." else VIRTUAL_ROOT), real

    async def git(self, *args: str, actor: Optional[Decision] = None) -> str:
        env = git_env()
        if actor is not None:
            name = f"{actor.agent_type} {actor.agent_id}"
            env.update({"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": f"{actor.agent_id}@agents.invalid",
                        "GIT_COMMITTER_NAME": name,
                        "GIT_COMMITTER_EMAIL": f"{actor.agent_id}@agents.invalid"})
        proc = await asyncio.create_subprocess_exec("git", *args, cwd=self.root, env=env,
                                                    stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(err.decode(errors="replace").strip() or f"git {args[0]} failed")
        return out.decode().strip()

    async def current_branch(self) -> str:
        return await self.git("rev-parse", "--abbrev-ref", "HEAD")


def _ok(decision: Decision, **data: Any) -> JSONResponse:
    return JSONResponse({"success": True, "data": {**data, "decision": asdict(decision)}})


def _fail(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"success": False, "data": None,
                         "error": {"code": code, "message": message, "details": {}}}, status)


def _decision(request: Request) -> Decision:
    d: Decision = request.state.agent_decision
    return d


async def _body(request: Request) -> Dict[str, Any]:
    data = json.loads(await request.body())
    return data if isinstance(data, dict) else {}


def _real_of(scope: Scope) -> Path:
    real: Optional[Path] = scope["state"].get("real_path")
    if real is None:  # the verdict was "allowed" for a path that cannot be opened here
        raise PermissionError("path outside the working copy")
    return real


def _branch_name(value: Any) -> str:
    """The branch as archon-auth judged it: `refs/heads/x` is the branch `x`."""
    name = normalize_branch(str(value))
    if name is None:
        raise ValueError("branch is not valid UTF-8")
    return name


class Tools:
    """The route handlers (run only after the guard allowed the call) and the resources the
    guard asks archon-auth about."""

    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace

    # -- resources
    def file_resource(self, with_size: bool) -> Callable[[Scope, Any], Dict[str, Any]]:
        def resource(scope: Scope, data: Any) -> Dict[str, Any]:
            ask, real = self.ws.resolve(data.get("path"))
            scope.setdefault("state", {})["real_path"] = real
            out: Dict[str, Any] = {"path": ask}
            if with_size:
                out["size"] = len(str(data.get("content", "")).encode())
            return out
        return resource

    @staticmethod
    def branch_of(key: str) -> Callable[[Scope, Any], Dict[str, Any]]:
        return lambda scope, data: {"branch": data[key]}

    async def commit_resource(self, scope: Scope, data: Any) -> Dict[str, Any]:
        branch = await self.ws.current_branch()
        scope.setdefault("state", {})["branch"] = branch
        return {"branch": branch}

    # -- files
    async def read(self, request: Request) -> JSONResponse:
        real = _real_of(request.scope)
        if not real.is_file():
            return _fail(404, "RESOURCE_NOT_FOUND", "no such file")
        return _ok(_decision(request), content=real.read_text())

    async def write(self, request: Request) -> JSONResponse:
        real, data = _real_of(request.scope), await _body(request)
        if not real.is_file():
            return _fail(404, "RESOURCE_NOT_FOUND", "file:write modifies existing files; use create")
        real.write_text(str(data.get("content", "")))
        return _ok(_decision(request), bytes=real.stat().st_size)

    async def create(self, request: Request) -> JSONResponse:
        real, data = _real_of(request.scope), await _body(request)
        if real.exists():
            return _fail(409, "RESOURCE_CONFLICT", "file exists; use write")
        real.parent.mkdir(parents=True, exist_ok=True)
        real.write_text(str(data.get("content", "")))
        return _ok(_decision(request), bytes=real.stat().st_size)

    async def delete(self, request: Request) -> JSONResponse:
        real = _real_of(request.scope)
        if not real.is_file():
            return _fail(404, "RESOURCE_NOT_FOUND", "no such file")
        real.unlink()
        return _ok(_decision(request))

    # -- git
    async def branch(self, request: Request) -> JSONResponse:
        name = _branch_name((await _body(request))["branch"])
        async with self.ws.git_lock:
            exists = name in (await self.ws.git("branch", "--format=%(refname:short)")).splitlines()
            await self.ws.git("checkout", "-q", *([] if exists else ["-b"]), name)
        return _ok(_decision(request), branch=name, created=not exists)

    async def commit(self, request: Request) -> JSONResponse:
        data, decision = await _body(request), _decision(request)
        trailers = [f"Agent-Id: {decision.agent_id}", f"On-Behalf-Of: {decision.user}"]
        trailers += [f"Delegated-By: {a}" for a in decision.actors[1:]]
        message = str(data.get("message", "agent commit")) + "\n\n" + "\n".join(trailers)
        async with self.ws.git_lock:
            # The branch archon-auth allowed must still be the one committed to.
            if request.scope["state"]["branch"] != await self.ws.current_branch():
                return _fail(409, "RESOURCE_CONFLICT", "the working copy moved to another branch")
            await self.ws.git("add", "-A")
            await self.ws.git("commit", "-q", "-m", message, actor=decision)
            sha = await self.ws.git("rev-parse", "HEAD")
        return _ok(decision, commit=sha, branch=await self.ws.current_branch())

    async def push(self, request: Request) -> JSONResponse:
        name = _branch_name((await _body(request))["branch"])
        async with self.ws.git_lock:
            await self.ws.git("push", "-q", "origin", f"refs/heads/{name}:refs/heads/{name}")
        return _ok(_decision(request), branch=name, pushed=True)

    async def npm_install(self, request: Request) -> JSONResponse:
        # Reached only with an approved npm:install capability, which no shipped common agent
        # type can hold; running third-party install scripts is outside this example.
        return _fail(501, "NOT_IMPLEMENTED", "npm install is not run by this example server")


def build_app(workspace: Workspace, authorizer: Any,
              on_decision: Optional[Callable[[Decision, str, Any], None]] = None) -> Starlette:
    tools = Tools(workspace)

    def guarded(capability: str, handler: Callable[[Request], Awaitable[JSONResponse]],
                resource: Any) -> CapabilityGuard:
        async def app(scope: Scope, receive: Any, send: Any) -> None:
            try:
                response = await handler(Request(scope, receive))
            except PermissionError as exc:
                response = _fail(403, "OUTSIDE_WORKSPACE", str(exc))
            except (RuntimeError, KeyError, ValueError) as exc:
                response = _fail(400, "TOOL_FAILED", str(exc))
            await response(scope, receive, send)
        return CapabilityGuard(app, authorizer=authorizer, capability=capability, resource=resource,
                               on_decision=on_decision)

    table = [
        ("/files/read", "file:read", tools.read, tools.file_resource(False)),
        ("/files/write", "file:write", tools.write, tools.file_resource(True)),
        ("/files/create", "file:create", tools.create, tools.file_resource(True)),
        ("/files/delete", "file:delete", tools.delete, tools.file_resource(False)),
        ("/git/branch", "git:branch", tools.branch, tools.branch_of("branch")),
        ("/git/commit", "git:commit", tools.commit, tools.commit_resource),
        ("/git/push", "git:push", tools.push, tools.branch_of("branch")),
        ("/npm/install", "npm:install", tools.npm_install, None),
    ]
    return Starlette(routes=[Route(path, guarded(cap, handler, resource), methods=["POST"])
                             for path, cap, handler, resource in table])


def log_decision(decision: Decision, capability: str, resource: Any) -> None:
    # The actor chain with every decision (docs/agents.md, "What a tool server must check").
    log.info(json.dumps({"capability": capability, "resource": resource, "allowed": decision.allowed,
                         "reason": decision.reason, "user": decision.user,
                         "actors": list(decision.actors), "request_id": decision.request_id}))


async def serve(workspace: Workspace, client: ArchonAuthClient, port: int) -> None:
    app = build_app(workspace, OnlineAuthorizer(client), log_decision)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    print(f"tool server listening on http://127.0.0.1:{sock.getsockname()[1]} "
          f"(workspace {workspace.root})", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    await server.serve(sockets=[sock])


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", type=Path, help="create a demo repository + bare remote here")
    parser.add_argument("--port", type=int, default=int(os.environ.get("TOOL_PORT", "0")))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    root = create_demo_workspace(args.demo)[0] if args.demo else Path(os.environ["TOOL_WORKSPACE"])
    config = AuthConfig(base_url=os.environ["ARCHON_URL"], client_id=os.environ["ARCHON_CLIENT_ID"],
                        client_secret=os.environ["ARCHON_CLIENT_SECRET"])

    async def run() -> None:
        async with ArchonAuthClient(config) as client:
            await serve(Workspace(root), client, args.port)

    asyncio.run(run())


if __name__ == "__main__":
    main()
