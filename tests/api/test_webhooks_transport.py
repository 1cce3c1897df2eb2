"""How deliveries travel (issue 22 part 1; docs/webhooks.md): proxies from the environment are
never used, a receiver slower than timeout_ms fails the attempt (bounded, logged, retried), a
huge 2xx answer is a success, and deleting an endpoint stops its retries."""
import select
import socket
import time

import pytest

from agent_support import AgentWorld
from webhook_support import Answer, Hooks, Receiver, webhook_config

TIMEOUT_MS = 1000


@pytest.fixture(scope="module")
def proxy():
    """A listening socket named as the proxy in every proxy variable: nothing may connect."""
    s = socket.create_server(("127.0.0.1", 0))
    yield s
    s.close()


@pytest.fixture(scope="module")
def world(module_start_server, archon_bin, proxy):
    url = f"http://127.0.0.1:{proxy.getsockname()[1]}"
    env = {name: url for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                                  "ALL_PROXY", "all_proxy")}
    env.update({"NO_PROXY": "", "no_proxy": ""})
    cfg = webhook_config({"timeout_ms": TIMEOUT_MS, "connect_timeout_ms": TIMEOUT_MS})
    w = AgentWorld(module_start_server(config=cfg, env=env), archon_bin)
    yield w
    w.close()


@pytest.fixture
def hooks(world):
    h = Hooks(world)
    yield h
    h.cleanup()


def test_proxies_from_the_environment_are_not_used(world, hooks, proxy):
    rx = Receiver()
    try:
        ep = hooks.create(rx.url(), ["agent.token_issued"])
        world.mint(world.user())
        rec = rx.wait_for(count=1)[0]
        hooks.wait_delivery(ep["id"], rec.webhook_id, "succeeded")
        ready, _, _ = select.select([proxy], [], [], 0.2)
        assert not ready, "the delivery went through the proxy named in the environment"
    finally:
        rx.close()


def test_a_slow_receiver_fails_the_attempt_at_the_timeout(world, hooks):
    rx = Receiver(answers=[Answer(200, delay=6.0), Answer(200)])
    try:
        ep = hooks.create(rx.url(), ["agent.token_issued"])
        world.mint(world.user())
        got = rx.wait_for(count=2, timeout=10)
        assert got[0].webhook_id == got[1].webhook_id
        # the second attempt came before the slow answer would have: the first was cut off. The gap is
        # the 1 s timeout, the 1 s +-20% wait rounded up to the store's next whole second, and a poll.
        assert got[1].at - got[0].at < 5.0, got[1].at - got[0].at
        d = hooks.wait_delivery(ep["id"], got[0].webhook_id, "succeeded")
        first, second = d["attempt_log"][:2]
        assert first["status_code"] is None and first["error"], first
        assert TIMEOUT_MS * 0.9 <= first["latency_ms"] < 2900, first
        assert second["status_code"] == 200 and second["error"] is None, second
    finally:
        rx.close()


def test_deleting_an_endpoint_stops_its_retries(world, hooks):
    rx = Receiver(answers=[Answer(500)])
    try:
        ep = hooks.create(rx.url(), ["agent.token_issued"])
        world.mint(world.user())
        rx.wait_for(count=1)
        assert hooks.delete(ep["id"]).status_code == 204
        hooks.created.remove(ep["id"])
        n = len(rx.snapshot())  # an attempt already under way may still land: at most one more
        time.sleep(2.5)  # two and a half steps of the 1 s schedule
        assert len(rx.snapshot()) <= n + 1, f"{len(rx.snapshot()) - n} attempts after the delete"
    finally:
        rx.close()


def test_a_huge_2xx_answer_is_a_success(world, hooks):
    """docs/webhooks.md: at most max_response_bytes (64 KiB) of the answer is read and the status
    decides, so a 2xx with 4 MiB of body is a success (whether the rest was read is not visible
    from here: loopback socket buffers may swallow it). Also: the User-Agent the docs show."""
    rx = Receiver(answers=[Answer(200, body=b"x" * (4 << 20))])
    try:
        ep = hooks.create(rx.url(), ["agent.token_issued"])
        world.mint(world.user())
        rec = rx.wait_for(count=1)[0]
        assert rec.headers.get("user-agent", "").startswith("archon-auth-webhooks/"), rec.headers
        d = hooks.wait_delivery(ep["id"], rec.webhook_id, "succeeded")
        assert d["attempts"] == 1 and d["attempt_log"][0]["status_code"] == 200, d
    finally:
        rx.close()
