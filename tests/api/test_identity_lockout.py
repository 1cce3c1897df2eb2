"""Lockout bypass by parallel guesses (issue 4, "What it must show"): 50 wrong passwords fired at
once for one email from one address -- at most 5 are checked, the rest are 401
AUTH_ACCOUNT_LOCKED, and afterwards even the right password is AUTH_ACCOUNT_LOCKED (never
revealing that it was right); password reset still works while locked.

docs/identity.md names no config key for the lockout limits or duration; the example config
(config/archon-auth.example.yaml) has identity.lockout_duration_seconds, used by the last test to
see the lock run out. The others keep the default 15 minutes."""
import threading
import time

import pytest

from identity_support import (LOGIN, RESET, RESET_CONFIRM, Client, assert_invalid_credentials,
                              assert_locked, data_of, describe, identity_config, login, new_user,
                              shape, wait_for_token)
from support import assert_error

N = 50
LIMIT = 5


@pytest.fixture(scope="module")
def srv(module_start_server):
    return module_start_server(config=identity_config())


def burst(srv, email, passwords, source_ip="127.0.0.1"):
    clients = [Client(srv, source_ip=source_ip) for _ in passwords]
    for c in clients:
        c.get("/health/live")
    barrier = threading.Barrier(len(passwords))
    results: list = [None] * len(passwords)

    def worker(i):
        barrier.wait()
        try:
            results[i] = clients[i].post(LOGIN, {"email": email, "password": passwords[i]})
        except Exception as e:  # noqa: BLE001 - asserted below
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(passwords))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for c in clients:
        c.close()
    return results


def test_fifty_parallel_guesses(srv):
    with Client(srv) as client:
        victim = new_user(client, do_login=False, prefix="lockout")
    results = burst(srv, victim.email, [f"wrong guess number {i:02d}" for i in range(N)])
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    codes = {}
    for r in results:
        assert r.status_code == 401, describe(r)
        codes.setdefault(r.json()["error"]["code"], []).append(r)
    checked = codes.get("AUTH_INVALID_CREDENTIALS", [])
    locked = codes.get("AUTH_ACCOUNT_LOCKED", [])
    assert set(codes) <= {"AUTH_INVALID_CREDENTIALS", "AUTH_ACCOUNT_LOCKED"}, list(codes)
    assert 1 <= len(checked) <= LIMIT, \
        f"{len(checked)} of {N} parallel guesses were checked (limit {LIMIT}); {len(locked)} locked"
    assert len(locked) == N - len(checked)
    for r in checked:
        assert_invalid_credentials(r)
    for r in locked:
        assert_locked(r)
        assert r.json()["error"]["details"]["retry_after_seconds"] <= 900

    with Client(srv) as client:
        # the right password now: locked, with the very same answer as a wrong one
        right = login(client, victim.email, victim.password)
        wrong = login(client, victim.email, "yet another wrong guess")
        assert_locked(right)
        assert_locked(wrong)
        assert shape(right.json()) == shape(wrong.json())
        assert right.json()["error"]["message"] == wrong.json()["error"]["message"]

        # password reset works while locked
        r = client.post(RESET, {"email": victim.email})
        assert r.status_code == 202, describe(r)
        token = wait_for_token(srv.data_dir, victim.email, "reset")
        new_password = "a new password after the lockout"
        assert data_of(client.post(RESET_CONFIRM, {"token": token, "new_password": new_password})) == \
            {"password_reset": True}
        # from the locked address the pair lock may or may not survive the reset (the contract
        # does not say); either answer must be one of these two
        r = login(client, victim.email, new_password)
        assert r.status_code == 200 or r.json()["error"]["code"] == "AUTH_ACCOUNT_LOCKED", describe(r)
        print(f"login from the locked address after the reset: {r.status_code} "
              f"{'' if r.status_code == 200 else r.json()['error']['code']}")

    # the lock is per (email, address): elsewhere the new password works and the old one does not
    with Client(srv, source_ip="127.0.0.3") as other:
        assert_invalid_credentials(login(other, victim.email, victim.password))
        data_of(login(other, victim.email, new_password))


def test_parallel_guesses_for_an_unknown_email_lock_too(srv):
    # counters are kept per normalised email whether or not the account exists: same pattern
    results = burst(srv, "Nobody-Lockout@Example.com", [f"wrong guess number {i:02d}" for i in range(20)])
    codes = [r.json()["error"]["code"] for r in results]
    assert all(r.status_code == 401 for r in results), [describe(r) for r in results][:3]
    assert 1 <= codes.count("AUTH_INVALID_CREDENTIALS") <= LIMIT, codes
    assert codes.count("AUTH_ACCOUNT_LOCKED") == 20 - codes.count("AUTH_INVALID_CREDENTIALS"), codes
    with Client(srv) as client:
        assert_locked(login(client, "nobody-lockout@example.com", "whatever password"))


def test_sequential_lock_after_five(srv):
    with Client(srv, source_ip="127.0.0.4") as client:
        victim = new_user(client, do_login=False, prefix="lockout-seq")
        remaining = []
        for i in range(LIMIT):
            body = assert_invalid_credentials(login(client, victim.email, f"wrong {i} guess here"))
            remaining.append(body["error"]["details"]["attempts_remaining"])
        assert remaining == [4, 3, 2, 1, 0], remaining
        assert_locked(login(client, victim.email, victim.password))
    # the lock is the pair's: from another address the right password works
    with Client(srv, source_ip="127.0.0.5") as c2:
        data_of(login(c2, victim.email, victim.password))


def test_success_resets_the_counter(srv):
    with Client(srv, source_ip="127.0.0.6") as client:
        victim = new_user(client, do_login=False, prefix="lockout-reset")
        for _ in range(2):
            for i in range(LIMIT - 1):
                assert_invalid_credentials(login(client, victim.email, f"wrong {i} guess here"))
            data_of(login(client, victim.email, victim.password))


def test_lock_expires_and_reset_works_while_locked(start_server):
    # identity.lockout_duration_seconds (config/archon-auth.example.yaml) shortened to 3 s
    srv = start_server(config=identity_config({"identity": {"lockout_duration_seconds": 3}}))
    with Client(srv) as client:
        victim = new_user(client, do_login=False, prefix="lockout-expiry")
        for i in range(LIMIT):
            r = login(client, victim.email, f"wrong {i} guess here")
            assert_error(r, 401, "AUTH_INVALID_CREDENTIALS")
        locked = assert_locked(login(client, victim.email, victim.password))
        assert locked["error"]["details"]["retry_after_seconds"] <= 3, locked["error"]
        t_locked = time.monotonic()
        # reset while locked
        assert client.post(RESET, {"email": victim.email}).status_code == 202
        token = wait_for_token(srv.data_dir, victim.email, "reset")
        new_password = "the password after expiry"
        assert data_of(client.post(RESET_CONFIRM, {"token": token, "new_password": new_password})) == \
            {"password_reset": True}
        # once the lock has run out, the new password logs in from the locked address
        time.sleep(max(0.0, 3.5 - (time.monotonic() - t_locked)))
        data_of(login(client, victim.email, new_password))
