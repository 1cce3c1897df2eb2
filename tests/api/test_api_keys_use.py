"""Issue 22 part 3, API keys in use (header X-API-Key): each scope is accepted where it belongs
and its absence is 403 naming the scope; unknown, malformed, bad-checksum and revoked keys are
401; a key beside another credential is 401; admin write routes refuse keys; reads with a key
are audited as "api_key:<id>"; last use is recorded; a tool server verifies an agent with the key
alone; keys have their own rate-limit tier; the key never reaches the logs or the data dir."""
from datetime import datetime, timezone

import pytest

from agent_support import SPEC_TYPE, VERIFY, grants_path, start_world
from api_key_support import (AUDIT, INTROSPECT, REVOKE, SCOPES, USERS, KeyAdmin, assert_no_secret,
                             forged_key, key_header, random_part, with_bad_checksum)
from support import assert_error, assert_success, parse_iso8601

SRC = {"path": "/project/src/app.ts"}
# Debug level: the log test must see everything the server would ever write.
DEBUG_LOG = {"log": {"level": "debug"}}


@pytest.fixture(scope="module")
def world(module_start_server, archon_bin):
    w = start_world(module_start_server, archon_bin, DEBUG_LOG)
    yield w
    w.close()


@pytest.fixture(scope="module")
def keys(world):
    return KeyAdmin(world)


@pytest.fixture(scope="module")
def operator(world):
    return world.user("agent_operator")


@pytest.fixture(scope="module")
def only(keys):
    """scope -> a key holding that scope alone."""
    return {s: keys.create([s], name=f"only {s}") for s in SCOPES}


@pytest.fixture(scope="module")
def all_but(keys):
    """scope -> a key holding every scope but that one."""
    return {s: keys.create([x for x in SCOPES if x != s], name=f"all but {s}") for s in SCOPES}


@pytest.fixture(scope="module")
def every(keys):
    return keys.create(SCOPES, name="every scope")


# ----------------------------------------------------------------------------- where each scope counts


def agent_token(world, operator) -> str:
    return world.mint(operator)["agent_token"]


def use(world, operator, route: str, headers: dict):
    """One request of `route` with `headers` as its only credential."""
    c = world.client
    if route == "verify":
        return c.post(VERIFY, {"token": agent_token(world, operator), "capability": "file:write",
                               "resource": SRC}, headers=headers)
    if route == "introspect":
        return c.post(INTROSPECT, {"token": operator.access_token}, headers=headers)
    if route == "revoke":
        return c.post(REVOKE, {"token": agent_token(world, operator)}, headers=headers)
    if route == "list users":
        return c.get(USERS, headers=headers, params={"limit": 5})
    if route == "read user":
        return c.get(f"{USERS}/{operator.id}", headers=headers)
    if route == "read grants":
        return c.get(grants_path("agent_operator"), headers=headers)
    if route == "audit":
        return c.get(AUDIT, headers=headers, params={"limit": 5})
    raise AssertionError(route)


ROUTES = [("agents:verify", "verify"), ("tokens:introspect", "introspect"), ("tokens:revoke", "revoke"),
          ("users:read", "list users"), ("users:read", "read user"), ("users:read", "read grants"),
          ("audit:read", "audit")]


def assert_served(world, route: str, resp) -> None:
    data = assert_success(resp)["data"]
    if route == "verify":
        assert data["allowed"] is True and data["agent_type"] == SPEC_TYPE, data
    elif route == "introspect":
        assert data["active"] is True, data
    elif route == "revoke":
        assert data is None, data
    elif route in ("list users", "audit"):
        assert isinstance(data, list) and data, data
    elif route == "read user":
        assert data["id"], data


@pytest.mark.parametrize("scope, route", ROUTES, ids=[r for _, r in ROUTES])
def test_a_key_with_the_scope_is_served(world, operator, only, scope, route):
    assert_served(world, route, use(world, operator, route, key_header(only[scope]["key"])))


@pytest.mark.parametrize("scope, route", ROUTES, ids=[r for _, r in ROUTES])
def test_a_key_without_the_scope_is_403(world, operator, all_but, scope, route):
    body = assert_error(use(world, operator, route, key_header(all_but[scope]["key"])), 403,
                        "AUTH_INSUFFICIENT_PERMISSIONS")
    assert body["error"]["details"].get("required_scope") == scope, body["error"]


def test_revoke_with_the_scope_really_revokes(world, operator, only):
    victim = agent_token(world, operator)
    assert_success(world.client.post(REVOKE, {"token": victim}, headers=key_header(only["tokens:revoke"]["key"])))
    r = world.client.post(INTROSPECT, {"token": victim}, headers=world.basic_header())
    assert assert_success(r)["data"]["active"] is False


def test_revoke_without_the_scope_leaves_the_token(world, operator, all_but):
    victim = agent_token(world, operator)
    r = world.client.post(REVOKE, {"token": victim}, headers=key_header(all_but["tokens:revoke"]["key"]))
    assert_error(r, 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    r = world.client.post(INTROSPECT, {"token": victim}, headers=world.basic_header())
    assert assert_success(r)["data"]["active"] is True


def test_revoke_by_possession_still_needs_no_credential(world, operator):
    victim = agent_token(world, operator)
    assert_success(world.client.post(REVOKE, {"token": victim}))


# ----------------------------------------------------------------------------- the tool server


def test_tool_server_verifies_with_the_key_alone(world, operator, only):
    token = agent_token(world, operator)
    h = key_header(only["agents:verify"]["key"])
    d = world.decision(world.verify_tool(token, "file:write", SRC, headers=h))
    assert d["allowed"] is True and d["reason"] == "allowed" and d["agent_type"] == SPEC_TYPE, d
    d = world.decision(world.verify_tool(token, "file:write", {"path": "/project/.env"}, headers=h))
    assert d["allowed"] is False and d["reason"] == "path_not_allowed", d


def test_tool_server_without_agents_verify_is_403(world, operator, only):
    token = agent_token(world, operator)
    r = world.verify_tool(token, "file:write", SRC, headers=key_header(only["users:read"]["key"]))
    body = assert_error(r, 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    assert body["error"]["details"].get("required_scope") == "agents:verify", body["error"]


def test_a_revoked_key_is_refused_on_the_next_request(world, keys, operator):
    data = keys.create(["agents:verify"])
    token = agent_token(world, operator)
    h = key_header(data["key"])
    assert world.decision(world.verify_tool(token, "file:write", SRC, headers=h))["allowed"] is True
    assert_success(keys.revoke(data["id"]))
    assert_error(world.verify_tool(token, "file:write", SRC, headers=h), 401, "AUTH_TOKEN_INVALID")


# ----------------------------------------------------------------------------- refused keys


def malformed_keys(key: str) -> dict:
    return {"empty": "", "prefix only": "archon_sk_", "one short": key[:-1], "one long": key + "0",
            "other prefix": "archon_pk_" + key[10:], "upper-cased prefix": "ARCHON_SK_" + key[10:],
            "not base62": key[:20] + "-" + key[21:], "bearer form": "Bearer " + key,
            "huge": "archon_sk_" + "A" * 1000, "a JWT": "eyJhbGciOiJub25lIn0.e30."}


MALFORMED = list(malformed_keys("archon_sk_" + "0" * 38))


@pytest.mark.parametrize("case", ["unknown", "bad checksum", "revoked"] + MALFORMED)
@pytest.mark.parametrize("route", ["list users", "verify"])
def test_refused_keys_are_401(world, keys, operator, only, case, route):
    scope = "users:read" if route == "list users" else "agents:verify"
    if case == "unknown":
        key = forged_key()
    elif case == "bad checksum":
        key = with_bad_checksum(only[scope]["key"])
    elif case == "revoked":
        data = keys.create([scope])
        assert_success(keys.revoke(data["id"]))
        key = data["key"]
    else:
        key = malformed_keys(only[scope]["key"])[case]
    r = use(world, operator, route, key_header(key))
    assert_error(r, 401, "AUTH_TOKEN_INVALID")


def test_a_refused_key_is_answered_with_www_authenticate(world, only):
    """RFC 9110 section 15.5.2: a 401 carries WWW-Authenticate, whichever credential was refused."""
    r = world.client.get(USERS, headers=key_header(with_bad_checksum(only["users:read"]["key"])))
    assert_error(r, 401, "AUTH_TOKEN_INVALID")
    assert r.headers.get("WWW-Authenticate"), dict(r.headers)


@pytest.mark.parametrize("other", ["admin bearer", "service basic", "garbage bearer"])
@pytest.mark.parametrize("route", ["list users", "verify", "introspect"])
def test_a_key_beside_another_credential_is_401(world, operator, every, other, route):
    auth = {"admin bearer": f"Bearer {world.admin.access_token}",
            "service basic": world.basic_header()["Authorization"],
            "garbage bearer": "Bearer abc.def.ghi"}[other]
    r = use(world, operator, route, {**key_header(every["key"]), "Authorization": auth})
    assert_error(r, 401, "AUTH_TOKEN_INVALID")


# ----------------------------------------------------------------------------- what keys may not do


def test_admin_write_routes_refuse_keys(world, every):
    victim = world.user("user")
    h = key_header(every["key"])
    c = world.client
    before = assert_success(c.get(f"{USERS}/{victim.id}", token=world.admin.access_token))["data"]
    grants_before = assert_success(c.get(grants_path("user"), token=world.admin.access_token))["data"]
    for r in (c.patch(f"{USERS}/{victim.id}", {"name": "renamed by a key"}, headers=h),
              c.patch(f"{USERS}/{victim.id}", {"roles": ["admin"]}, headers=h),
              c.delete(f"{USERS}/{victim.id}", headers=h),
              c.delete(f"{USERS}/{victim.id}/sessions/{victim.session_id}", headers=h),
              c.put(grants_path("user"), {"grants": [{"agent_type": SPEC_TYPE}]}, headers=h)):
        assert_error(r, 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    after = assert_success(c.get(f"{USERS}/{victim.id}", token=world.admin.access_token))["data"]
    assert {k: after[k] for k in ("name", "roles", "is_active")} == \
        {k: before[k] for k in ("name", "roles", "is_active")}
    assert assert_success(c.get(grants_path("user"), token=world.admin.access_token))["data"] == grants_before
    assert_success(c.get("/api/v2/users/me", token=victim.access_token))


@pytest.mark.parametrize("method, path", [("GET", "/api/v2/users/me"), ("GET", "/api/v2/auth/agents/tokens"),
                                          ("POST", "/api/v2/auth/agents/authenticate")])
def test_user_routes_are_not_key_routes(world, every, method, path):
    r = world.client.request(method, path, headers=key_header(every["key"]),
                             json={"agent_type": SPEC_TYPE, "capabilities_requested": ["file:read"]}
                             if method == "POST" else None)
    assert r.status_code in (401, 403), f"{method} {path} with a key: {r.status_code} {r.text[:300]}"
    assert r.json()["success"] is False


# ----------------------------------------------------------------------------- audit, last use


@pytest.mark.parametrize("scope, route", [("users:read", "list users"), ("users:read", "read user"),
                                          ("audit:read", "audit")])
def test_reads_with_a_key_are_audited_under_the_key(world, keys, operator, scope, route):
    data = keys.create([scope])
    r = use(world, operator, route, key_header(data["key"]))
    assert_success(r)
    rows = keys.audit_rows_of_request(r)
    assert rows, f"no audit row for {route} done with key {data['id']} (request {r.headers['X-Request-ID']})"
    assert all(row["actor"] == f"api_key:{data['id']}" for row in rows), rows
    assert_no_secret(rows, data["key"])


def test_last_use_is_recorded(world, keys):
    data = keys.create(["users:read"])
    assert keys.record(data["id"])["last_used_at"] is None
    assert_success(world.client.get(USERS, headers=key_header(data["key"])))
    rec = keys.wait_last_used(data["id"])
    assert rec["last_used_at"] is not None, "last_used_at not set 5 s after a use"
    used = parse_iso8601(rec["last_used_at"])
    assert parse_iso8601(rec["created_at"]).replace(microsecond=0) <= used, rec
    assert used <= datetime.now(timezone.utc), rec


# ----------------------------------------------------------------------------- rate limit tier


def test_keys_have_their_own_rate_limit_per_key(start_server, archon_bin):
    w = start_world(start_server, archon_bin,
                    {"rate_limits": {"api_access": {"api_key": {"per_key": "5/minute", "burst": 5}}}})
    try:
        k = KeyAdmin(w)
        a, b = k.create(["users:read"]), k.create(["users:read"])
        statuses = [w.client.get(USERS, headers=key_header(a["key"])).status_code for _ in range(5)]
        assert statuses == [200] * 5, statuses
        assert_error(w.client.get(USERS, headers=key_header(a["key"])), 429, "RATE_LIMIT_EXCEEDED")
        assert_success(w.client.get(USERS, headers=key_header(b["key"])))  # another key: its own bucket
        assert_success(w.client.get(USERS, token=w.admin.access_token))     # the admin: another tier
    finally:
        w.close()


# ----------------------------------------------------------------------------- never logged


def files_containing(root, needles: list[str]) -> list[str]:
    found = []
    for p in sorted(root.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            found += [f"{p}: {n[:14]}..." for n in needles if n.encode() in data]
    return found


def test_the_key_never_reaches_logs_or_disk(world, keys, operator):
    data = keys.create(["users:read", "agents:verify"])
    key = data["key"]
    h = key_header(key)
    c = world.client
    assert_success(c.get(USERS, headers=h))                               # served
    assert_error(c.get(AUDIT, headers=h), 403, "AUTH_INSUFFICIENT_PERMISSIONS")  # no scope
    assert_error(c.get(USERS, headers=key_header(with_bad_checksum(key))), 401, "AUTH_TOKEN_INVALID")
    assert_error(c.get(USERS, headers={**h, "Authorization": f"Bearer {world.admin.access_token}"}),
                 401, "AUTH_TOKEN_INVALID")
    world.verify_tool(agent_token(world, operator), "file:write", SRC, headers=h)
    assert_success(keys.revoke(data["id"]))
    assert_error(c.get(USERS, headers=h), 401, "AUTH_TOKEN_INVALID")  # revoked
    last = c.get("/health", headers={"X-Request-ID": "api-key-log-probe"})
    assert world.server.wait_for_log(lambda o: o.get("request_id") == "api-key-log-probe"), \
        f"the request log line never came: {last.status_code}"
    needles = [key, random_part(key)]
    found = files_containing(world.server.workdir, needles)  # stderr.log, stdout.log, config, data dir
    assert not found, f"the key (or its random part) was written to: {found}"
