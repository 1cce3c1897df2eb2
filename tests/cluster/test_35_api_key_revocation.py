"""API keys across instances (issue 22 part 3): a key created through one instance works at once
at the others, and a key revoked through one instance is refused (401) on the very next request
at every other one, even where that instance has just accepted it. The instance that revoked is
checked too, as a control."""
from __future__ import annotations

from cluster_support import USERS, client, data_of, describe, error_code

API_KEYS = "/api/v2/admin/api-keys"


def create_key(inst, admin, scopes: list[str]) -> dict:
    with client(inst) as c:
        return data_of(c.post(API_KEYS, {"name": "cluster tool server", "scopes": scopes},
                              token=admin.access_token), 201)


def list_users_with_key(inst, key: str):
    with client(inst) as c:
        return c.get(USERS, headers={"X-API-Key": key}, params={"limit": 1})


def test_a_key_created_on_one_instance_works_on_the_others(up, admin):
    a, b, c = up.instances
    data = create_key(a, admin, ["users:read"])
    for inst in (b, c, a):
        r = list_users_with_key(inst, data["key"])
        assert r.status_code == 200, f"{inst.name}, a key made on {a.name}: {describe(r)}"


def test_a_key_revoked_on_one_instance_is_refused_at_the_others_on_the_next_request(up, admin):
    a, b, c = up.instances
    data = create_key(a, admin, ["users:read"])
    # Every instance has accepted the key (and has whatever it keeps about it warm).
    for inst in (a, b, c):
        for _ in range(3):
            r = list_users_with_key(inst, data["key"])
            assert r.status_code == 200, f"{inst.name} before the revocation: {describe(r)}"

    with client(a) as ca:
        r = ca.delete(f"{API_KEYS}/{data['id']}", token=admin.access_token)
    revoked = data_of(r)
    assert revoked["revoked_at"] is not None, revoked

    problems = []
    for inst in (b, c, a):
        r = list_users_with_key(inst, data["key"])
        if r.status_code != 401 or error_code(r) != "AUTH_TOKEN_INVALID":
            problems.append(f"{inst.name} after the revocation on {a.name}: {describe(r)}")
    assert not problems, "\n".join(problems)

    # The revocation is seen the same way through the record on another instance.
    with client(b) as cb:
        rec = data_of(cb.get(f"{API_KEYS}/{data['id']}", token=admin.access_token))
    assert rec["revoked_at"] == revoked["revoked_at"], rec
