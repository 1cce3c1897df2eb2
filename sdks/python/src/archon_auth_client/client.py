"""The async client (the spec's ``ArchonAuthClient``), on httpx.AsyncClient."""
from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, Dict, List, Mapping, Optional, Type, Union, cast

import httpx

from . import _core as core
from ._core import Call
from .errors import ArchonAuthError
from .models import (AgentAuthResult, AgentTokenInfo, ApiKey, AuthConfig, CreatedApiKey,
                     CreatedWebhook, Envelope, LoginCredentials, LoginResponse, Page, RegisterData,
                     Redelivery, User, Webhook, VerifyDecision)

REFRESHABLE_CODES = frozenset({"AUTH_TOKEN_EXPIRED", "AUTH_TOKEN_INVALID"})


def refreshable_401(response: httpx.Response) -> bool:
    """A 401 about the access token itself (not wrong credentials, which must not be retried:
    a retried wrong password would count twice towards the lockout)."""
    if response.status_code != 401:
        return False
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return True
    return code in REFRESHABLE_CODES


class ArchonAuthClient(core.Base):
    def __init__(self, config: AuthConfig, *, transport: Optional[httpx.AsyncBaseTransport] = None,
                 event_hooks: Optional[Mapping[str, List[Any]]] = None) -> None:
        super().__init__(config)
        self.session: Optional[httpx.AsyncClient] = None
        self._transport = transport
        self._event_hooks = dict(event_hooks or {})
        self._refresh_lock = asyncio.Lock()

    async def __aenter__(self) -> "ArchonAuthClient":
        await self._ensure_session()
        return self

    async def __aexit__(self, exc_type: Optional[Type[BaseException]],
                        exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.aclose()
            self.session = None

    async def _ensure_session(self) -> httpx.AsyncClient:
        if self.session is None or self.session.is_closed:
            self.session = httpx.AsyncClient(timeout=self.config.timeout,
                                             headers=self._default_headers(),
                                             transport=self._transport,
                                             event_hooks=self._event_hooks)
        return self.session

    # ------------------------------------------------------------ transport

    async def _execute(self, call: Call) -> Envelope:
        session = await self._ensure_session()
        attempt, refreshed = 0, False
        if call.auth == "user" and self._tokens.needs_refresh():
            # Known to be expired: refresh first (single flight) instead of earning a 401.
            refreshed = True
            await self._refresh_after_401(self._tokens.generation)
        while True:
            prepared = self._prepare(call)
            generation = self._tokens.generation
            try:
                response = await session.request(call.method, prepared.url, headers=prepared.headers,
                                                 json=prepared.json, data=prepared.form,
                                                 params=prepared.params)
            except httpx.TransportError as exc:
                if self._should_retry(call, attempt, None, exc):
                    await asyncio.sleep(self._backoff(attempt, None))
                    attempt += 1
                    continue
                raise core.network_error(exc) from exc
            if (call.auth == "user" and not refreshed and "Authorization" in prepared.headers
                    and self._tokens.refresh_token and refreshable_401(response)):
                refreshed = True  # a 401 is retried once, after one refresh
                await self._refresh_after_401(generation)
                continue
            retry_after = core.retry_after_of(response)
            if self._should_retry(call, attempt, response.status_code, None, retry_after):
                await asyncio.sleep(self._backoff(attempt, retry_after))
                attempt += 1
                continue
            return core.parse_response(call, response)

    async def _refresh_after_401(self, generation: int) -> None:
        # Single flight: whoever gets the lock first refreshes; the others find a newer token.
        async with self._refresh_lock:
            if self._tokens.generation != generation and self._tokens.access_token:
                return
            await self._do_refresh()

    async def _do_refresh(self) -> None:
        token = self._tokens.refresh_token
        if not token:
            raise ArchonAuthError("No refresh token available", "NO_REFRESH_TOKEN")
        try:
            env = await self._execute(core.refresh_call(token))
        except ArchonAuthError as exc:
            if exc.status == 401:
                self._clear_tokens()
            raise
        self._tokens.store(env["data"])

    # ------------------------------------------------------------ the user journey

    async def login(self, credentials: Union[LoginCredentials, Mapping[str, Any]]) -> LoginResponse:
        """Login with email and password; returns the whole envelope (``result['data']['user']``)."""
        env = await self._execute(core.login_call(credentials))
        self._tokens.store(env["data"])
        return cast(LoginResponse, env)

    async def register(self, user_data: Union[RegisterData, Mapping[str, Any]]) -> Envelope:
        return await self._execute(core.register_call(user_data))

    async def verify_email(self, token: str) -> Dict[str, Any]:
        env = await self._execute(Call("POST", "/auth/verify-email", json={"token": token}, auth="none"))
        return cast(Dict[str, Any], env["data"])

    async def resend_verification(self, email: str) -> None:
        await self._execute(Call("POST", "/auth/verify-email/resend", json={"email": email}, auth="none"))

    async def request_password_reset(self, email: str) -> None:
        await self._execute(Call("POST", "/auth/password-reset", json={"email": email}, auth="none"))

    async def confirm_password_reset(self, token: str, new_password: str) -> None:
        await self._execute(Call("POST", "/auth/password-reset/confirm", auth="none",
                                 json={"token": token, "new_password": new_password}))

    async def refresh_access_token(self) -> None:
        async with self._refresh_lock:
            await self._do_refresh()

    async def logout(self, scope: Optional[str] = None) -> None:
        try:
            await self._execute(Call("POST", "/auth/logout", json={} if scope is None else {"scope": scope}))
        finally:
            self._clear_tokens()

    async def get_current_user(self) -> User:
        env = await self._execute(Call("GET", "/users/me"))
        return User.from_dict(env["data"])

    async def update_profile(self, updates: Mapping[str, Any]) -> User:
        env = await self._execute(Call("PUT", "/users/me", json=dict(updates)))
        return User.from_dict(env["data"])

    async def change_password(self, current_password: str, new_password: str) -> None:
        await self._execute(Call("PUT", "/users/me/password", json={
            "current_password": current_password, "new_password": new_password}))

    async def get_sessions(self) -> List[Dict[str, Any]]:
        env = await self._execute(Call("GET", "/users/me/sessions"))
        return list(env["data"])

    async def terminate_session(self, session_id: str) -> None:
        await self._execute(Call("DELETE", f"/users/me/sessions/{session_id}"))

    async def get_security_events(self, page: Optional[int] = None, limit: Optional[int] = None) -> Page:
        return core.page_of(await self._execute(core.list_call("/users/me/security-events",
                                                               page=page, limit=limit)))

    # ------------------------------------------------------------ agents

    async def authenticate_agent(self, agent_type: str, capabilities: List[str],
                                 task_context: Optional[Mapping[str, Any]] = None) -> AgentAuthResult:
        """Authenticate agent and get a capability token (the user's access token is the Bearer)."""
        env = await self._execute(core.authenticate_agent_call(agent_type, capabilities, task_context))
        return cast(AgentAuthResult, env["data"])

    async def delegate_agent(self, agent_token: str, agent_type: str, capabilities: List[str],
                             restrictions: Optional[Mapping[str, Any]] = None,
                             task_context: Optional[Mapping[str, Any]] = None) -> AgentAuthResult:
        """A sub-agent token from ``agent_token`` (the parent's), at most as wide as the parent."""
        env = await self._execute(core.delegate_agent_call(agent_token, agent_type, capabilities,
                                                           restrictions, task_context))
        return cast(AgentAuthResult, env["data"])

    async def verify_capability(self, capability: str, resource: Optional[Mapping[str, Any]] = None,
                                *, token: Optional[str] = None,
                                agent_token: Optional[str] = None) -> VerifyDecision:
        """The server's decision for one action; ``request_id`` names its audit row."""
        env = await self._execute(core.verify_capability_call(capability, resource, token, agent_token))
        decision = dict(env["data"])
        decision["request_id"] = env["meta"].get("request_id")
        return cast(VerifyDecision, decision)

    async def list_agent_tokens(self) -> List[AgentTokenInfo]:
        env = await self._execute(Call("GET", "/auth/agents/tokens"))
        return cast(List[AgentTokenInfo], list(env["data"]))

    async def revoke_agent_token(self, agent_id: str) -> None:
        await self._execute(Call("DELETE", f"/auth/agents/tokens/{agent_id}"))

    async def get_agent_types(self) -> List[Dict[str, Any]]:
        return list((await self._execute(Call("GET", "/agents/types")))["data"])

    # ------------------------------------------------------------ tokens (RFC 7662/7009, discovery)

    async def introspect(self, token: str, token_type_hint: Optional[str] = None) -> Dict[str, Any]:
        form = {"token": token, **({"token_type_hint": token_type_hint} if token_type_hint else {})}
        env = await self._execute(Call("POST", "/auth/introspect", form=form, auth="basic_or_user",
                                       envelope=False))
        return core.unwrap(env["data"])

    async def revoke_token(self, token: str, token_type_hint: Optional[str] = None) -> None:
        form = {"token": token, **({"token_type_hint": token_type_hint} if token_type_hint else {})}
        await self._execute(Call("POST", "/auth/revoke", form=form, auth="basic_or_user", envelope=False))

    async def discovery(self) -> Dict[str, Any]:
        env = await self._execute(Call("GET", "/.well-known/openid-configuration", auth="none",
                                       envelope=False))
        return core.unwrap(env["data"])

    # ------------------------------------------------------------ administration

    async def list_users(self, page: Optional[int] = None, limit: Optional[int] = None,
                         sort_by: Optional[str] = None, sort_order: Optional[str] = None,
                         q: Optional[str] = None, role: Optional[str] = None,
                         is_active: Optional[bool] = None) -> Page:
        return core.page_of(await self._execute(core.list_call(
            "/users", page=page, limit=limit, sort_by=sort_by, sort_order=sort_order, q=q, role=role,
            is_active=None if is_active is None else str(is_active).lower())))

    async def get_user(self, user_id: str) -> User:
        return User.from_dict((await self._execute(Call("GET", f"/users/{user_id}")))["data"])

    async def update_user(self, user_id: str, *, name: Optional[str] = None,
                          roles: Optional[List[str]] = None, is_active: Optional[bool] = None) -> User:
        body = {k: v for k, v in {"name": name, "roles": roles, "is_active": is_active}.items()
                if v is not None}
        return User.from_dict((await self._execute(Call("PATCH", f"/users/{user_id}", json=body)))["data"])

    async def deactivate_user(self, user_id: str) -> None:
        await self._execute(Call("DELETE", f"/users/{user_id}"))

    async def get_user_sessions(self, user_id: str) -> Page:
        return core.page_of(await self._execute(Call("GET", f"/users/{user_id}/sessions")))

    async def terminate_user_session(self, user_id: str, session_id: str) -> None:
        await self._execute(Call("DELETE", f"/users/{user_id}/sessions/{session_id}"))

    async def get_audit_events(self, page: Optional[int] = None, limit: Optional[int] = None,
                               user_id: Optional[str] = None, event: Optional[str] = None) -> Page:
        return core.page_of(await self._execute(core.list_call(
            "/audit", page=page, limit=limit, user_id=user_id, event=event)))

    async def get_agent_grants(self, role: str) -> Dict[str, Any]:
        return dict((await self._execute(Call("GET", f"/admin/roles/{role}/agent-grants")))["data"])

    async def set_agent_grants(self, role: str, grants: List[Mapping[str, Any]]) -> Dict[str, Any]:
        env = await self._execute(Call("PUT", f"/admin/roles/{role}/agent-grants",
                                       json={"grants": [dict(g) for g in grants]}))
        return dict(env["data"])

    # ------------------------------------------------------------ API keys (api_keys:manage)

    async def create_api_key(self, name: str, scopes: List[str],
                             expires_in: Optional[int] = None) -> CreatedApiKey:
        """A new key; ``key`` (the secret) is in this answer only. ``expires_in``: seconds."""
        body: Dict[str, Any] = {"name": name, "scopes": list(scopes)}
        if expires_in is not None:
            body["expires_in"] = expires_in
        env = await self._execute(Call("POST", "/admin/api-keys", json=body))
        return cast(CreatedApiKey, env["data"])

    async def list_api_keys(self, page: Optional[int] = None, limit: Optional[int] = None) -> Page:
        """The keys, newest first, never with their secrets."""
        return core.page_of(await self._execute(core.list_call("/admin/api-keys", page=page, limit=limit)))

    async def get_api_key(self, key_id: str) -> ApiKey:
        return cast(ApiKey, (await self._execute(Call("GET", f"/admin/api-keys/{key_id}")))["data"])

    async def revoke_api_key(self, key_id: str) -> ApiKey:
        """Revokes at once on every instance; revoking again answers the same record."""
        return cast(ApiKey, (await self._execute(Call("DELETE", f"/admin/api-keys/{key_id}")))["data"])

    # ------------------------------------------------------------ webhooks (webhooks:manage)

    async def create_webhook(self, url: str, event_types: List[str], description: Optional[str] = None,
                             enabled: Optional[bool] = None) -> CreatedWebhook:
        """Registers an endpoint; ``secret`` (``whsec_...``) is in this answer only."""
        body = core.webhook_body(url=url, event_types=event_types, description=description, enabled=enabled)
        return cast(CreatedWebhook, (await self._execute(Call("POST", "/admin/webhooks", json=body)))["data"])

    async def list_webhooks(self, page: Optional[int] = None, limit: Optional[int] = None) -> Page:
        """The endpoints, newest first, never with their secrets."""
        return core.page_of(await self._execute(core.list_call("/admin/webhooks", page=page, limit=limit)))

    async def get_webhook(self, webhook_id: str) -> Webhook:
        return cast(Webhook, (await self._execute(Call("GET", f"/admin/webhooks/{webhook_id}")))["data"])

    async def update_webhook(self, webhook_id: str, url: Optional[str] = None,
                             event_types: Optional[List[str]] = None, description: Optional[str] = None,
                             enabled: Optional[bool] = None) -> Webhook:
        """Changes the fields given; re-enabling clears ``disabled_reason``."""
        body = core.webhook_body(url=url, event_types=event_types, description=description, enabled=enabled)
        env = await self._execute(Call("PATCH", f"/admin/webhooks/{webhook_id}", json=body))
        return cast(Webhook, env["data"])

    async def delete_webhook(self, webhook_id: str) -> None:
        """Deletes the endpoint and its delivery log."""
        await self._execute(Call("DELETE", f"/admin/webhooks/{webhook_id}"))

    async def rotate_webhook_secret(self, webhook_id: str) -> CreatedWebhook:
        """A new secret (in this answer only); the old one keeps signing beside it until
        ``previous_secret_expires_at``."""
        env = await self._execute(Call("POST", f"/admin/webhooks/{webhook_id}/rotate-secret"))
        return cast(CreatedWebhook, env["data"])

    async def list_webhook_deliveries(self, webhook_id: str, page: Optional[int] = None,
                                      limit: Optional[int] = None) -> Page:
        """The endpoint's deliveries (``WebhookDelivery``), newest first, with their attempt logs."""
        call = core.list_call(f"/admin/webhooks/{webhook_id}/deliveries", page=page, limit=limit)
        return core.page_of(await self._execute(call))

    async def redeliver_webhook(self, webhook_id: str, delivery_id: int) -> Redelivery:
        """Sends the delivery's event again as a new delivery (same webhook-id and body)."""
        path = f"/admin/webhooks/{webhook_id}/deliveries/{int(delivery_id)}/redeliver"
        return cast(Redelivery, (await self._execute(Call("POST", path)))["data"])

