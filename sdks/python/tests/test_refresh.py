"""Refresh: kept, single-flight, a 401 retried once; the same in the sync client."""
from __future__ import annotations

import asyncio
import threading
from typing import Any, List, Tuple

import httpx
import pytest

from archon_auth_client import (ArchonAuthClient, ArchonAuthError, AuthConfig, LoginCredentials,
                                SyncArchonAuthClient)
from archon_testing import ArchonServer


def _counting_hook(paths: List[str]) -> Any:
    async def hook(request: httpx.Request) -> None:
        paths.append(request.url.path)
    return hook


async def test_refresh_rotates_and_keeps_the_new_token(archon: ArchonServer) -> None:
    user = archon.create_user("user")
    async with ArchonAuthClient(AuthConfig(archon.base_url)) as client:
        await client.login(LoginCredentials(user.email, user.password))
        first_access, first_refresh = client.access_token, client.refresh_token
        await client.refresh_access_token()
        assert client.access_token != first_access and client.refresh_token != first_refresh
        await client.refresh_access_token()  # works again: the rotated token was stored
        assert (await client.get_current_user()).email == user.email


async def test_100_coroutines_meeting_401_make_one_refresh(archon: ArchonServer) -> None:
    user = archon.create_user("user")
    paths: List[str] = []
    async with ArchonAuthClient(AuthConfig(archon.base_url),
                                event_hooks={"request": [_counting_hook(paths)]}) as client:
        await client.login({"email": user.email, "password": user.password})
        # The access token goes bad while the session lives: every request meets a 401.
        client.access_token = "eyJhbGciOiJSUzI1NiJ9.eyJ4IjoxfQ.c2ln"
        paths.clear()
        users = await asyncio.gather(*(client.get_current_user() for _ in range(100)))
    assert {u.email for u in users} == {user.email}
    assert paths.count("/api/v2/auth/refresh") == 1, paths.count("/api/v2/auth/refresh")
    assert paths.count("/api/v2/users/me") == 200  # each: one 401, one retry
    # And the server saw one refresh of this user's session (its audit trail, read as an admin).
    admin = archon.create_user("admin")
    async with ArchonAuthClient(AuthConfig(archon.base_url)) as reader:
        await reader.login({"email": admin.email, "password": admin.password})
        uid = users[0].id
        rows = (await reader.get_audit_events(event="refresh", user_id=uid, limit=100))["items"]
    assert len(rows) == 1 and rows[0]["outcome"] == "rotated", rows


def test_no_thread_outlives_the_clients(archon: ArchonServer) -> None:
    """Nothing runs in a background thread that would keep the process alive."""
    user = archon.create_user("user")
    before = set(threading.enumerate())

    async def use() -> None:
        async with ArchonAuthClient(AuthConfig(archon.base_url)) as client:
            await client.login({"email": user.email, "password": user.password})
            await client.refresh_access_token()

    asyncio.run(use())
    with SyncArchonAuthClient(AuthConfig(archon.base_url)) as sync:
        sync.login({"email": user.email, "password": user.password})
        sync.refresh_access_token()
    assert set(threading.enumerate()) == before


async def test_failed_refresh_clears_tokens_and_raises(archon: ArchonServer) -> None:
    user = archon.create_user("user")
    async with ArchonAuthClient(AuthConfig(archon.base_url)) as client:
        await client.login({"email": user.email, "password": user.password})
        client.refresh_token = "rt_not_a_real_refresh_token"
        client.access_token = "garbage"
        with pytest.raises(ArchonAuthError) as err:
            await client.get_current_user()
        assert err.value.status == 401
        assert client.access_token is None and client.refresh_token is None
        with pytest.raises(ArchonAuthError) as none:
            await client.refresh_access_token()
        assert none.value.code == "NO_REFRESH_TOKEN"


def test_sync_client_threads_share_one_refresh(archon: ArchonServer) -> None:
    user = archon.create_user("user")
    paths: List[str] = []

    def hook(request: httpx.Request) -> None:
        paths.append(request.url.path)

    with SyncArchonAuthClient(AuthConfig(archon.base_url + "/api/v2"),
                              event_hooks={"request": [hook]}) as client:
        result = client.login({"email": user.email, "password": user.password})
        assert result["data"]["user"]["email"] == user.email
        client.access_token = "garbage"
        errors: List[BaseException] = []

        def work() -> None:
            try:
                assert client.get_current_user().email == user.email
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert paths.count("/api/v2/auth/refresh") == 1
        client.logout()
        assert not client.is_authenticated()


async def test_expired_token_is_refreshed_before_the_request(archon: ArchonServer) -> None:
    """A token the client knows has expired is refreshed first (once, for all coroutines),
    so no request earns a 401."""
    user = archon.create_user("user")
    statuses: List[Tuple[str, int]] = []

    async def hook(response: httpx.Response) -> None:
        statuses.append((response.request.url.path, response.status_code))

    async with ArchonAuthClient(AuthConfig(archon.base_url),
                                event_hooks={"response": [hook]}) as client:
        await client.login({"email": user.email, "password": user.password})
        client._tokens.expires_at = 0.0  # as if the hour had passed
        assert not client.is_authenticated()
        await asyncio.gather(*(client.get_current_user() for _ in range(10)))
        assert client.is_authenticated()
    assert statuses.count(("/api/v2/auth/refresh", 200)) == 1
    assert [s for p, s in statuses if p == "/api/v2/users/me"] == [200] * 10
