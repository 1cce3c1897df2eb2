"""IDOR on sessions and users (issue 4, "What it must show"): user B cannot touch user A's session
(404, as for an unknown id) nor A's account through the admin routes (403
AUTH_INSUFFICIENT_PERMISSIONS); an admin (made with `archon-auth users create --role admin`) can."""
import pytest

from identity_support import (AUDIT, LOGIN, ME, ME_SESSIONS, USERS, Client, assert_invalid_credentials,
                              assert_me_works, assert_refused, create_admin, data_of, describe,
                              identity_config, login, new_user, session_login)
from support import assert_error, assert_success


@pytest.fixture(scope="module")
def srv(module_start_server):
    return module_start_server(config=identity_config())


@pytest.fixture(scope="module")
def client(srv):
    with Client(srv) as c:
        yield c


@pytest.fixture(scope="module")
def admin(archon_bin, client):
    return create_admin(archon_bin, client)


def forbidden(resp):
    assert_error(resp, 403, "AUTH_INSUFFICIENT_PERMISSIONS")


def test_other_users_session_is_not_found(srv, client):
    a = new_user(client, prefix="idor-a")
    b = new_user(client, prefix="idor-b")
    assert_error(client.delete(f"{ME_SESSIONS}/{a.session_id}", token=b.access_token), 404, "RESOURCE_NOT_FOUND")
    # indistinguishable from an unknown id
    r_unknown = client.delete(f"{ME_SESSIONS}/{a.session_id[:-1]}x", token=b.access_token)
    assert_error(r_unknown, 404, "RESOURCE_NOT_FOUND")
    assert_me_works(client, a.access_token, a.id)
    ids = {s["session_id"] for s in data_of(client.get(ME_SESSIONS, token=b.access_token))}
    assert ids == {b.session_id}, f"B sees sessions that are not B's: {ids}"


def test_user_cannot_use_admin_routes(srv, client):
    a = new_user(client, prefix="idor-a")
    b = new_user(client, prefix="idor-b")
    t = b.access_token
    forbidden(client.get(USERS, token=t))
    forbidden(client.get(f"{USERS}/{a.id}", token=t))
    forbidden(client.patch(f"{USERS}/{a.id}", {"is_active": False}, token=t))
    forbidden(client.patch(f"{USERS}/{a.id}", {"roles": ["admin"]}, token=t))
    forbidden(client.patch(f"{USERS}/{b.id}", {"roles": ["admin"]}, token=t))  # nor promote oneself
    forbidden(client.delete(f"{USERS}/{a.id}", token=t))
    forbidden(client.get(f"{USERS}/{a.id}/sessions", token=t))
    forbidden(client.delete(f"{USERS}/{a.id}/sessions/{a.session_id}", token=t))
    forbidden(client.get(AUDIT, token=t))
    # nothing happened to A or B
    me_a = assert_me_works(client, a.access_token, a.id)
    assert me_a["is_active"] is True and me_a["roles"] == ["user"], me_a
    assert data_of(client.get(ME, token=t))["roles"] == ["user"]
    # without any token: 401, not 403
    for r in (client.get(USERS), client.get(f"{USERS}/{a.id}"), client.delete(f"{USERS}/{a.id}")):
        assert r.status_code == 401, describe(r)


def test_admin_can(srv, client, admin):
    a = new_user(client, prefix="idor-a")
    a2_access, _, a2_session = session_login(client, a)
    t = admin.access_token

    body = assert_success(client.get(USERS, token=t, params={"q": a.email}))
    assert [u["id"] for u in body["data"]] == [a.id], body["data"]
    pag = body["meta"]["pagination"]
    assert pag["total"] == 1 and pag["page"] == 1 and pag["limit"] == 20, pag
    for u in body["data"]:
        assert not any("hash" in k or "password" in k for k in u), u

    got = data_of(client.get(f"{USERS}/{a.id}", token=t))
    assert got["id"] == a.id and got["email"] == a.email, got
    assert client.patch(f"{USERS}/{a.id}", {"name": "Renamed By Admin"}, token=t).status_code == 200
    assert assert_me_works(client, a.access_token, a.id)["name"] == "Renamed By Admin"

    sessions = data_of(client.get(f"{USERS}/{a.id}/sessions", token=t))
    assert {a.session_id, a2_session} <= {s["session_id"] for s in sessions}, sessions
    r = client.delete(f"{USERS}/{a.id}/sessions/{a2_session}", token=t)
    assert r.status_code == 204, describe(r)
    assert_refused(client.get(ME, token=a2_access), "session revoked by an admin")
    assert_me_works(client, a.access_token, a.id)
    # an admin addressing a session through the wrong user: not found
    b = new_user(client, prefix="idor-b")
    assert_error(client.delete(f"{USERS}/{a.id}/sessions/{b.session_id}", token=t), 404, "RESOURCE_NOT_FOUND")
    assert_me_works(client, b.access_token, b.id)

    # deactivate: every session revoked, and the right password now gets the wrong-password answer
    r = client.delete(f"{USERS}/{a.id}", token=t)
    assert r.status_code == 204, describe(r)
    assert_refused(client.get(ME, token=a.access_token), "a deactivated user's access token")
    assert_invalid_credentials(login(client, a.email, a.password))
    assert data_of(client.get(f"{USERS}/{a.id}", token=t))["is_active"] is False
    inactive = data_of(client.get(USERS, token=t, params={"is_active": "false", "limit": 100}))
    assert a.id in {u["id"] for u in inactive} and all(u["is_active"] is False for u in inactive)


def test_admin_pagination_and_sorting(srv, client, admin):
    t = admin.access_token
    for limit in (0, 101, -1):
        r = client.get(USERS, token=t, params={"limit": limit})
        assert r.status_code in (400, 422), describe(r)
    assert client.get(USERS, token=t, params={"sort_by": "password_hash"}).status_code in (400, 422)
    assert client.get(USERS, token=t, params={"sort_order": "sideways"}).status_code in (400, 422)
    users = data_of(client.get(USERS, token=t, params={"sort_by": "email", "sort_order": "asc", "limit": 100}))
    emails = [u["email"].lower() for u in users]
    assert emails == sorted(emails), emails


def test_admin_role_change_reaches_the_next_login(srv, client, admin):
    c = new_user(client, prefix="idor-c")
    r = client.patch(f"{USERS}/{c.id}", {"roles": ["agent_operator"]}, token=admin.access_token)
    assert r.status_code == 200, describe(r)
    d = data_of(client.post(LOGIN, {"email": c.email, "password": c.password}))
    assert d["user"]["roles"] == ["agent_operator"], d["user"]
    r = client.patch(f"{USERS}/{c.id}", {"roles": ["superuser"]}, token=admin.access_token)
    assert r.status_code in (400, 422), describe(r)
