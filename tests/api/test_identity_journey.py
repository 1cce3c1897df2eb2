"""The journey of the spec's SDK examples against the real binary (issue 4, "What it must show"):
register -> open the mail in <data-dir>/mail -> verify -> log in -> me -> refresh -> list
sessions -> change password -> log out -> the old access token is refused at once. Plus the
single-use mail tokens, resend / reset always 202, logout scopes and session deletion
(docs/identity.md)."""
import pytest

from identity_support import (LOGIN_KEYS, LOGIN_USER_KEYS, LOGOUT, ME, ME_KEYS, ME_PASSWORD,
                              ME_SESSIONS, ORIGIN, PASSWORD, REFRESH, REFRESH_KEYS, REGISTER_KEYS,
                              RESEND, RESET, RESET_CONFIRM, SESSION_KEYS, USER_AGENT, VERIFY, Client,
                              assert_invalid_credentials, assert_me_works, assert_refused,
                              cookie_header, data_of, describe, identity_config, jwt_parts, login,
                              login_user, mails_to, new_user, refresh_cookie, register,
                              session_login, unique_email, wait_for_mail_count, wait_for_token)
from support import assert_error, assert_success

AUTH_PATH = "/api/v2/auth"
DAY = 86400
THIRTY_DAYS = 2592000


@pytest.fixture(scope="module")
def srv(module_start_server):
    return module_start_server(config=identity_config())


@pytest.fixture
def client(srv):
    with Client(srv) as c:
        yield c


def assert_refresh_cookie(resp, max_age: int, slack: int = 0) -> str:
    """slack: Max-Age may be up to this many seconds below max_age (a refreshed cookie lasts
    until the session's absolute expiry, which is counted from the login)."""
    c = refresh_cookie(resp)
    assert c is not None, f"no refresh_token Set-Cookie in {describe(resp)}; headers {dict(resp.headers)}"
    value, attrs = c
    assert len(value) >= 32, f"refresh token cookie value too short: {value!r}"
    assert attrs.get("httponly") is True, f"HttpOnly missing: {attrs}"
    assert attrs.get("secure") is True, f"Secure missing: {attrs}"
    assert attrs.get("samesite") == "Strict", f"SameSite: {attrs.get('samesite')!r}"
    assert attrs.get("path") == AUTH_PATH, f"Path: {attrs.get('path')!r}"
    got = attrs.get("max-age")
    assert isinstance(got, str) and got.isdigit() and max_age - slack <= int(got) <= max_age, \
        f"Max-Age: {got!r}, expected {max_age}" + (f" (at most {slack} s less)" if slack else "")
    assert "domain" not in attrs, f"Domain widens the cookie: {attrs}"
    return value


def has_keys(obj: dict, keys: set, what: str) -> None:
    """Every key docs/identity.md lists is there; keys beyond the list are printed (a doc/code
    mismatch to settle), not failed."""
    missing = keys - set(obj)
    assert not missing, f"{what} lacks {sorted(missing)}: keys {sorted(obj)}"
    extra = set(obj) - keys
    if extra:
        print(f"note: {what} has keys beyond docs/identity.md: {sorted(extra)}")


def no_secrets(obj, path="data"):
    if isinstance(obj, dict):
        for k, v in obj.items():
            assert "hash" not in k.lower() and "password" not in k.lower(), f"{path}.{k} exposed"
            no_secrets(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            no_secrets(v, f"{path}[{i}]")


def test_sdk_journey(srv, client):
    email = unique_email("journey")
    name = "Ada Lovelace"
    device = {"platform": "python-sdk", "version": "2.0.0"}

    # register
    r = register(client, email, PASSWORD, name, marketing_consent=False)
    data = data_of(r, 201)
    assert set(data) == REGISTER_KEYS, f"register keys: {sorted(data)}"
    assert data["email"] == email and data["email_verification_sent"] is True, data
    user_id = data["user_id"]
    assert isinstance(user_id, str) and user_id

    # not verified yet: 403 only once the password checked out; a wrong password is still 401
    assert_error(login(client, email, PASSWORD), 403, "USER_EMAIL_NOT_VERIFIED")
    assert_invalid_credentials(login(client, email, PASSWORD + "x"))

    # open the mail, verify; the token is single use
    token = wait_for_token(srv.data_dir, email, "verification")
    assert data_of(client.post(VERIFY, {"token": token})) == {"email_verified": True}
    assert_error(client.post(VERIFY, {"token": token}), 400, "AUTH_TOKEN_INVALID")

    # log in (24 h cookie), then a second session with remember_me (30 days)
    r = login(client, email, PASSWORD, device_info=device)
    d1 = data_of(r)
    # the contract's keys (extra ones are reported by has_keys, not failed); never the refresh
    # token in the body without the opt-in: a browser's must stay in the HttpOnly cookie
    has_keys(d1, LOGIN_KEYS, "login")
    assert "refresh_token" not in d1, "refresh_token in the login body without return_refresh_token"
    assert d1["token_type"] == "Bearer" and d1["expires_in"] == 3600, d1
    has_keys(d1["user"], LOGIN_USER_KEYS, "login user")
    no_secrets(d1)
    u = d1["user"]
    assert (u["id"], u["email"], u["name"]) == (user_id, email, name), u
    assert u["roles"] == ["user"] and u["email_verified"] is True and u["is_active"] is True, u
    cookie1 = assert_refresh_cookie(r, DAY)
    access1, session1 = d1["access_token"], d1["session_id"]
    hdr, claims = jwt_parts(access1)
    assert hdr.get("typ") == "at+jwt", hdr
    for k in ("iss", "sub", "aud", "exp", "iat", "jti", "type", "email", "roles", "permissions",
              "agent_capabilities", "session_id"):
        assert k in claims, f"access token lacks {k}: {claims}"
    assert claims["iss"] == client.server.base_url and claims["aud"] == "archon-api", claims  # issuer: the public URL
    assert claims["sub"] == user_id and claims["session_id"] == session1, claims
    assert claims["type"] == "access" and claims["email"] == email and claims["roles"] == ["user"]
    assert claims["exp"] - claims["iat"] == 3600, claims

    r = login(client, email, PASSWORD, remember_me=True)
    d2 = data_of(r)
    cookie2 = assert_refresh_cookie(r, THIRTY_DAYS)
    access2, session2 = d2["access_token"], d2["session_id"]
    assert session2 != session1 and cookie2 != cookie1

    # me
    me = data_of(client.get(ME, token=access1))
    has_keys(me, ME_KEYS, "me")
    no_secrets(me)
    assert (me["id"], me["email"], me["name"], me["email_verified"]) == (user_id, email, name, True)
    assert me["roles"] == ["user"] and me["is_active"] is True and me["last_login"] is not None, me
    assert isinstance(me["preferences"], dict), me
    assert "read:profile" in me["permissions"], me

    # cookie-based refresh demands an allowed Origin; a refused attempt does not spend the token
    assert_error(client.post(REFRESH, headers=cookie_header(cookie1)), 403, "AUTH_ORIGIN_NOT_ALLOWED")
    assert_error(client.post(REFRESH, headers={**cookie_header(cookie1), "Origin": "https://evil.example"}),
                 403, "AUTH_ORIGIN_NOT_ALLOWED")
    r = client.post(REFRESH, headers={**cookie_header(cookie1), "Origin": ORIGIN})
    d = data_of(r)
    has_keys(d, REFRESH_KEYS, "cookie refresh")
    assert "refresh_token" not in d, "cookie-based refresh put the refresh token in the body"
    assert d["session_id"] == session1 and d["token_type"] == "Bearer", d
    cookie1b = assert_refresh_cookie(r, DAY, slack=5)  # a second boundary may lie between login and refresh
    assert cookie1b != cookie1, "refresh did not rotate the refresh token"
    assert_me_works(client, d["access_token"], user_id)

    # body-based refresh (SDK/CLI opt-in): no Origin needed, the token comes back in the body
    r = client.post(REFRESH, {"refresh_token": cookie1b, "return_refresh_token": True})
    d = data_of(r)
    has_keys(d, REFRESH_KEYS | {"refresh_token"}, "body refresh")
    assert d["session_id"] == session1 and d["refresh_token"] not in (cookie1, cookie1b), d
    access1 = d["access_token"]
    assert_me_works(client, access1, user_id)

    # list sessions: both, exactly one current, with address, agent and device info
    r = client.get(ME_SESSIONS, token=access1)
    body = assert_success(r)
    sessions = body["data"]
    assert isinstance(sessions, list) and len(sessions) == 2, sessions
    assert "pagination" in body["meta"], body["meta"]
    by_id = {s["session_id"]: s for s in sessions}
    assert set(by_id) == {session1, session2}, sessions
    for s in sessions:
        has_keys(s, SESSION_KEYS, "session")
        assert s["is_active"] is True and s["client_address"] == "127.0.0.1", s
        assert s["user_agent"] == USER_AGENT, s
    assert by_id[session1]["current"] is True and by_id[session2]["current"] is False, sessions
    assert by_id[session1]["device_info"] == device, by_id[session1]

    # change password: wrong current -> 401; then other sessions revoked, this one kept, notice mailed
    new_password = "a brand new passphrase 2026"
    assert_error(client.put(ME_PASSWORD, {"current_password": "not the password!",
                                          "new_password": new_password}, token=access1),
                 401, "AUTH_INVALID_CREDENTIALS")
    mails_before = len(mails_to(srv.data_dir, email))
    r = client.put(ME_PASSWORD, {"current_password": PASSWORD, "new_password": new_password},
                   token=access1)
    assert data_of(r) == {"revoked_sessions": 1}, describe(r)
    assert_refused(client.get(ME, token=access2), "the other session's access token after a password change")
    assert_me_works(client, access1, user_id)
    wait_for_mail_count(srv.data_dir, email, mails_before + 1)
    assert_invalid_credentials(login(client, email, PASSWORD))

    # log out: the cookie is cleared and the access token is refused at once
    r = client.post(LOGOUT, {}, token=access1)
    assert data_of(r) == {"revoked_sessions": 1}, describe(r)
    c = refresh_cookie(r)
    assert c is not None and c[1].get("max-age") == "0", f"logout does not clear the cookie: {r.headers}"
    assert_refused(client.get(ME, token=access1), "access token after logout")
    assert_error(client.post(REFRESH, {"refresh_token": d["refresh_token"]}), 401, "AUTH_TOKEN_INVALID")

    # the new password still works
    data_of(login(client, email, new_password))


def test_verify_email_unknown_and_used_token(srv, client):
    email = unique_email("verify")
    data_of(register(client, email), 201)
    token = wait_for_token(srv.data_dir, email, "verification")
    assert_error(client.post(VERIFY, {"token": "x" * 43}), 400, "AUTH_TOKEN_INVALID")
    assert_error(client.post(VERIFY, {"token": token[:-1]}), 400, "AUTH_TOKEN_INVALID")
    assert data_of(client.post(VERIFY, {"token": token})) == {"email_verified": True}
    assert_error(client.post(VERIFY, {"token": token}), 400, "AUTH_TOKEN_INVALID")


def test_resend_always_202(srv, client):
    unknown = unique_email("nobody")
    r1 = client.post(RESEND, {"email": unknown})
    assert data_of(r1, 202) == {"accepted": True}
    email = unique_email("resend")
    data_of(register(client, email), 201)
    first = wait_for_token(srv.data_dir, email, "verification")
    r2 = client.post(RESEND, {"email": email})
    assert data_of(r2, 202) == {"accepted": True}
    second = wait_for_token(srv.data_dir, email, "verification", exclude={first})
    assert second != first
    assert data_of(client.post(VERIFY, {"token": second})) == {"email_verified": True}
    # verified already: still 202, same answer
    assert data_of(client.post(RESEND, {"email": email}), 202) == {"accepted": True}


def test_password_reset_202_single_use_and_revokes_sessions(srv, client):
    unknown = unique_email("nobody")
    r_unknown = client.post(RESET, {"email": unknown})
    unknown_data = data_of(r_unknown, 202)
    user = new_user(client)
    access_b, _, _ = session_login(client, user)
    r = client.post(RESET, {"email": user.email})
    assert data_of(r, 202) == unknown_data, "password-reset answers differ for known and unknown emails"
    token = wait_for_token(srv.data_dir, user.email, "reset")
    # mailed only when the account exists (the unknown one was queued first)
    assert not mails_to(srv.data_dir, unknown), "a reset mail went to an address without an account"
    new_password = "reset to something long"
    assert data_of(client.post(RESET_CONFIRM, {"token": token, "new_password": new_password})) == \
        {"password_reset": True}
    # every session revoked
    assert_refused(client.get(ME, token=user.access_token), "access token after password reset")
    assert_refused(client.get(ME, token=access_b), "second session's access token after reset")
    assert_error(client.post(REFRESH, {"refresh_token": user.refresh_token}), 401, "AUTH_TOKEN_INVALID")
    # single use
    assert_error(client.post(RESET_CONFIRM, {"token": token, "new_password": "yet another passphrase"}),
                 400, "AUTH_TOKEN_INVALID")
    assert_error(client.post(RESET_CONFIRM, {"token": "y" * 43, "new_password": "yet another passphrase"}),
                 400, "AUTH_TOKEN_INVALID")
    assert_invalid_credentials(login(client, user.email, PASSWORD))
    data_of(login(client, user.email, new_password))


def test_logout_scope_others_then_global(srv, client):
    user = new_user(client)
    a1, r1, s1 = user.access_token, user.refresh_token, user.session_id
    a2, r2, _ = session_login(client, user)
    a3, r3, _ = session_login(client, user)

    r = client.post(LOGOUT, {"scope": "others"}, token=a1)
    assert data_of(r) == {"revoked_sessions": 2}, describe(r)
    assert_refused(client.get(ME, token=a2), "session 2 after logout others")
    assert_refused(client.get(ME, token=a3), "session 3 after logout others")
    assert_error(client.post(REFRESH, {"refresh_token": r2}), 401, "AUTH_TOKEN_INVALID")
    assert_error(client.post(REFRESH, {"refresh_token": r3}), 401, "AUTH_TOKEN_INVALID")
    assert_me_works(client, a1, user.id)

    a4, _, s4 = session_login(client, user)
    r = client.post(LOGOUT, {"scope": "global"}, token=a4)
    assert data_of(r) == {"revoked_sessions": 2}, describe(r)
    assert_refused(client.get(ME, token=a1), "session 1 after logout global")
    assert_refused(client.get(ME, token=a4), "session 4 after logout global")
    assert_error(client.post(REFRESH, {"refresh_token": r1}), 401, "AUTH_TOKEN_INVALID")


def test_logout_default_scope_is_local(srv, client):
    user = new_user(client)
    a2, _, _ = session_login(client, user)
    r = client.post(LOGOUT, {}, token=user.access_token)  # no scope: local
    assert data_of(r) == {"revoked_sessions": 1}, describe(r)
    assert_refused(client.get(ME, token=user.access_token), "access token after local logout")
    assert_me_works(client, a2, user.id)


def test_logout_bad_scope(srv, client):
    user = new_user(client)
    r = client.post(LOGOUT, {"scope": "everything"}, token=user.access_token)
    assert 400 <= r.status_code < 500 and r.status_code != 401, describe(r)
    assert_me_works(client, user.access_token, user.id)


def test_delete_own_sessions(srv, client):
    user = new_user(client)
    a2, r2, s2 = session_login(client, user)
    r = client.delete(f"{ME_SESSIONS}/{s2}", token=user.access_token)
    assert r.status_code == 204 and r.content == b"", describe(r)
    assert_refused(client.get(ME, token=a2), "deleted session's access token")
    assert_error(client.post(REFRESH, {"refresh_token": r2}), 401, "AUTH_TOKEN_INVALID")
    sessions = data_of(client.get(ME_SESSIONS, token=user.access_token))
    live = [s for s in sessions if s["is_active"]]
    assert [s["session_id"] for s in live] == [user.session_id], sessions
    assert_error(client.delete(f"{ME_SESSIONS}/no-such-session", token=user.access_token),
                 404, "RESOURCE_NOT_FOUND")
    # the current session deleting itself
    r = client.delete(f"{ME_SESSIONS}/{user.session_id}", token=user.access_token)
    assert r.status_code == 204, describe(r)
    assert_refused(client.get(ME, token=user.access_token), "self-deleted session's access token")


def test_me_requires_a_token(srv, client):
    assert client.get(ME).status_code == 401
    assert client.get(ME, token="not.a.jwt").status_code == 401
    assert client.get(ME_SESSIONS).status_code == 401


def test_update_profile(srv, client):
    user = new_user(client)
    prefs = {"theme": "dark", "nested": {"list": [1, 2, 3], "unicode": "日本語"}}
    me = data_of(client.put(ME, {"name": "New Name", "preferences": prefs}, token=user.access_token))
    assert me["name"] == "New Name" and me["preferences"] == prefs, me
    assert data_of(client.get(ME, token=user.access_token))["preferences"] == prefs
    # preferences above 16 KiB, a non-object, a control character in the name, an empty name
    assert client.put(ME, {"preferences": {"k": "x" * 17000}}, token=user.access_token).status_code == 422
    assert client.put(ME, {"preferences": [1, 2]}, token=user.access_token).status_code == 400
    assert client.put(ME, {"name": "bad\u0007name"}, token=user.access_token).status_code in (400, 422)
    assert client.put(ME, {"name": "   "}, token=user.access_token).status_code == 422
    assert client.put(ME, {"name": "n" * 101}, token=user.access_token).status_code == 422
    assert data_of(client.get(ME, token=user.access_token))["name"] == "New Name"


def test_login_cookie_without_remember_me_false_explicit(srv, client):
    user = new_user(client, do_login=False)
    r = login(client, user.email, user.password, remember_me=False)
    assert_refresh_cookie(r, DAY)
    login_user(client, user)  # the helper's opt-in: refresh token in the body as well
    assert isinstance(user.login_data.get("refresh_token"), str) and len(user.refresh_token) >= 32
