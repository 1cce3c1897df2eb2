"""SQL-injection strings in every field of the identity routes (issue 4, "What it must show"):
never a 5xx, a 4xx or the normal answer, and the store intact afterwards (a user registered
before still logs in, the users table keeps its size)."""
import pytest

from identity_support import (ME, ME_PASSWORD, ME_SESSIONS, REFRESH, REGISTER, RESEND, RESET,
                              RESET_CONFIRM, USERS, VERIFY, Client, assert_me_works, create_admin,
                              data_of, describe, identity_config, login, new_user, register,
                              unique_email)
from support import assert_error, assert_serves

SQLI = [
    "' OR '1'='1",
    "\"; DROP TABLE users; --",
    "admin'--",
    "\u2019 OR \u20181\u2019=\u20191",          # ’ OR ‘1’=’1 (unicode quotes)
    "\u02bc OR 1=1 --",                        # modifier letter apostrophe
    "\uff07 OR \uff071\uff07=\uff071",          # fullwidth apostrophes
    "1; SELECT * FROM users WHERE 't'='t",
    "x' UNION SELECT password_hash FROM users --",
    "%27%20OR%201%3D1",
    "\\'; DELETE FROM sessions; --",
]
# The same strings made long enough to pass the password length rule.
SQLI_PASSWORDS = [(s + " padding-padding")[:128] for s in SQLI]

@pytest.fixture(scope="module")
def srv(module_start_server):
    return module_start_server(config=identity_config())


@pytest.fixture(scope="module")
def client(srv):
    with Client(srv) as c:
        yield c


@pytest.fixture(scope="module")
def hostile(srv):
    # The injection attempts come from another client address, so the lockout counters they
    # raise for real emails never touch the checks made from 127.0.0.1.
    with Client(srv, source_ip="127.0.0.66") as c:
        yield c


@pytest.fixture(scope="module")
def victim(client):
    return new_user(client, name="Victim User", prefix="victim")


@pytest.fixture(scope="module")
def admin(archon_bin, client):
    return create_admin(archon_bin, client)


def ok_or_4xx(resp, normal=(200, 201, 202, 204)):
    s = resp.status_code
    assert s < 500, f"5xx on hostile input: {describe(resp)}"
    assert s in normal or 400 <= s < 500, f"unexpected status: {describe(resp)}"
    if s != 204:
        body = resp.json()  # always the envelope, even for hostile input
        assert isinstance(body, dict) and "success" in body, body
    return s


def store_intact(srv, client, victim):
    assert_serves(srv)
    data_of(login(client, victim.email, victim.password))


@pytest.mark.parametrize("payload", SQLI, ids=range(len(SQLI)))
def test_sqli_register_fields(srv, client, hostile, victim, payload):
    # email: the payload as the whole address, as the local part, and after a real address
    for email in (payload, f"{payload}@example.com", f"{victim.email}{payload}",
                  f"{victim.email}' --"):
        ok_or_4xx(register(hostile, email, "long enough password 123"))
    # password and name are free text: a normal 201 (or 422 for a too-short password)
    for password in (payload, SQLI_PASSWORDS[SQLI.index(payload)]):
        assert ok_or_4xx(register(hostile, unique_email("sqli"), password)) in (201, 422)
    email = unique_email("sqli-name")
    r = register(hostile, email, "long enough password 123", name=payload)
    assert r.status_code == 201, describe(r)
    # marketing_consent / terms_accepted with a string: a type error
    for field in ("terms_accepted", "marketing_consent"):
        r = hostile.post(REGISTER, {"email": unique_email("sqli"), "password": "long enough password 123",
                                    "name": "n", "terms_accepted": True, field: payload})
        assert_error(r, 400, "VALIDATION_INVALID_FORMAT")
    store_intact(srv, client, victim)


@pytest.mark.parametrize("payload", SQLI, ids=range(len(SQLI)))
def test_sqli_login_and_mail_routes(srv, client, hostile, victim, payload):
    for email, password in ((payload, victim.password), (f"{victim.email}{payload}", victim.password),
                            (victim.email, payload), (payload, payload)):
        r = login(hostile, email, password)
        s = ok_or_4xx(r, normal=())
        assert s != 200, f"logged in with injection: {describe(r)}"
    for path, body in ((VERIFY, {"token": payload}), (RESEND, {"email": payload}),
                       (RESET, {"email": payload}), (RESET, {"email": f"{victim.email}{payload}"}),
                       (RESET_CONFIRM, {"token": payload, "new_password": "long enough password 123"}),
                       (RESET_CONFIRM, {"token": "abc", "new_password": SQLI_PASSWORDS[SQLI.index(payload)]}),
                       (REFRESH, {"refresh_token": payload})):
        r = hostile.post(path, body)
        s = ok_or_4xx(r, normal=(202,))
        if path in (VERIFY, RESET_CONFIRM):
            assert_error(r, 400, "AUTH_TOKEN_INVALID")
        if path == REFRESH:
            assert_error(r, 401, "AUTH_TOKEN_INVALID")
    store_intact(srv, client, victim)


def test_sqli_profile_update_round_trips(srv, client, victim):
    user = new_user(client, prefix="sqli-profile")
    for payload in SQLI:
        prefs = {payload: payload, "nested": {"k": payload}}
        me = data_of(client.put(ME, {"name": payload, "preferences": prefs}, token=user.access_token))
        assert me["name"] == payload and me["preferences"] == prefs, me
        again = data_of(client.get(ME, token=user.access_token))
        assert again["name"] == payload and again["preferences"] == prefs, again
        assert again["roles"] == ["user"], again
    # password change with hostile current passwords: 401 (four of them: below any lockout limit)
    for payload in SQLI[:4]:
        r = client.put(ME_PASSWORD, {"current_password": payload, "new_password": "long enough password 123"},
                       token=user.access_token)
        assert_error(r, 401, "AUTH_INVALID_CREDENTIALS")
    # the wrong current passwords above must not have locked the owner out of the check below
    data_of(login(client, user.email, user.password))
    for payload in SQLI:
        r = client.delete(f"{ME_SESSIONS}/{payload}", token=user.access_token)
        ok_or_4xx(r, normal=())
    assert_me_works(client, user.access_token, user.id)
    store_intact(srv, client, victim)


def users_total(client, admin) -> int:
    body = client.get(USERS, token=admin.access_token, params={"limit": 1}).json()
    assert body.get("success") is True, body
    return body["meta"]["pagination"]["total"]


def test_sqli_admin_queries(srv, client, admin, victim):
    total = users_total(client, admin)
    assert total >= 2, total
    for payload in SQLI:
        # q is a substring search of email or name: whatever it returns must hold the string
        # (the register test made users named after these strings)
        r = client.get(USERS, token=admin.access_token, params={"q": payload, "limit": 100})
        assert ok_or_4xx(r) == 200, describe(r)
        for u in r.json()["data"]:
            assert payload.lower() in (u["name"] + " " + u["email"]).lower(), f"q={payload!r} matched {u}"
        for param in ("role", "is_active", "sort_by", "sort_order", "page", "limit"):
            r = client.get(USERS, token=admin.access_token, params={param: payload})
            s = ok_or_4xx(r)
            if param == "role" and s == 200:
                assert r.json()["data"] == [], f"role={payload!r} matched users: {describe(r)}"
            if param != "role":
                assert 400 <= s < 500, f"{param}={payload!r} accepted: {describe(r)}"
        for method in ("GET", "PATCH", "DELETE"):
            kw = {"json": {"name": "x"}} if method == "PATCH" else {}
            r = client.request(method, f"{USERS}/{payload}", token=admin.access_token, **kw)
            s = ok_or_4xx(r, normal=())
            assert s in (400, 404), describe(r)
        r = client.patch(f"{USERS}/{victim.id}", {"name": payload}, token=admin.access_token)
        assert r.status_code == 200, describe(r)
        got = data_of(client.get(f"{USERS}/{victim.id}", token=admin.access_token))
        assert got["name"] == payload and got["is_active"] is True, got
    assert users_total(client, admin) == total, "the users table changed size under hostile queries"
    store_intact(srv, client, victim)
