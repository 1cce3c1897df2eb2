"""A logout on one instance is honoured by every other instance within 100 ms. The instance that
logged out is polled too, as a control: it must refuse at once."""
from __future__ import annotations

import threading
import time

from cluster_support import LOGOUT, ME, client, describe, figure, login, register_user

BUDGET = 0.100      # seconds from the logout's answer to the first refusal elsewhere
FAST_POLL = 0.005   # poll interval while within (twice) the budget
SLOW_POLL = 0.050   # after that, only to report how long it really took
GIVE_UP = 12.0      # longer than the 10 s revocation re-read of a server without pub/sub


class Poller(threading.Thread):
    """GET /users/me with one token on one instance, over one keep-alive connection, until the
    first 401 plus a few more (a refusal must stick) or until told to stop."""

    def __init__(self, inst, token: str):
        super().__init__(daemon=True, name=f"poll-{inst.name}")
        self.inst = inst
        self.token = token
        self.client = client(inst)
        self.results: list[tuple[float, float, int]] = []  # (sent, answered, status)
        self.unexpected: list[str] = []
        self.logout_done: float | None = None
        self.stop = threading.Event()

    def first_refusal(self) -> float | None:
        return next((t1 for _, t1, s in self.results if s == 401), None)

    def run(self) -> None:
        deadline = None
        try:
            while not self.stop.is_set():
                t0 = time.monotonic()
                r = self.client.get(ME, token=self.token, timeout=10)
                t1 = time.monotonic()
                self.results.append((t0, t1, r.status_code))
                if r.status_code not in (200, 401):
                    self.unexpected.append(describe(r))
                refused = self.first_refusal()
                if refused is not None and t1 - refused > 0.05:
                    return  # seen refused for 50 ms: enough
                if self.logout_done is not None:
                    deadline = deadline or self.logout_done + GIVE_UP
                    if t1 > deadline:
                        return
                    interval = FAST_POLL if t1 - self.logout_done < 2 * BUDGET else SLOW_POLL
                else:
                    interval = FAST_POLL
                time.sleep(max(0.0, interval - (time.monotonic() - t0)))
        finally:
            self.client.close()


def test_logout_on_one_instance_is_refused_by_the_others_within_100ms(up):
    a, b, c = up.instances
    user = register_user(up.nginx, "logout")
    login(a, user, up.next_ip())
    token = user.access_token

    pollers = [Poller(inst, token) for inst in (a, b, c)]
    # Every instance knows the token is good before the logout (verified-token caches warm).
    for p in pollers:
        r = p.client.get(ME, token=token)
        assert r.status_code == 200, f"{p.inst.name} before logout: {describe(r)}"
    for p in pollers:
        p.start()
    while min(len(p.results) for p in pollers) < 3:  # polling is under way on both
        time.sleep(0.002)

    with client(a) as ca:
        t_sent = time.monotonic()
        r = ca.post(LOGOUT, token=token)
        t_done = time.monotonic()
    assert 200 <= r.status_code < 300, f"logout on {a.name}: {describe(r)}"
    for p in pollers:
        p.logout_done = t_done
    for p in pollers:
        p.join(timeout=GIVE_UP + 15)
        p.stop.set()

    lines, failures = [], []
    for p in pollers:
        assert not p.unexpected, f"{p.inst.name} answered neither 200 nor 401: {p.unexpected[:3]}"
        early = [s for t0, t1, s in p.results if s == 401 and t1 < t_sent]
        assert not early, f"{p.inst.name} refused the token before the logout was sent"
        refused = p.first_refusal()
        polls = sum(1 for t0, _, _ in p.results if t0 >= t_sent)
        if refused is None:
            lines.append(f"{p.inst.name}: still accepting the token {GIVE_UP:.0f}s after the logout "
                         f"({polls} polls)")
            failures.append(p.inst.name)
            continue
        delay = refused - t_done
        after = [s for _, t1, s in p.results if t1 > refused]
        assert all(s == 401 for s in after), f"{p.inst.name} accepted the token again after refusing it: {after}"
        lines.append(f"{p.inst.name}: first 401 {delay * 1000:.1f} ms after the logout answer "
                     f"({polls} polls since the logout was sent)")
        if delay > BUDGET:
            failures.append(p.inst.name)
    report = f"logout on {a.name} ({(t_done - t_sent) * 1000:.1f} ms); " + "; ".join(lines)
    figure(report)
    assert not failures, f"access token not refused within {BUDGET * 1000:.0f} ms by {failures}: {report}"
