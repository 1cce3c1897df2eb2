"""Refresh-token rotation with reuse detection (issue 4, "What it must show"): rotate A->B, A again
within the grace window returns B, A after it is reuse (401 AUTH_REFRESH_TOKEN_REUSED) and revokes
that session's whole family and its access tokens, and 20 concurrent refreshes with one token leave
one live token.

The grace window is configured to 2 s (`sessions.refresh_grace_seconds`): short enough to wait out,
long enough that a burst of 20 requests on an ASan build lands inside it even if the server
compares whole seconds."""
import threading
import time

import pytest

from identity_support import (ME, ME_SESSIONS, REFRESH, REFRESH_KEYS, Client, assert_me_works,
                              assert_refused, data_of, describe, identity_config, new_user,
                              session_login)
from support import assert_error

GRACE = 2
PAST_GRACE = GRACE + 1.5


@pytest.fixture(scope="module")
def srv(module_start_server):
    return module_start_server(config=identity_config({"sessions": {"refresh_grace_seconds": GRACE}}))


@pytest.fixture
def client(srv):
    with Client(srv, pool=32) as c:
        yield c


def refresh(client, token):
    return client.post(REFRESH, {"refresh_token": token})


def test_rotation_grace_and_reuse(srv, client):
    user = new_user(client, prefix="reuse")
    other_access, other_refresh, _ = session_login(client, user)  # a second session of the same user
    a, access0 = user.refresh_token, user.access_token

    r = refresh(client, a)
    d = data_of(r)
    assert set(d) >= REFRESH_KEYS | {"refresh_token"}, sorted(d)
    b, access1 = d["refresh_token"], d["access_token"]
    assert b != a and d["session_id"] == user.session_id
    t_rotated = time.monotonic()

    # the immediate parent again, within the grace window: the same child, no fork
    r = refresh(client, a)
    assert time.monotonic() - t_rotated < GRACE, "too slow to test the grace window"
    d2 = data_of(r)
    assert d2["refresh_token"] == b, f"grace replay returned another token: {d2['refresh_token']!r} != {b!r}"
    assert d2["session_id"] == user.session_id

    # past the window: reuse, the family dies
    time.sleep(max(0.0, PAST_GRACE - (time.monotonic() - t_rotated)))
    assert_error(refresh(client, a), 401, "AUTH_REFRESH_TOKEN_REUSED")
    assert_error(refresh(client, b), 401, "AUTH_TOKEN_INVALID")
    assert_refused(client.get(ME, token=access0), "the session's first access token after reuse")
    assert_refused(client.get(ME, token=access1), "the session's rotated access token after reuse")
    assert_refused(client.get(ME, token=d2["access_token"]), "the grace replay's access token after reuse")
    # and A again: still refused (reused or invalid, never a new token)
    r = refresh(client, a)
    assert r.status_code == 401, describe(r)

    # only that session: the user's other session lives on
    assert_me_works(client, other_access, user.id)
    d3 = data_of(refresh(client, other_refresh))
    assert_me_works(client, d3["access_token"], user.id)
    sessions = data_of(client.get(ME_SESSIONS, token=d3["access_token"]))
    live = {s["session_id"] for s in sessions if s["is_active"]}
    assert user.session_id not in live and len(live) == 1, sessions


def test_grandparent_is_reuse_even_within_grace(srv, client):
    # only the immediate parent gets the grace replay; an older token is reuse at once
    user = new_user(client, prefix="grandparent")
    a = user.refresh_token
    b = data_of(refresh(client, a))["refresh_token"]
    c = data_of(refresh(client, b))["refresh_token"]
    assert len({a, b, c}) == 3
    assert_error(refresh(client, a), 401, "AUTH_REFRESH_TOKEN_REUSED")
    assert_error(refresh(client, c), 401, "AUTH_TOKEN_INVALID")
    assert_refused(client.get(ME, token=user.access_token), "access token after reuse")


def test_twenty_concurrent_refreshes(srv, client):
    user = new_user(client, prefix="concurrent")
    r0 = user.refresh_token
    n = 20
    barrier = threading.Barrier(n)
    results: list = [None] * n
    clients = [Client(srv) for _ in range(n)]
    for c in clients:  # open the connections first so the burst is one burst
        c.get("/health/live")

    def worker(i):
        barrier.wait()
        try:
            results[i] = refresh(clients[i], r0)
        except Exception as e:  # noqa: BLE001 - recorded and asserted below
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    burst = time.monotonic() - t0
    for c in clients:
        c.close()
    problems = [f"#{i}: {r if isinstance(r, Exception) else describe(r)}"
                for i, r in enumerate(results) if isinstance(r, Exception) or r.status_code != 200]
    assert not problems, f"burst took {burst:.2f}s; not every answer is 200:\n" + "\n".join(problems)
    tokens = {r.json()["data"]["refresh_token"] for r in results}
    sessions = {r.json()["data"]["session_id"] for r in results}
    assert len(tokens) == 1, f"20 concurrent refreshes forked the family into {len(tokens)} tokens"
    assert sessions == {user.session_id}, sessions
    (r1,) = tokens
    assert r1 != r0

    # one live token: the child works; the parent beyond the grace window is reuse
    d = data_of(refresh(client, r1))
    r2 = d["refresh_token"]
    assert_me_works(client, d["access_token"], user.id)
    sessions = data_of(client.get(ME_SESSIONS, token=d["access_token"]))
    assert [s["session_id"] for s in sessions if s["is_active"]] == [user.session_id], sessions
    time.sleep(PAST_GRACE)
    assert_error(refresh(client, r0), 401, "AUTH_REFRESH_TOKEN_REUSED")
    assert_error(refresh(client, r2), 401, "AUTH_TOKEN_INVALID")


def test_refresh_bad_tokens(srv, client):
    assert_error(refresh(client, "A" * 43), 401, "AUTH_TOKEN_INVALID")
    r = refresh(client, "")
    assert r.status_code in (400, 401, 422), describe(r)
    # no token at all (no body, no cookie)
    r = client.post(REFRESH)
    assert r.status_code in (400, 401), describe(r)
    # an access token is not a refresh token (401, or 422 if the server bounds the field's length)
    user = new_user(client, prefix="wrongkind")
    r = refresh(client, user.access_token)
    assert r.status_code in (401, 422), describe(r)
    assert_me_works(client, user.access_token, user.id)
