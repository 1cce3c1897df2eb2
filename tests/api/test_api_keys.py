"""Issue 22 part 3, API keys administered: POST/GET/DELETE /api/v2/admin/api-keys. The key is
shown once (creation), has the documented shape and checksum, never appears in a listing or a
read; revocation is idempotent; creation and revocation are audited under the admin; only a
holder of api_keys:manage may call these routes; hostile bodies get 4xx and nothing breaks.
Using a key is test_api_keys_use.py."""
from datetime import datetime, timedelta, timezone

import pytest

from agent_support import start_world
from api_key_support import (API_KEYS, MAX_EXPIRES_IN, SCOPES, KeyAdmin, assert_no_secret,
                             assert_record, key_header, well_formed)
from support import assert_error, assert_serves, assert_success, parse_iso8601


@pytest.fixture(scope="module")
def world(module_start_server, archon_bin):
    w = start_world(module_start_server, archon_bin)
    yield w
    w.close()


@pytest.fixture(scope="module")
def keys(world):
    return KeyAdmin(world)


def refused_as_invalid(resp) -> None:
    """A refused body: 400 or 422 in the envelope, with a VALIDATION_ code."""
    assert resp.status_code in (400, 422), f"{resp.status_code} {resp.text[:300]}"
    body = assert_error(resp, resp.status_code, resp.json()["error"]["code"])
    assert body["error"]["code"].startswith("VALIDATION_"), body["error"]


# ----------------------------------------------------------------------------- create, read


def test_create_shows_the_key_once(world, keys):
    data = keys.create(["agents:verify", "users:read"], name="tool server eu-1")
    assert_record(data, secret=True)
    assert data["name"] == "tool server eu-1"
    assert sorted(data["scopes"]) == ["agents:verify", "users:read"]
    assert data["created_by"] == world.admin.id
    assert data["expires_at"] is None and data["last_used_at"] is None and data["revoked_at"] is None
    age = datetime.now(timezone.utc) - parse_iso8601(data["created_at"])
    assert abs(age.total_seconds()) < 60, data["created_at"]

    rec = keys.record(data["id"])
    assert_record(rec, secret=False)
    assert {k: v for k, v in data.items() if k != "key"} == rec
    assert_no_secret(rec, data["key"])


def test_every_key_is_new(keys):
    a, b = keys.create(["users:read"]), keys.create(["users:read"])
    assert a["id"] != b["id"] and a["key"] != b["key"]
    assert well_formed(a["key"]) and well_formed(b["key"])


def test_list_is_paged_newest_first_and_never_shows_a_key(keys):
    made = [keys.create(["audit:read"], name=f"list-{i}") for i in range(3)]
    body = assert_success(keys.list(page=1, limit=2))
    page = body["data"]
    assert len(page) == 2, page
    p = body["meta"]["pagination"]
    assert p["page"] == 1 and p["limit"] == 2 and p["total"] >= 3 and p["has_next"] is True, p
    assert p["has_prev"] is False and p["total_pages"] >= 2, p
    everything = []
    for n in range(1, p["total_pages"] + 1):
        everything += assert_success(keys.list(page=n, limit=2))["data"]
    for rec in everything:
        assert_record(rec, secret=False)
    for m in made:
        assert_no_secret(everything, m["key"])
    stamps = [parse_iso8601(r["created_at"]) for r in everything]
    assert stamps == sorted(stamps, reverse=True), "the listing is not newest first"


def test_keys_made_within_one_second_still_list_newest_first(keys):
    """created_at has whole seconds: the order must not fall back on the random id."""
    made = [keys.create(["audit:read"], name=f"burst-{i}") for i in range(4)]
    page = assert_success(keys.list(page=1, limit=4))["data"]
    assert [r["id"] for r in page] == [m["id"] for m in reversed(made)], \
        f"not newest first: {[(r['name'], r['created_at']) for r in page]}"


@pytest.mark.parametrize("limit", [0, 101, -1, "x"])
def test_list_bad_paging_is_refused(keys, limit):
    r = keys.list(limit=limit)
    assert r.status_code in (400, 422), f"limit={limit!r}: {r.status_code} {r.text[:200]}"


@pytest.mark.parametrize("key_id", ["key_" + "0" * 32, "nope", "key_" + "g" * 32, "%00"])
def test_unknown_key_is_404(keys, key_id):
    assert_error(keys.get(key_id), 404, "RESOURCE_NOT_FOUND")
    assert_error(keys.revoke(key_id), 404, "RESOURCE_NOT_FOUND")


# ----------------------------------------------------------------------------- expiry


@pytest.mark.parametrize("seconds", [60, 3600, MAX_EXPIRES_IN])
def test_expires_at_is_created_at_plus_expires_in(keys, seconds):
    data = keys.create(["users:read"], expires_in=seconds)
    delta = parse_iso8601(data["expires_at"]) - parse_iso8601(data["created_at"])
    assert abs(delta - timedelta(seconds=seconds)) <= timedelta(seconds=2), (data["created_at"], data["expires_at"])
    assert keys.record(data["id"])["expires_at"] == data["expires_at"]


@pytest.mark.parametrize("seconds", [59, 0, -60, MAX_EXPIRES_IN + 1, 2**63, 3600.5, "3600", True])
def test_bad_expires_in_is_refused(keys, seconds):
    refused_as_invalid(keys.create_raw({"name": "exp", "scopes": ["users:read"], "expires_in": seconds}))


# ----------------------------------------------------------------------------- revoke


def test_revoke_is_idempotent(keys):
    data = keys.create(["users:read"])
    first = assert_success(keys.revoke(data["id"]))["data"]
    assert_record(first, secret=False)
    assert first["revoked_at"] is not None and first["id"] == data["id"]
    second = assert_success(keys.revoke(data["id"]))["data"]
    assert second["revoked_at"] == first["revoked_at"], "a second revoke moved revoked_at"
    assert keys.record(data["id"])["revoked_at"] == first["revoked_at"]
    listed = [r for r in assert_success(keys.list(limit=100))["data"] if r["id"] == data["id"]]
    assert listed and listed[0]["revoked_at"] == first["revoked_at"], listed


# ----------------------------------------------------------------------------- audit


def test_create_and_revoke_are_audited_under_the_admin(world, keys):
    r = keys.create_raw({"name": "audited", "scopes": ["audit:read"]})
    data = assert_success(r, 201)["data"]
    row = world.audit_event(r, "api_key.created")
    assert row["actor"] == world.admin.id, row
    assert data["id"] in repr(row), f"the created row does not name the key: {row}"
    assert_no_secret(row, data["key"])
    r = keys.revoke(data["id"])
    row = world.audit_event(r, "api_key.revoked")
    assert row["actor"] == world.admin.id, row
    assert data["id"] in repr(row), row


# ----------------------------------------------------------------------------- who may manage keys


@pytest.mark.parametrize("role", ["user", "agent_operator"])
def test_non_admins_get_403(world, keys, role):
    someone = world.user(role)
    existing = keys.create(["users:read"])
    for r in (keys.create_raw({"name": "mine", "scopes": ["users:read"]}, token=someone.access_token),
              keys.list(token=someone.access_token),
              keys.get(existing["id"], token=someone.access_token),
              keys.revoke(existing["id"], token=someone.access_token)):
        assert_error(r, 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    assert keys.record(existing["id"])["revoked_at"] is None


def test_no_credential_is_401(world, keys):
    existing = keys.create(["users:read"])
    for r in (world.client.post(API_KEYS, {"name": "x", "scopes": ["users:read"]}),
              world.client.get(API_KEYS),
              world.client.get(f"{API_KEYS}/{existing['id']}"),
              world.client.delete(f"{API_KEYS}/{existing['id']}")):
        assert_error(r, 401, "AUTH_TOKEN_INVALID")


def test_a_key_can_never_manage_keys(world, keys):
    every = keys.create(SCOPES)
    other = keys.create(["users:read"])
    h = key_header(every["key"])
    for r in (world.client.post(API_KEYS, {"name": "by key", "scopes": ["users:read"]}, headers=h),
              world.client.get(API_KEYS, headers=h),
              world.client.get(f"{API_KEYS}/{other['id']}", headers=h),
              world.client.delete(f"{API_KEYS}/{other['id']}", headers=h)):
        assert_error(r, 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    assert keys.record(other["id"])["revoked_at"] is None


# ----------------------------------------------------------------------------- hostile bodies


@pytest.mark.parametrize("body", [
    {"name": "", "scopes": ["users:read"]},
    {"name": "n" * 101, "scopes": ["users:read"]},
    {"name": "n" * 1_000_000, "scopes": ["users:read"]},
    {"name": 42, "scopes": ["users:read"]},
    {"name": None, "scopes": ["users:read"]},
    {"scopes": ["users:read"]},
    {"name": "x"},
    {"name": "x", "scopes": []},
    {"name": "x", "scopes": "users:read"},
    {"name": "x", "scopes": ["users:read", "users:read"]},
    {"name": "x", "scopes": ["users:write"]},
    {"name": "x", "scopes": ["api_keys:manage"]},
    {"name": "x", "scopes": ["USERS:READ"]},
    {"name": "x", "scopes": ["users:read", 7]},
    {"name": "x", "scopes": [f"scope{i}" for i in range(1000)]},
    {"name": "x", "scopes": ["users:read"] * 1000},
    {"name": "x", "scopes": [{"users": "read"}]},
    [],
    "a string",
    None,
], ids=lambda b: repr(b)[:40])
def test_bad_bodies_are_refused(world, keys, body):
    r = keys.create_raw(body)
    assert 400 <= r.status_code < 500, f"{r.status_code} {r.text[:300]}"
    assert r.json()["success"] is False
    assert_serves(world.server)


@pytest.mark.parametrize("raw, content_type", [
    (b"name=x&scopes=users:read", "application/x-www-form-urlencoded"),
    (b"{not json", "application/json"),
    (b'{"name": "x", "scopes": ["users:read"]', "application/json"),
    (b'{"name": "x", "scopes": ["users:read"]}', "text/plain"),
    (b"\xff\xfe{", "application/json"),
    (b"", "application/json"),
])
def test_non_json_is_refused(world, keys, raw, content_type):
    r = world.client.post(API_KEYS, data=raw, token=world.admin.access_token,
                          headers={"Content-Type": content_type})
    assert 400 <= r.status_code < 500, f"{r.status_code} {r.text[:300]}"
    assert r.json()["success"] is False
    assert_serves(world.server)


@pytest.mark.parametrize("name", ["Ключ для инструментов", "ツールサーバー 🔑", "n" * 100, "é" * 100,
                                  "<script>alert(1)</script>"])
def test_names_round_trip(keys, name):
    data = keys.create(["users:read"], name=name)
    assert data["name"] == name
    assert keys.record(data["id"])["name"] == name
