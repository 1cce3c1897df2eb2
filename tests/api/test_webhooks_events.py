"""Each event type of the contract (docs/webhooks.md, issue 22 part 1) is emitted by the action that
causes it, with the documented data and nothing secret in it. One server and one receiver for the
module, subscribed to "*"; each test finds its own events by user_id / agent_id. The last test
verifies every delivery the module received with both standardwebhooks libraries.
(webhook.endpoint_disabled: test_webhooks_disable.py.)"""
import time

import pytest

from agent_support import SPEC_GRANTED, SPEC_TYPE, AgentWorld, claims_of
from identity_support import (LOGOUT, ME_PASSWORD, ME_SESSIONS, REFRESH, RESET, RESET_CONFIRM, USERS,
                              Client, data_of, login, new_user, session_login, wait_for_token)
from support import assert_error
from webhook_support import Hooks, Receiver, assert_both_verify, webhook_config

NEW_PASSWORD = "another violet anchor 93 mosaic"


@pytest.fixture(scope="module")
def world(module_start_server, archon_bin):
    w = AgentWorld(module_start_server(config=webhook_config()), archon_bin)
    yield w
    w.close()


@pytest.fixture(scope="module")
def rx(world):
    r = Receiver()
    hooks = Hooks(world)
    r.secret = hooks.create(r.url(), ["*"])["secret"]
    yield r
    hooks.cleanup()
    r.close()


def event(rx, event_type: str, **match) -> dict:
    """The data of the first `event_type` delivery whose data has every (key, value) of match."""
    rec = rx.of_type(event_type, where=lambda d: all(d.get(k) == v for k, v in match.items()))
    return rec.json["data"]


def assert_secret_free(rx, *secrets_):
    for r in rx.snapshot():
        for s in secrets_:
            assert s not in r.body.decode(), f"a {r.type} delivery carries a token/password"


def test_registered_and_email_verified(world, rx):
    user = new_user(world.client, do_login=False, prefix="wh-events")
    assert event(rx, "user.registered", user_id=user.id) == {
        "user_id": user.id, "email": user.email, "email_verified": False}
    assert event(rx, "user.email_verified", user_id=user.id) == {"user_id": user.id}
    assert_secret_free(rx, user.password)


def test_locked_after_five_failures_from_one_address(world, rx):
    user = new_user(world.client, do_login=False, prefix="wh-locked")
    with Client(world.server, source_ip="127.0.0.77") as c:
        for _ in range(5):
            assert login(c, user.email, "wrong password entirely").status_code == 401
    d = event(rx, "user.locked", user_id=user.id)
    assert set(d) == {"user_id", "scope", "locked_until"} and d["scope"] == "address", d
    assert isinstance(d["locked_until"], int) and 0 < d["locked_until"] - time.time() <= 3600, d


def test_password_changed_both_ways_and_the_sessions_it_revokes(world, rx):
    user = new_user(world.client, prefix="wh-password")
    other_access, _, other_session = session_login(world.client, user)
    r = world.client.put(ME_PASSWORD, {"current_password": user.password, "new_password": NEW_PASSWORD},
                         token=user.access_token)
    data_of(r)
    assert event(rx, "user.password_changed", user_id=user.id, via="password_change") == {
        "user_id": user.id, "via": "password_change", "sessions_revoked": "others"}
    d = event(rx, "session.revoked", user_id=user.id, reason="password_change")
    assert d["scope"] == "others", d

    assert world.client.post(RESET, {"email": user.email}).status_code == 202
    token = wait_for_token(world.server.data_dir, user.email, "reset")
    data_of(world.client.post(RESET_CONFIRM, {"token": token, "new_password": user.password}))
    assert event(rx, "user.password_changed", user_id=user.id, via="password_reset") == {
        "user_id": user.id, "via": "password_reset", "sessions_revoked": "all"}
    assert_secret_free(rx, NEW_PASSWORD, user.password, token, other_access)


def test_session_revoked_by_logout_by_the_user_and_by_an_admin(world, rx):
    user = new_user(world.client, prefix="wh-sessions")
    data_of(world.client.post(LOGOUT, {}, token=user.access_token))
    d = event(rx, "session.revoked", user_id=user.id, reason="logout")
    assert d == {"user_id": user.id, "reason": "logout", "scope": "local", "session_id": user.session_id}, d

    access, _, second = session_login(world.client, user)
    _, _, third = session_login(world.client, user)
    assert world.client.delete(f"{ME_SESSIONS}/{third}", token=access).status_code == 204
    d = event(rx, "session.revoked", user_id=user.id, session_id=third)
    assert d["reason"] == "user", d
    r = world.client.delete(f"{USERS}/{user.id}/sessions/{second}", token=world.admin.access_token)
    assert r.status_code == 204, r.text
    d = event(rx, "session.revoked", user_id=user.id, session_id=second)
    assert d["reason"] == "admin", d
    assert_secret_free(rx, access)


def test_session_revoked_when_an_admin_ends_them_all(world, rx):
    user = new_user(world.client, prefix="wh-sessions-all")
    r = world.client.delete(f"{USERS}/{user.id}/sessions", token=world.admin.access_token)
    assert r.status_code in (200, 204), r.text
    d = event(rx, "session.revoked", user_id=user.id, reason="admin")
    assert d == {"user_id": user.id, "reason": "admin", "scope": "all"}, d


def test_refresh_token_reuse_detected(world, rx):
    user = new_user(world.client, prefix="wh-reuse")
    a = user.refresh_token
    b = data_of(world.client.post(REFRESH, {"refresh_token": a}))["refresh_token"]
    data_of(world.client.post(REFRESH, {"refresh_token": b}))
    # the grandparent is reuse at once (no grace wait; see test_identity_refresh.py)
    assert_error(world.client.post(REFRESH, {"refresh_token": a}), 401, "AUTH_REFRESH_TOKEN_REUSED")
    assert event(rx, "refresh_token.reuse_detected", user_id=user.id) == {
        "user_id": user.id, "session_id": user.session_id, "session_revoked": True}
    assert_secret_free(rx, a, b)


def test_deactivated_by_delete_and_by_patch(world, rx):
    for how in ("delete", "patch"):
        user = new_user(world.client, do_login=False, prefix=f"wh-deactivate-{how}")
        admin = world.admin.access_token
        r = (world.client.delete(f"{USERS}/{user.id}", token=admin) if how == "delete" else
             world.client.patch(f"{USERS}/{user.id}", {"is_active": False}, token=admin))
        assert r.status_code in (200, 204), r.text
        assert event(rx, "user.deactivated", user_id=user.id) == {"user_id": user.id}, how


def agent_data_matches(d: dict, minted: dict, op, parent=None, root=None, depth=0) -> None:
    claims = claims_of(minted["agent_token"])
    assert d == {"agent_id": minted["agent_id"], "agent_type": SPEC_TYPE, "user_id": op.id,
                 "session_id": op.session_id, "parent_agent_id": parent,
                 "root_agent_id": root or minted["agent_id"], "depth": depth,
                 "capabilities": claims["capabilities"], "expires_at": claims["exp"]}, (d, claims)


def test_agent_issued_delegated_revoked(world, rx):
    op = world.user()
    parent = world.mint(op)
    d = event(rx, "agent.token_issued", agent_id=parent["agent_id"])
    agent_data_matches(d, parent, op)
    assert sorted(d["capabilities"]) == sorted(SPEC_GRANTED), d
    child = world.child(parent["agent_token"], ["file:read"])
    d = event(rx, "agent.delegated", agent_id=child["agent_id"])
    agent_data_matches(d, child, op, parent=parent["agent_id"], root=parent["agent_id"], depth=1)
    assert world.revoke(op, child["agent_id"]).status_code == 204
    assert event(rx, "agent.token_revoked", agent_id=child["agent_id"]) == {"agent_id": child["agent_id"]}
    assert_secret_free(rx, parent["agent_token"], child["agent_token"], op.access_token)


def test_an_endpoint_gets_only_the_types_it_subscribed_to(world, rx):
    only = Receiver()
    hooks = Hooks(world)
    try:
        ep = hooks.create(only.url(), ["agent.token_revoked"])
        op = world.user()
        minted = world.mint(op)
        assert world.revoke(op, minted["agent_id"]).status_code == 204
        event(rx, "agent.token_issued", agent_id=minted["agent_id"])  # the "*" endpoint got both
        got = only.wait_for(count=1)
        assert [r.type for r in got] == ["agent.token_revoked"], [r.json for r in got]
        # deliveries are written with the event: the log shows none was made for the mint
        assert [d["event_type"] for d in hooks.deliveries(ep["id"])] == ["agent.token_revoked"]
    finally:
        hooks.cleanup()
        only.close()


def test_agent_token_revoked_by_rfc7009_and_by_the_kill_switch(world, rx):
    op = world.user()
    one = world.mint(op)
    r = world.client.request("POST", "/api/v2/auth/revoke", data={"token": one["agent_token"]})
    assert r.status_code == 200, r.text
    assert event(rx, "agent.token_revoked", agent_id=one["agent_id"]) == {"agent_id": one["agent_id"]}
    # the kill switch: one event per token it revoked
    two, three = world.mint(op), world.mint(op)
    r = world.client.post("/api/v2/admin/agents/revoke", {"user_id": op.id}, token=world.admin.access_token)
    assert r.status_code == 200, r.text
    for minted in (two, three):
        assert event(rx, "agent.token_revoked", agent_id=minted["agent_id"]) == {"agent_id": minted["agent_id"]}


def test_every_delivery_of_this_module_verifies_with_both_libraries(rx):
    got = rx.snapshot()
    assert len({r.type for r in got}) >= 5, sorted({r.type for r in got})
    assert_both_verify([(rx.secret, r) for r in got])

