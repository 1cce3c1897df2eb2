"""kill -9 during a burst of registrations (issue 4, "What it must show"): every registration
answered 201 before the kill is a user that can log in after a restart on the same data dir. Also
a committed password change, a live session and a logout survive the kill (issue 4, "Store").

Email verification is switched off (`identity.require_email_verification: false`) so that a 201
user can log in straight away."""
import signal
import threading
import time

import pytest
import requests

from identity_support import (LOGOUT, ME, ME_PASSWORD, REFRESH, RESEND, VERIFY, Client, User,
                              assert_invalid_credentials, assert_me_works, assert_refused, data_of,
                              describe, identity_config, login, login_user, register, session_login,
                              unique_email, wait_for_token)
from store_support import OUTBOX_LEASE_SECONDS

# A fixed public URL: the restart listens on another port, and the tokens issued before the kill
# must still be this server's (the default issuer follows the listen address).
CONFIG = identity_config({"identity": {"require_email_verification": False},
                          "tokens": {"public_url": "http://127.0.0.1:8181"}})
TOTAL = 100
THREADS = 8
KILL_AFTER = 30  # 201s seen before the kill


def burst_then_kill(srv, users, kill_after, threads=THREADS):
    """Registers `users` from `threads` threads and SIGKILLs the server once `kill_after` got
    201. Returns {index: status code or exception}."""
    results: dict[int, object] = {}
    lock = threading.Lock()
    created = threading.Semaphore(0)
    next_index = iter(range(len(users)))

    def worker():
        with Client(srv) as c:
            while True:
                with lock:
                    i = next(next_index, None)
                if i is None:
                    return
                try:
                    r = register(c, users[i].email, users[i].password)
                    for _ in range(20):  # hashing pool full: 503 + Retry-After, retry
                        if r.status_code != 503:
                            break
                        time.sleep(0.2)
                        r = register(c, users[i].email, users[i].password)
                    results[i] = r.status_code
                    if r.status_code == 201:
                        users[i].id = r.json()["data"]["user_id"]
                        created.release()
                except requests.RequestException as e:
                    results[i] = e
                    return

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for _ in range(kill_after):
        assert created.acquire(timeout=60), f"registrations stalled: {results}"
    srv.stop(signal.SIGKILL)
    for t in ts:
        t.join(30)
    return results


def test_kill_9_during_registrations(start_server):
    srv = start_server(config=CONFIG)
    srv.expected_returncodes = {-signal.SIGKILL}

    # committed state before the burst: a password change, a live session, a logged-out session
    with Client(srv) as c:
        p = User(unique_email("crash-pw"), "the first password here")
        data_of(register(c, p.email, p.password), 201)
        login_user(c, p)
        new_password = "the second password here"
        r = c.put(ME_PASSWORD, {"current_password": p.password, "new_password": new_password},
                  token=p.access_token)
        data_of(r)
        q = User(unique_email("crash-sessions"), "sessions password here")
        data_of(register(c, q.email, q.password), 201)
        login_user(c, q)
        out_access, out_refresh, _ = session_login(c, q)
        data_of(c.post(LOGOUT, {}, token=out_access))
        assert_refused(c.get(ME, token=out_access))

    # the burst
    users = [User(unique_email(f"crash{i:03d}"), f"burst password number {i:03d}") for i in range(TOTAL)]
    results = burst_then_kill(srv, users, KILL_AFTER)
    ok = [i for i, s in results.items() if s == 201]
    other = {i: s for i, s in results.items() if s != 201 and not isinstance(s, Exception)}
    assert not other, f"answers other than 201 during the burst: {other}"
    assert len(ok) >= KILL_AFTER, (len(ok), results)
    cut = [i for i in range(TOTAL) if isinstance(results.get(i), Exception)]
    print(f"{len(ok)} registrations answered 201 before the kill; {len(cut)} cut off; "
          f"{TOTAL - len(results)} never sent")

    # restart on the same data dir
    srv2 = start_server(config=CONFIG, args=["--data-dir", str(srv.data_dir)])
    with Client(srv2, pool=THREADS) as c:
        failures = []
        lock2 = threading.Lock()
        todo = iter(ok)

        def check():
            with Client(srv2) as cc:
                while True:
                    with lock2:
                        i = next(todo, None)
                    if i is None:
                        return
                    r = login(cc, users[i].email, users[i].password)
                    if r.status_code != 200 or r.json()["data"]["user"]["id"] != users[i].id:
                        failures.append(f"{users[i].email}: {describe(r)}")

        checkers = [threading.Thread(target=check) for _ in range(4)]
        for t in checkers:
            t.start()
        for t in checkers:
            t.join(120)
        assert not failures, f"{len(failures)} of {len(ok)} users answered 201 cannot log in:\n" + \
            "\n".join(failures[:10])

        # the password change survived; the live session survived; the logout survived
        assert_invalid_credentials(login(c, p.email, p.password))
        data_of(login(c, p.email, new_password))
        assert_me_works(c, q.access_token, q.id)
        assert data_of(c.post(REFRESH, {"refresh_token": q.refresh_token}))["session_id"] == q.session_id
        assert_refused(c.get(ME, token=out_access), "a logged-out session's access token after restart")
        r = c.post(REFRESH, {"refresh_token": out_refresh})
        assert r.status_code == 401, describe(r)
        # and the store takes new writes
        data_of(register(c, unique_email("after-crash"), "after the crash password"), 201)


@pytest.mark.timeout(90 + OUTBOX_LEASE_SECONDS)
def test_kill_9_with_verification_mail_in_the_outbox(start_server):
    # Verification on (the default): each 201 committed a user and its verification mail to the
    # outbox; after the restart every one of them can verify and log in. The mail must arrive by
    # itself (the outbox survives a crash); resend is tried only to tell "mail lost" from
    # "user lost" in the report.
    srv = start_server(config=identity_config())
    srv.expected_returncodes = {-signal.SIGKILL}
    users = [User(unique_email(f"crashmail{i:03d}"), f"burst password number {i:03d}") for i in range(40)]
    results = burst_then_kill(srv, users, kill_after=15, threads=6)
    killed_at = time.monotonic()
    ok = [i for i, s in results.items() if s == 201]
    other = {i: s for i, s in results.items() if s != 201 and not isinstance(s, Exception)}
    assert not other, f"answers other than 201 during the burst: {other}"

    srv2 = start_server(config=identity_config(), args=["--data-dir", str(srv.data_dir)])
    lost_mail, cannot, late = [], [], []
    with Client(srv2) as c:
        deadline = time.monotonic() + 10
        # A mail the killed server had claimed but not delivered waits for its claim's lease
        # (PostgreSQL; store_support.OUTBOX_LEASE_SECONDS), counted from before the kill.
        late_deadline = killed_at + OUTBOX_LEASE_SECONDS + 5
        for i in ok:
            u = users[i]
            token = None
            try:
                token = wait_for_token(srv2.data_dir, u.email, "verification",
                                       timeout=max(0.5, deadline - time.monotonic()))
            except AssertionError:
                if OUTBOX_LEASE_SECONDS:
                    try:
                        token = wait_for_token(srv2.data_dir, u.email, "verification",
                                               timeout=max(0.5, late_deadline - time.monotonic()))
                        late.append(f"{u.email} after {time.monotonic() - killed_at:.1f} s")
                    except AssertionError:
                        pass
            if token is None:
                lost_mail.append(u.email)
                r = c.post(RESEND, {"email": u.email})
                assert r.status_code == 202, describe(r)
                try:
                    token = wait_for_token(srv2.data_dir, u.email, "verification")
                except AssertionError:
                    cannot.append(f"{u.email}: no verification mail, even after resend")
                    continue
            r = c.post(VERIFY, {"token": token})
            if r.status_code != 200:
                cannot.append(f"{u.email}: verify: {describe(r)}")
                continue
            r = login(c, u.email, u.password)
            if r.status_code != 200 or r.json()["data"]["user"]["id"] != u.id:
                cannot.append(f"{u.email}: login: {describe(r)}")
    if late:
        print(f"verification mails delivered only when the killed server's outbox lease ended: {late}")
    assert not cannot, f"{len(cannot)} of {len(ok)} users answered 201 cannot verify and log in:\n" + \
        "\n".join(cannot[:10])
    assert not lost_mail, (f"{len(lost_mail)} of {len(ok)} verification mails committed before the "
                           f"kill were never delivered after the restart (resend worked): {lost_mail[:5]}")
