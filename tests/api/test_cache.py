"""The L1 cache: answers from memory say so (meta.performance.cache_hit), and every write that
changes a user or a role's agent grants takes effect on the very next request."""
import re

import pytest

from identity_support import Client, create_admin, data_of, identity_config, new_user

ME = "/api/v2/users/me"


@pytest.fixture(scope="module")
def srv(module_start_server):
    return module_start_server(config=identity_config())


@pytest.fixture
def client(srv):
    with Client(srv) as c:
        yield c


def cache_counts(client) -> dict:
    text = client.get("/metrics").text
    return {(m[0], m[1]): int(m[2])
            for m in re.findall(r'^cache_hits_total\{cache="(\w+)",result="(\w+)"\} (\d+)$', text, re.M)}


def test_a_repeated_read_is_a_cache_hit_and_says_so(client):
    user = new_user(client)
    first = client.get(ME, token=user.access_token)
    assert data_of(first)["id"] == user.id
    assert first.json()["meta"]["performance"]["cache_hit"] is False  # first verification, first read
    before = cache_counts(client)
    second = client.get(ME, token=user.access_token)
    assert data_of(second)["id"] == user.id
    assert second.json()["meta"]["performance"]["cache_hit"] is True
    after = cache_counts(client)
    assert after[("user", "hit")] == before[("user", "hit")] + 1
    assert after[("token", "hit")] == before[("token", "hit")] + 1
    assert after[("user", "miss")] == before[("user", "miss")]


def test_a_profile_change_is_read_back_at_once(client):
    user = new_user(client)
    client.get(ME, token=user.access_token)
    client.get(ME, token=user.access_token)
    data_of(client.put(ME, {"name": "Renamed Person"}, token=user.access_token))
    again = client.get(ME, token=user.access_token)
    assert data_of(again)["name"] == "Renamed Person"


def test_deactivation_refuses_the_next_request_with_a_cached_user(client, archon_bin):
    admin = create_admin(archon_bin, client)
    user = new_user(client)
    for _ in range(3):  # cached now
        data_of(client.get(ME, token=user.access_token))
    r = client.delete(f"/api/v2/users/{user.id}", token=admin.access_token)
    assert r.status_code in (200, 204), r.text
    refused = client.get(ME, token=user.access_token)
    assert refused.status_code == 401, refused.text


def test_a_role_change_counts_on_the_next_request_with_a_cached_user(client, archon_bin):
    boss = create_admin(archon_bin, client)
    deputy = create_admin(archon_bin, client)
    for _ in range(3):
        assert client.get("/api/v2/users", token=deputy.access_token).status_code == 200
    r = client.patch(f"/api/v2/users/{deputy.id}", {"roles": ["user"]}, token=boss.access_token)
    assert r.status_code == 200, r.text
    refused = client.get("/api/v2/users", token=deputy.access_token)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "AUTH_INSUFFICIENT_PERMISSIONS"
    # And back: promoted again, allowed at once.
    r = client.patch(f"/api/v2/users/{deputy.id}", {"roles": ["admin"]}, token=boss.access_token)
    assert r.status_code == 200, r.text
    assert client.get("/api/v2/users", token=deputy.access_token).status_code == 200
