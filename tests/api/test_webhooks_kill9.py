"""kill -9 with 1,000 webhook events waiting loses none (issue 22 part 1, "What it must show").

An endpoint points at a receiver that is DOWN (nothing listens on its port), so every delivery
fails and waits for its next attempt; 1,000 agent mints (the cheapest event: one signature and one
transaction each, no password hashing) make 1,000 agent.token_issued events; the server is
SIGKILLed, the receiver started, and the server restarted on the same store (SQLite file, or the
same PostgreSQL database with ARCHON_TEST_STORE=postgres). Every event must then arrive: every
minted agent_id, every event id of the delivery log; duplicates are allowed, gaps are not.
The retry schedule is 3 s steps (20 of them), long enough that nothing is given up before the restart.
On PostgreSQL the few deliveries claimed at the kill wait for their lease: that run takes ~35 s more."""
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from agent_support import AUTHENTICATE, SPEC_TASK, SPEC_TYPE, AgentWorld
from identity_support import Client, session_login
from store_support import POSTGRES
from support import free_port
from webhook_support import Answer, Hooks, Receiver, assert_both_verify, wait_until, webhook_config

EVENTS = 1000
MINTERS = 8
SCHEDULE = [3] * 20  # the longest schedule allowed (20 waits): nothing given up for a minute
TIMEOUT_MS = 2000
# A fixed public URL: the restart listens on another port and must accept the admin's token. A
# short response timeout keeps PostgreSQL's lease short: a delivery claimed by the killed instance
# is taken again when its lease (timeout_ms / 1000 + 30 s) ends; SQLite drops claims at start.
CONFIG = webhook_config({"retry_schedule_seconds": SCHEDULE, "timeout_ms": TIMEOUT_MS},
                        extra={"tokens": {"public_url": "http://127.0.0.1:8181"}})
LEASE = TIMEOUT_MS // 1000 + 30 if POSTGRES else 0


def mint_many(srv, tokens: list[str], count: int) -> set[str]:
    """`count` agent mints spread over the tokens (one thread each); the agent_ids answered 200."""
    body = {"agent_type": SPEC_TYPE, "capabilities_requested": ["file:read"], "task_context": SPEC_TASK}

    def worker(i: int) -> list[str]:
        out = []
        with Client(srv) as c:
            for _ in range(count // MINTERS + (1 if i < count % MINTERS else 0)):
                r = c.post(AUTHENTICATE, body, token=tokens[i % len(tokens)])
                assert r.status_code == 200, r.text[:300]
                out.append(r.json()["data"]["agent_id"])
        return out
    with ThreadPoolExecutor(MINTERS) as pool:
        return {a for ids in pool.map(worker, range(MINTERS)) for a in ids}


@pytest.mark.timeout(180)  # PostgreSQL under load: the mints and the lease take a while
def test_kill_9_with_1000_events_waiting_loses_none(start_server, archon_bin):
    port = free_port()  # the receiver's: nothing listens there until after the kill
    srv = start_server(config=CONFIG)
    srv.expected_returncodes = {-signal.SIGKILL}
    world = AgentWorld(srv, archon_bin)
    hooks = Hooks(world)
    hook = hooks.create(f"http://127.0.0.1:{port}/hook", ["agent.token_issued"])
    op = world.user()
    tokens = [session_login(world.client, op)[0] for _ in range(MINTERS)]
    t0 = time.monotonic()
    minted = mint_many(srv, tokens, EVENTS)
    assert len(minted) == EVENTS
    # at least one attempt already failed: the events are waiting, not merely unsent
    wait_until(lambda: any(d["attempt_log"] for d in hooks.deliveries(hook["id"], limit=100)), 10,
               "a failed first attempt")
    srv.stop(signal.SIGKILL)
    world.close()
    print(f"{EVENTS} mints in {time.monotonic() - t0:.1f} s, then kill -9")

    rx = Receiver(port=port)
    try:
        srv2 = start_server(config=CONFIG, args=["--data-dir", str(srv.data_dir)])
        t1 = time.monotonic()

        def arrived() -> set[str]:
            return {r.json["data"]["agent_id"] for r in rx.snapshot() if r.type == "agent.token_issued"}
        try:
            wait_until(lambda: minted <= arrived(), LEASE + 45, f"all {EVENTS} events at the receiver")
        except AssertionError:
            missing = minted - arrived()
            raise AssertionError(f"{len(missing)} of {EVENTS} events never arrived after the restart "
                                 f"(e.g. {sorted(missing)[:5]})") from None
        got = rx.snapshot()
        ids = {r.webhook_id for r in got}
        print(f"all {EVENTS} arrived {time.monotonic() - t1:.1f} s after the restart; "
              f"{len(got)} requests, {len(ids)} distinct webhook-ids")
        assert len(ids) == EVENTS, f"{len(ids)} distinct webhook-ids for {EVENTS} events"

        world2 = AgentWorld(srv2, archon_bin)
        log = Hooks(world2).all_deliveries(hook["id"])
        assert len(log) == EVENTS and {d["event_id"] for d in log} == ids, \
            f"{len(log)} deliveries in the log; event ids not received: {sorted({d['event_id'] for d in log} - ids)[:5]}"
        assert_both_verify([(hook["secret"], r) for r in got[:50]])
        world2.close()
    finally:
        rx.close()


@pytest.mark.timeout(120)
def test_kill_9_during_a_delivery_sends_it_again_after_the_restart(start_server, archon_bin):
    """The server dies while the receiver holds its request (no answer yet): after the restart
    the same event is delivered again. SQLite drops the dead claim at start; PostgreSQL waits for
    its lease (LEASE), so there the wait is longer."""
    rx = Receiver(answers=[Answer(200, delay=6.0), Answer(200)])
    try:
        srv = start_server(config=CONFIG)
        srv.expected_returncodes = {-signal.SIGKILL}
        world = AgentWorld(srv, archon_bin)
        hook = Hooks(world).create(rx.url(), ["agent.token_issued"])
        world.mint(world.user())
        first = rx.wait_for(count=1)[0]  # in flight: the receiver is sitting on it
        srv.stop(signal.SIGKILL)
        held = time.monotonic() - first.at
        assert held < TIMEOUT_MS / 1000, f"killed {held:.2f} s after the request came: not in flight"
        world.close()
        srv2 = start_server(config=CONFIG, args=["--data-dir", str(srv.data_dir)])
        t_restart = time.monotonic()
        again = rx.wait_for(lambda r: r.webhook_id == first.webhook_id, count=2, timeout=LEASE + 15)
        print(f"held {held:.2f} s; delivered again {again[1].at - t_restart:.2f} s after the restart")
        assert again[1].body == first.body
        assert_both_verify([(hook["secret"], r) for r in again])
        world2 = AgentWorld(srv2, archon_bin)
        Hooks(world2).wait_delivery(hook["id"], first.webhook_id, "succeeded")
        world2.close()
    finally:
        rx.close()
