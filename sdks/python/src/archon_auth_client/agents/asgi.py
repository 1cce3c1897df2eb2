"""An ASGI guard: wraps a route (or any ASGI app) so that it runs only when the caller's agent
token holds a capability for the resource of the request, and answers 403 with the decision's
reason otherwise. Framework-free: works under Starlette, FastAPI (``Mount``/``Route`` with an ASGI
app) or bare uvicorn. The allowed decision is left in ``scope["state"]["agent_decision"]``
(``request.state.agent_decision`` in Starlette)."""
from __future__ import annotations

import inspect
import json
from typing import Any, Awaitable, Callable, Dict, List, MutableMapping, Optional, Union

from .verifier import Authorizer, Decision

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# (scope, parsed JSON body or None) -> the resource {path?, branch?, size?} (may be async).
ResourceFn = Callable[[Scope, Any], Union[Optional[Dict[str, Any]], Awaitable[Optional[Dict[str, Any]]]]]
DecisionHook = Callable[[Decision, str, Optional[Dict[str, Any]]], None]
MAX_BODY = 16 * 1024 * 1024


def bearer_token(scope: Scope) -> Optional[str]:
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            text: str = bytes(value).decode("latin-1")
            scheme, _, token = text.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


async def _json_answer(send: Send, status: int, body: Dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(raw)).encode())]})
    await send({"type": "http.response.body", "body": raw})


def _error(code: str, message: str, details: Dict[str, Any]) -> Dict[str, Any]:
    return {"success": False, "data": None,
            "error": {"code": code, "message": message, "details": details}}


class CapabilityGuard:
    """``CapabilityGuard(app, authorizer=OnlineAuthorizer(client), capability="file:write",
    resource=lambda scope, body: {"path": body["path"], "size": len(body["content"])})``"""

    def __init__(self, app: ASGIApp, *, authorizer: Authorizer, capability: str,
                 resource: Optional[ResourceFn] = None,
                 on_decision: Optional[DecisionHook] = None) -> None:
        self.app = app
        self.authorizer = authorizer
        self.capability = capability
        self.resource = resource
        self.on_decision = on_decision

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        if token is None:
            await _json_answer(send, 401, _error("AUTH_TOKEN_MISSING", "an agent token is required",
                                                 {"capability": self.capability}))
            return
        chunks: List[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = bool(message.get("more_body"))
            if size > MAX_BODY:
                await _json_answer(send, 413, _error("REQUEST_BODY_TOO_LARGE", "body too large", {}))
                return
        body = b"".join(chunks)
        try:
            parsed = json.loads(body) if body else None
            resource = self.resource(scope, parsed) if self.resource else None
            if inspect.isawaitable(resource):
                resource = await resource
        except (ValueError, KeyError, TypeError) as exc:
            await _json_answer(send, 400, _error("VALIDATION_INVALID_FORMAT",
                                                 f"cannot read the resource: {type(exc).__name__}", {}))
            return
        decision = await self.authorizer(token, self.capability, resource)
        if self.on_decision is not None:
            self.on_decision(decision, self.capability, resource)
        if not decision.allowed:
            await _json_answer(send, 403, _error(
                "AGENT_CAPABILITY_DENIED", f"{self.capability} refused: {decision.reason}",
                {"reason": decision.reason, "capability": self.capability,
                 "agent_id": decision.agent_id, "request_id": decision.request_id}))
            return
        scope.setdefault("state", {})["agent_decision"] = decision
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
