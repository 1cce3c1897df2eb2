"""Helpers for the cluster tests: clients bound to one instance or to nginx from a chosen
loopback address, users, an admin listing, and a write load that records every request."""
from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass, field

import requests

from identity_support import (LOGIN, LOGOUT, ME, PASSWORD, REGISTER, USERS, Client, User, data_of,  # noqa: F401
                              describe, unique_email)


# Figures the tests measure (propagation delays, failures around a kill, recovery times), printed
# after the run by conftest.pytest_terminal_summary whatever the outcome.
FIGURES: list[str] = []


def figure(text: str) -> None:
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0].rsplit("::", 1)[-1]
    print(text)
    FIGURES.append(f"{test}: {text.strip()}")


def client(target, source_ip: str | None = None) -> Client:
    """A keep-alive client to `target` (an Instance or the Nginx), from `source_ip` if given."""
    return Client(target, source_ip=source_ip)


def register_user(target, prefix: str = "user") -> User:
    user = User(unique_email(prefix), PASSWORD, "Cluster User")
    with client(target) as c:
        r = c.post(REGISTER, {"email": user.email, "password": user.password, "name": user.name,
                              "terms_accepted": True})
        user.id = data_of(r, 201)["user_id"]
    return user


def login(target, user: User, source_ip: str) -> dict:
    """Logs `user` in at `target` from `source_ip`; stores and returns the tokens."""
    with client(target, source_ip) as c:
        r = c.post(LOGIN, {"email": user.email, "password": user.password, "return_refresh_token": True})
        data = data_of(r)
    user.access_token = data["access_token"]
    user.refresh_token = data.get("refresh_token")
    user.session_id = data["session_id"]
    user.id = data["user"]["id"]
    user.login_data = data
    return data


def error_code(resp: requests.Response) -> str | None:
    try:
        err = resp.json().get("error")
        return err.get("code") if isinstance(err, dict) else None
    except ValueError:
        return None


def all_user_emails(target, token: str) -> set[str]:
    """Every user's email, through the admin listing (GET /api/v2/users, 100 a page)."""
    emails: set[str] = set()
    with client(target) as c:
        page = 1
        while True:
            r = c.get(USERS, token=token, params={"page": page, "limit": 100})
            assert r.status_code == 200, describe(r)
            body = r.json()
            emails.update(u["email"] for u in body["data"])
            if not body["meta"]["pagination"]["has_next"]:
                break
            page += 1
    return emails


# ----------------------------------------------------------------------------- write load


@dataclass
class Outcome:
    worker: str
    t0: float  # time.monotonic() when sent
    t1: float  # when answered (or failed)
    email: str
    status: int | None = None
    code: str | None = None
    upstream: str | None = None
    retry_after: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def seconds(self) -> float:
        return self.t1 - self.t0

    def describe(self) -> str:
        what = f"{self.status} {self.code}" if self.status is not None else f"exception {self.error}"
        return (f"{self.worker}: {what} after {self.seconds * 1000:.0f} ms "
                f"(upstream {self.upstream}, {self.email})")


@dataclass
class WriteLoad:
    """Registrations from a few threads until stop(); each thread has its own target (nginx or
    one instance, or a list of instances it cycles through)."""
    targets: list  # one entry per worker: a target or a list of targets
    pause_after_failure: float = 0.02
    timeout: float = 30.0
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def _worker(self, n: int, targets) -> None:
        targets = targets if isinstance(targets, list) else [targets]
        clients = [client(t) for t in targets]
        names = [getattr(t, "name", "nginx") for t in targets]
        i = 0
        try:
            while not self._stop.is_set():
                c, name = clients[i % len(clients)], names[i % len(names)]
                i += 1
                email = f"load-{uuid.uuid4().hex[:16]}@example.com"
                o = Outcome(f"w{n}->{name}", time.monotonic(), 0.0, email)
                try:
                    r = c.post(REGISTER, {"email": email, "password": PASSWORD, "name": "Load User",
                                          "terms_accepted": True}, timeout=self.timeout)
                    o.status, o.code, o.upstream = r.status_code, error_code(r), r.headers.get("X-Upstream")
                    o.retry_after = r.headers.get("Retry-After")
                except requests.RequestException as e:
                    o.error = type(e).__name__ + ": " + str(e)[:200]
                o.t1 = time.monotonic()
                with self._lock:
                    self.outcomes.append(o)
                if not o.ok:
                    time.sleep(self.pause_after_failure)
        finally:
            for c in clients:
                c.close()

    def start(self) -> "WriteLoad":
        for n, t in enumerate(self.targets):
            th = threading.Thread(target=self._worker, args=(n, t), daemon=True, name=f"load{n}")
            th.start()
            self._threads.append(th)
        return self

    def stop(self) -> list[Outcome]:
        self._stop.set()
        for th in self._threads:
            th.join(timeout=self.timeout + 5)
            assert not th.is_alive(), f"load thread {th.name} still running"
        return self.snapshot()

    def snapshot(self) -> list[Outcome]:
        with self._lock:
            return sorted(self.outcomes, key=lambda o: o.t0)

    def wait_for_successes(self, n: int, after: float, timeout: float, worker: str | None = None) -> float | None:
        """Waits until `n` requests sent after `after` (by workers whose name starts with
        `worker`, if given) have succeeded; returns when the first of them was answered, or None
        on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ok = [o for o in self.snapshot()
                  if o.t0 >= after and o.ok and (worker is None or o.worker.startswith(worker))]
            if len(ok) >= n:
                return min(o.t1 for o in ok)
            time.sleep(0.02)
        return None

    def wait_for_failure(self, after: float, timeout: float, worker: str | None = None) -> Outcome | None:
        """Waits for a request sent after `after` to fail; returns it, or None on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            bad = [o for o in self.snapshot()
                   if o.t0 >= after and not o.ok and (worker is None or o.worker.startswith(worker))]
            if bad:
                return bad[0]
            time.sleep(0.02)
        return None


def summarize(outcomes: list[Outcome]) -> str:
    counts: dict[str, int] = {}
    for o in outcomes:
        key = str(o.status) + (f" {o.code}" if o.code else "") if o.status is not None else "exception"
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
