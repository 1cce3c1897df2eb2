"""The agent's side of the tool server: one call per tool, the agent token as the Bearer, and a
refusal raised as ``ToolRefused`` with the decision's reason."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import httpx


class ToolRefused(Exception):
    """The tool server refused an action; ``reason`` is archon-auth's decision (or the tool
    server's own, e.g. OUTSIDE_WORKSPACE)."""

    def __init__(self, route: str, reason: str, request_id: Optional[str]) -> None:
        super().__init__(f"{route} refused: {reason}")
        self.route, self.reason, self.request_id = route, reason, request_id


class ToolClient:
    def __init__(self, base_url: str, token: str) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.token = token
        # Every decision the tool server reported: (route, allowed, reason, audit request id).
        self.decisions: List[Dict[str, Any]] = []

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(self, route: str, **body: Any) -> Dict[str, Any]:
        r = await self._http.post(route, json=body, headers={"Authorization": f"Bearer {self.token}"})
        payload = r.json()
        if r.status_code == 403:
            details = payload["error"].get("details", {})
            reason = details.get("reason") or payload["error"]["code"]
            self.decisions.append({"route": route, "allowed": False, "reason": reason,
                                   "request_id": details.get("request_id")})
            raise ToolRefused(route, reason, details.get("request_id"))
        if not payload.get("success"):
            raise RuntimeError(f"{route}: {r.status_code} {payload['error']['message']}")
        d = payload["data"]["decision"]
        self.decisions.append({"route": route, "allowed": True, "reason": d["reason"],
                               "request_id": d["request_id"]})
        data: Dict[str, Any] = payload["data"]
        return data

    async def read(self, path: str) -> str:
        return str((await self.call("/files/read", path=path))["content"])

    async def write(self, path: str, content: str) -> None:
        await self.call("/files/write", path=path, content=content)

    async def create(self, path: str, content: str) -> None:
        await self.call("/files/create", path=path, content=content)

    async def branch(self, name: str) -> None:
        await self.call("/git/branch", branch=name)

    async def commit(self, message: str) -> str:
        return str((await self.call("/git/commit", message=message))["commit"])

    async def push(self, branch: str) -> None:
        await self.call("/git/push", branch=branch)

    async def npm_install(self, packages: List[str]) -> None:
        await self.call("/npm/install", packages=packages)
