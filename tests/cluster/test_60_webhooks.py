"""Webhook delivery with two instances on PostgreSQL (issue 22 part 4). The third instance is
stopped for these tests (and started again after them).

1. A healthy cluster: an endpoint registered through instance A, 200 registrations spread over A
   and B; the receiver gets every event, verified with the standardwebhooks library, and none
   twice (each delivery is claimed by one instance), though both instances deliver.
2. kill -9 of A while it has deliveries in flight (the receiver answers slowly; the events are
   made through B): B delivers what A
   had leased once the lease (webhooks.timeout_ms/1000 + 30 s = 31 s) has run out, not before,
   and every event arrives (duplicates are allowed here: A may die after the receiver answered
   and before it recorded the success).
"""
from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from cluster_support import client, data_of, figure, register_user
from webhook_receiver import PortSampler, Receiver, sender_ports

WEBHOOKS = "/api/v2/admin/webhooks"
LEASE_SECONDS = 31  # the cluster config's webhooks.timeout_ms (1000) / 1000 + 30
EVENTS = 60        # in the kill test


@pytest.fixture
def two_instances(up):
    """A and B up, the third instance stopped; everything restarted afterwards."""
    a, b, c = up.instances
    c.stop()
    yield a, b
    up.ensure_all_up()


def create_hook(inst, admin, url: str) -> dict:
    with client(inst) as c:
        return data_of(c.post(WEBHOOKS, {"url": url, "event_types": ["user.registered"]},
                              token=admin.access_token), 201)


def delete_hook(inst, admin, hook_id: str) -> None:
    with client(inst) as c:
        r = c.delete(f"{WEBHOOKS}/{hook_id}", token=admin.access_token)
    assert r.status_code in (204, 404), r.status_code


def register_across(targets, n: int) -> set[str]:
    """n registrations, alternating between the targets; returns the new users' ids."""
    with ThreadPoolExecutor(4) as pool:
        users = list(pool.map(lambda i: register_user(targets[i % len(targets)], "hooked"), range(n)))
    return {u.id for u in users}


def deliveries(inst, admin, hook_id: str) -> list[dict]:
    out, page = [], 1
    with client(inst) as c:
        while True:
            r = c.get(f"{WEBHOOKS}/{hook_id}/deliveries", token=admin.access_token, params={"page": page, "limit": 100})
            out += data_of(r)
            if not r.json()["meta"]["pagination"]["has_next"]:
                return out
            page += 1


def wait_settled(inst, admin, hook_id: str, n: int, timeout: float) -> list[dict]:
    """The endpoint's deliveries once there are n and none is pending."""
    deadline = time.monotonic() + timeout
    while True:
        got = deliveries(inst, admin, hook_id)
        if len(got) >= n and all(d["status"] != "pending" for d in got):
            return got
        assert time.monotonic() < deadline, f"{sum(d['status'] == 'pending' for d in got)} of {len(got)} still pending"
        time.sleep(0.5)


def wait_for_users(rx: Receiver, secret: str, ids: set[str], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        seen = rx.user_ids(secret)
        if ids <= seen.keys():
            return seen
        assert time.monotonic() < deadline, f"the receiver got {len(ids & seen.keys())} of {len(ids)} events"
        time.sleep(0.2)


def test_a_healthy_cluster_delivers_every_event_once(two_instances, admin):
    a, b = two_instances
    with Receiver(delay=0.03) as rx:  # each connection lives long enough for the sampler to see it
        hook = create_hook(a, admin, rx.url)
        try:
            with PortSampler([a, b], rx.port) as sampler:
                t0 = time.monotonic()
                ids = register_across([a, b], 200)
                t_registered = time.monotonic()
                seen = wait_for_users(rx, hook["secret"], ids, timeout=60)
                t_delivered = time.monotonic()
            logged = wait_settled(b, admin, hook["id"], 200, timeout=30)
        finally:
            delete_hook(b, admin, hook["id"])
    requests = rx.snapshot()
    twice = {uid: len(ds) for uid, ds in seen.items() if len(ds) > 1}
    senders = Counter(sampler.owner.get(d.port, "unknown") for d in requests)
    figure(f"200 registrations over 2 instances in {t_registered - t0:.1f}s, all delivered "
           f"{t_delivered - t_registered:.1f}s later; {len(requests)} requests ({dict(senders)}), "
           f"{len(twice)} events delivered twice")
    assert senders[a.name] and senders[b.name], f"both instances should have delivered: {dict(senders)}"
    assert seen.keys() == ids, f"events for users not registered here: {seen.keys() - ids}"
    assert not twice, f"a healthy cluster delivered events more than once: {twice}"
    assert len(requests) == 200
    assert len({d.event_id for d in requests}) == 200
    assert sorted(d["status"] for d in logged) == ["succeeded"] * 200, logged[:3]
    assert {d["event_id"] for d in logged} == {d.event_id for d in requests}


@pytest.mark.timeout(180)
def test_a_killed_instance_leaves_its_leased_deliveries_to_the_other(two_instances, admin):
    a, b = two_instances
    with Receiver(delay=0.6) as rx:  # slow, but within timeout_ms (1 s): every attempt succeeds
        hook = create_hook(b, admin, rx.url)
        try:
            # Events are made through B (A is about to die); both instances deliver them.
            with ThreadPoolExecutor(1) as pool:
                registering = pool.submit(register_across, [b], EVENTS)
                ports, t_kill = kill_while_in_flight(a, rx)
                ids = registering.result()
            rx.delay = 0
            leased = [d for d in rx.snapshot()
                      if d.port in ports and d.t_start < t_kill and (d.t_answer is None or d.t_answer > t_kill)]
            assert leased, "no delivery of A's was in flight at the kill"
            redelivered = wait_for_redelivery(rx, {d.event_id for d in leased}, t_kill, LEASE_SECONDS + 20)
            seen = wait_for_users(rx, hook["secret"], ids, timeout=30)
            logged = wait_settled(b, admin, hook["id"], EVENTS, timeout=30)
        finally:
            delete_hook(b, admin, hook["id"])
    early = {d.event_id: round(redelivered[d.event_id] - d.t_start, 1) for d in leased
             if redelivered[d.event_id] - d.t_start < LEASE_SECONDS - 2}
    waits = sorted(redelivered[d.event_id] - d.t_start for d in leased)
    dupes = sum(len(ds) - 1 for ds in seen.values())
    figure(f"kill -9 with {len(leased)} of A's deliveries in flight: B sent them {waits[0]:.1f}-{waits[-1]:.1f}s "
           f"after A's attempt (lease {LEASE_SECONDS}s); {EVENTS} events, {dupes} duplicate deliveries")
    assert not early, f"B sent deliveries A had leased before the lease ran out: {early}"
    assert seen.keys() == ids
    assert sorted(d["status"] for d in logged) == ["succeeded"] * EVENTS


def kill_while_in_flight(a, rx: Receiver) -> tuple[set[int], float]:
    """Waits until A has a request in flight at the receiver, then kill -9s A. Returns A's source
    ports (read just before the kill) and when it was killed."""
    deadline = time.monotonic() + 20
    while True:
        ports = sender_ports(a.proc.pid, rx.port)
        if any(d.port in ports and d.t_answer is None for d in rx.snapshot()):
            a.kill()
            return ports, time.monotonic()
        assert time.monotonic() < deadline, "A never had a delivery in flight"
        time.sleep(0.01)


def wait_for_redelivery(rx: Receiver, event_ids: set[str], t_kill: float, timeout: float) -> dict[str, float]:
    """When each event was sent again after the kill (the first such request's arrival)."""
    deadline = t_kill + timeout
    while True:
        again: dict[str, float] = {}
        for d in rx.snapshot():
            if d.event_id in event_ids and d.t_start > t_kill and d.t_answer is not None:
                again.setdefault(d.event_id, d.t_start)
        if again.keys() == event_ids:
            return again
        assert time.monotonic() < deadline, f"{len(event_ids - again.keys())} of A's leased deliveries never came again"
        time.sleep(0.2)
