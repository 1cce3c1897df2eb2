"""The async client's user journey against the real server."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, List

import httpx
import pytest

from archon_auth_client import (ArchonAuthClient, ArchonAuthError, AuthConfig, LoginCredentials,
                                RegisterData, User)
from archon_testing import PASSWORD, ArchonServer, unique_email


def config(archon: ArchonServer, **kw: Any) -> AuthConfig:
    return AuthConfig(base_url=archon.base_url + "/api/v2", **kw)


async def test_register_verify_login_profile_logout(archon: ArchonServer) -> None:
    email = unique_email("journey")
    async with ArchonAuthClient(config(archon)) as client:
        reg = await client.register(RegisterData(email=email, password=PASSWORD, name="Jo Journey"))
        assert reg["data"]["email_verification_sent"] is True
        with pytest.raises(ArchonAuthError) as unverified:
            await client.login(LoginCredentials(email=email, password=PASSWORD))
        assert unverified.value.code == "USER_EMAIL_NOT_VERIFIED" and unverified.value.status == 403
        assert (await client.verify_email(archon.mail_token(email)))["email_verified"] is True

        result = await client.login(LoginCredentials(email=email, password=PASSWORD, remember_me=True))
        assert result["data"]["user"]["name"] == "Jo Journey"
        assert client.is_authenticated() and client.get_access_token()
        assert client.refresh_token, "the refresh token must be kept (the spec's sketch lost it)"
        assert client.token_expiry is not None
        lifetime = (client.token_expiry - datetime.now(timezone.utc)).total_seconds()
        assert 3500 < lifetime <= 3600, lifetime

        me = await client.get_current_user()
        assert isinstance(me, User) and me.email == email and me.roles == ["user"]
        assert isinstance(me.permissions, list)  # the field the spec's User(**data) broke on
        updated = await client.update_profile({"name": "Jo Renamed", "preferences": {"theme": "dark"}})
        assert updated.name == "Jo Renamed" and updated.preferences == {"theme": "dark"}

        sessions = await client.get_sessions()
        assert [s["current"] for s in sessions].count(True) == 1
        await client.logout()
        assert not client.is_authenticated() and client.get_access_token() is None
        with pytest.raises(ArchonAuthError) as after:
            await client.get_current_user()
        assert after.value.status == 401


async def test_error_carries_the_envelope(archon: ArchonServer) -> None:
    user = archon.create_user("user")
    async with ArchonAuthClient(config(archon)) as client:
        with pytest.raises(ArchonAuthError) as err:
            await client.login({"email": user.email, "password": "not the password at all"})
    e = err.value
    assert (e.code, e.status) == ("AUTH_INVALID_CREDENTIALS", 401)
    assert set(e.details) == {"attempts_remaining", "lockout_duration"}
    assert e.trace_id and e.trace_id.startswith("req_")
    assert e.documentation_url == "https://docs.archon.ai/errors/auth-invalid-credentials"
    assert str(e) == e.message


@pytest.mark.parametrize("suffix", ["", "/", "/api/v2", "/api/v2/"])
async def test_base_url_forms_and_api_key(archon: ArchonServer, suffix: str) -> None:
    user = archon.create_user("user")
    seen: List[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request)

    cfg = AuthConfig(base_url=archon.base_url + suffix, api_key="ak_test_key")
    async with ArchonAuthClient(cfg, event_hooks={"request": [hook]}) as client:
        await client.login({"email": user.email, "password": user.password})
        assert (await client.get_current_user()).email == user.email
    assert [r.url.path for r in seen] == ["/api/v2/auth/login", "/api/v2/users/me"]
    # Login is public and the signed-in call carries the session: the key goes with neither.
    assert all("X-API-Key" not in r.headers for r in seen)


async def test_change_password_and_sessions(archon: ArchonServer) -> None:
    user = archon.create_user("user")
    async with ArchonAuthClient(config(archon)) as a, ArchonAuthClient(config(archon)) as b:
        await a.login({"email": user.email, "password": user.password})
        await b.login({"email": user.email, "password": user.password})
        other = [s for s in await a.get_sessions() if not s["current"]]
        assert len(other) == 1
        await a.terminate_session(other[0]["session_id"])
        with pytest.raises(ArchonAuthError):
            await b.get_current_user()  # its session is gone, and so is its refresh
        new = PASSWORD + " changed"
        await a.change_password(PASSWORD, new)
        await a.logout()
        await a.login({"email": user.email, "password": new})


async def test_wrong_current_password_is_not_retried(archon: ArchonServer) -> None:
    """A 401 for wrong credentials is not a token problem: no refresh, no second attempt
    (a retried wrong password would count twice toward the lockout)."""
    user = archon.create_user("user")
    sent: List[str] = []

    async def hook(request: httpx.Request) -> None:
        sent.append(request.url.path)

    async with ArchonAuthClient(config(archon), event_hooks={"request": [hook]}) as client:
        await client.login({"email": user.email, "password": user.password})
        with pytest.raises(ArchonAuthError) as err:
            await client.change_password("wrong current password", PASSWORD + " x")
    assert err.value.code == "AUTH_INVALID_CREDENTIALS"
    assert sent.count("/api/v2/users/me/password") == 1 and "/api/v2/auth/refresh" not in sent


async def test_password_reset(archon: ArchonServer) -> None:
    user = archon.create_user("user")
    async with ArchonAuthClient(config(archon)) as client:
        await client.request_password_reset(user.email)
        new = "a brand new passphrase 7"
        await client.confirm_password_reset(archon.mail_token(user.email, "Reset"), new)
        with pytest.raises(ArchonAuthError):
            await client.login({"email": user.email, "password": user.password})
        await client.login({"email": user.email, "password": new})
        with pytest.raises(ArchonAuthError) as bad:
            await client.confirm_password_reset("not-a-token", new)
        assert bad.value.code == "AUTH_TOKEN_INVALID"


async def test_admin_calls(archon: ArchonServer) -> None:
    admin = archon.create_user("admin")
    target = archon.create_user("user", prefix="target")
    async with ArchonAuthClient(config(archon)) as client:
        await client.login({"email": admin.email, "password": admin.password})
        page = await client.list_users(q=target.email, limit=5)
        assert [u["email"] for u in page["items"]] == [target.email]
        assert page["pagination"]["total"] == 1
        uid = page["items"][0]["id"]
        assert (await client.get_user(uid)).email == target.email
        changed = await client.update_user(uid, roles=["agent_operator"], name="Promoted")
        assert changed.roles == ["agent_operator"] and changed.name == "Promoted"
        grants = await client.get_agent_grants("agent_operator")
        assert grants["grants"], grants
        await client.deactivate_user(uid)
        assert (await client.get_user(uid)).is_active is False
        audit = await client.get_audit_events(event="login", limit=100)
        assert any(row.get("event") == "login" for row in audit["items"]), audit["items"][:3]
