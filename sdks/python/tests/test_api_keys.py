"""API keys through the SDK, against the real server: an administrator creates, lists, reads and
revokes keys; a client configured with ``api_key`` alone acts within the key's scopes (verify,
introspect, revoke, user reads), gets 403 outside them and 401 once the key is revoked; the key
is never sent beside another credential."""
from __future__ import annotations

import asyncio
import re
from typing import AsyncIterator, List

import httpx
import pytest

from archon_auth_client import (API_KEY_SCOPES, ArchonAuthClient, ArchonAuthError, AuthConfig,
                                SyncArchonAuthClient)
from archon_testing import ArchonServer

KEY_SHAPE = re.compile(r"^archon_sk_[0-9A-Za-z]{38}$")
SRC = {"path": "/project/src/app.ts"}


@pytest.fixture
async def admin(archon: ArchonServer) -> AsyncIterator[ArchonAuthClient]:
    user = archon.create_user("admin")
    async with ArchonAuthClient(AuthConfig(archon.base_url)) as client:
        await client.login({"email": user.email, "password": user.password})
        yield client


async def agent_token(archon: ArchonServer) -> str:
    user = archon.create_user("agent_operator")
    async with ArchonAuthClient(AuthConfig(archon.base_url)) as op:
        await op.login({"email": user.email, "password": user.password})
        return (await op.authenticate_agent("code_implementer", ["file:read", "file:write"]))["agent_token"]


async def last_used_at(admin: ArchonAuthClient, key_id: str) -> object:
    """The key's last_used_at, waiting up to 5 s (the server may record a use after answering)."""
    for _ in range(50):
        used = (await admin.get_api_key(key_id))["last_used_at"]
        if used is not None:
            return used
        await asyncio.sleep(0.1)
    return None


async def test_admin_creates_lists_reads_and_revokes(admin: ArchonAuthClient) -> None:
    created = await admin.create_api_key("file server", ["agents:verify", "users:read"], expires_in=3600)
    assert KEY_SHAPE.match(created["key"]), created["prefix"]
    assert created["prefix"] == created["key"][:14]
    assert sorted(created["scopes"]) == ["agents:verify", "users:read"]
    assert created["expires_at"] is not None and created["revoked_at"] is None
    record = {k: v for k, v in created.items() if k != "key"}
    assert dict(await admin.get_api_key(created["id"])) == record

    page = await admin.list_api_keys(limit=100)
    assert page["items"][0]["id"] == created["id"]  # newest first
    assert created["key"] not in repr(page)

    revoked = await admin.revoke_api_key(created["id"])
    assert revoked["revoked_at"] is not None
    assert (await admin.revoke_api_key(created["id"]))["revoked_at"] == revoked["revoked_at"]
    with pytest.raises(ArchonAuthError) as unknown:
        await admin.get_api_key("key_" + "0" * 32)
    assert (unknown.value.status, unknown.value.code) == (404, "RESOURCE_NOT_FOUND")


async def test_a_service_acts_with_the_key_alone(archon: ArchonServer, admin: ArchonAuthClient) -> None:
    created = await admin.create_api_key("tool server", ["agents:verify", "tokens:introspect",
                                                         "tokens:revoke", "users:read"])
    token = await agent_token(archon)
    seen: List[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request)

    async with ArchonAuthClient(AuthConfig(archon.base_url, api_key=created["key"], max_retries=0),
                                event_hooks={"request": [hook]}) as tool:
        decision = await tool.verify_capability("file:write", SRC, token=token)
        assert decision["allowed"] is True and decision["reason"] == "allowed", decision
        denied = await tool.verify_capability("file:write", {"path": "/project/.env"}, token=token)
        assert denied["allowed"] is False and denied["reason"] == "path_not_allowed", denied
        assert (await tool.introspect(token))["active"] is True
        assert (await tool.list_users(limit=5))["items"]

        with pytest.raises(ArchonAuthError) as no_scope:
            await tool.get_audit_events()
        assert (no_scope.value.status, no_scope.value.code) == (403, "AUTH_INSUFFICIENT_PERMISSIONS")
        assert no_scope.value.details.get("required_scope") == "audit:read"

        await tool.revoke_token(token)
        assert (await tool.introspect(token))["active"] is False
        assert await last_used_at(admin, created["id"]) is not None

        await admin.revoke_api_key(created["id"])
        with pytest.raises(ArchonAuthError) as revoked:
            await tool.list_users()
        assert (revoked.value.status, revoked.value.code) == (401, "AUTH_TOKEN_INVALID")
    assert seen and all(r.headers.get("X-API-Key") == created["key"] for r in seen)
    assert all("Authorization" not in r.headers for r in seen)


async def test_the_key_is_never_sent_beside_another_credential(archon: ArchonServer,
                                                               admin: ArchonAuthClient) -> None:
    created = await admin.create_api_key("mixed", list(API_KEY_SCOPES))
    cid, secret = archon.service
    token = await agent_token(archon)
    seen: List[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request)

    cfg = AuthConfig(archon.base_url, api_key=created["key"], client_id=cid, client_secret=secret)
    async with ArchonAuthClient(cfg, event_hooks={"request": [hook]}) as both:
        assert (await both.verify_capability("file:read", SRC, token=token))["allowed"] is True  # Basic
        assert (await both.verify_capability("file:read", SRC, agent_token=token))["allowed"] is True
        user = archon.create_user("user")
        await both.login({"email": user.email, "password": user.password})
        assert (await both.get_current_user()).email == user.email
    assert len(seen) == 4
    assert all("X-API-Key" not in r.headers for r in seen)


async def test_non_admins_cannot_manage_keys(archon: ArchonServer) -> None:
    user = archon.create_user("user")
    async with ArchonAuthClient(AuthConfig(archon.base_url)) as client:
        await client.login({"email": user.email, "password": user.password})
        for call in (client.list_api_keys(), client.create_api_key("mine", ["users:read"])):
            with pytest.raises(ArchonAuthError) as refused:
                await call
            assert (refused.value.status, refused.value.code) == (403, "AUTH_INSUFFICIENT_PERMISSIONS")


def test_the_sync_client_manages_and_uses_keys(archon: ArchonServer) -> None:
    user = archon.create_user("admin")
    with SyncArchonAuthClient(AuthConfig(archon.base_url)) as admin:
        admin.login({"email": user.email, "password": user.password})
        created = admin.create_api_key("sync", ["users:read"])
        assert created["key"] not in repr(admin.list_api_keys())
        with SyncArchonAuthClient(AuthConfig(archon.base_url, api_key=created["key"])) as svc:
            assert svc.get_user(admin.get_current_user().id).email == user.email
            assert admin.revoke_api_key(created["id"])["revoked_at"] is not None
            with pytest.raises(ArchonAuthError) as revoked:
                svc.list_users()
            assert revoked.value.status == 401
