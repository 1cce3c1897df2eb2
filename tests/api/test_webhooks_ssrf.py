"""SSRF guards of webhook endpoints (issue 22 part 1, "What it must show", third bullet).

Without `webhooks.allow_networks`, registering a URL that is not http(s), carries userinfo or a
fragment, cannot be resolved, or resolves to a loopback/private/link-local/CGNAT/multicast/reserved
address (v4, v6, v4-mapped, NAT64) is refused with 422 details.url; listeners on the loopback port
prove nothing connected. And the check holds at delivery time too: an endpoint registered while an
allow-list admitted it is not connected to once the server runs without it."""
import select
import socket

import pytest

from agent_support import AgentWorld
from support import assert_error
from webhook_support import Hooks, Receiver, wait_until, webhook_config

PUBLIC = "93.184.216.34"  # a public address literal: accepted without DNS (the positive control)


class Listener:
    """Listening sockets on one port of 127.0.0.1 and ::1: any connection is recorded."""

    def __init__(self):
        self.v4 = socket.create_server(("127.0.0.1", 0))
        self.port = self.v4.getsockname()[1]
        self.socks = [self.v4]
        try:
            self.socks.append(socket.create_server(("::1", self.port), family=socket.AF_INET6))
        except OSError:
            pass  # no IPv6 loopback here: [::1] is still refused, only unobserved

    def connections(self, timeout: float) -> list[str]:
        """Peers that connected to any of the sockets within `timeout` s."""
        seen = []
        ready, _, _ = select.select(self.socks, [], [], timeout)
        for s in ready:
            conn, peer = s.accept()
            seen.append(str(peer))
            conn.close()
        return seen

    def close(self):
        for s in self.socks:
            s.close()


@pytest.fixture(scope="module")
def world(module_start_server, archon_bin):
    cfg = webhook_config({"allow_networks": []})  # the defaults: nothing internal allowed
    w = AgentWorld(module_start_server(config=cfg), archon_bin)
    yield w
    w.close()


@pytest.fixture
def listener():
    lst = Listener()
    with socket.create_connection(("127.0.0.1", lst.port), timeout=2):  # the listener can see one
        assert len(lst.connections(timeout=2)) == 1
    yield lst
    lst.close()


def internal_urls(port: int) -> list[str]:
    return [
        "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", f"http://[::1]:{port}/",
        f"http://127.0.0.1:{port}/", f"http://localhost:{port}/hook", f"http://0.0.0.0:{port}/",
        f"http://127.1:{port}/", f"http://2130706433:{port}/", f"http://[::ffff:127.0.0.1]:{port}/",
        "http://[::ffff:169.254.169.254]/", "http://[64:ff9b::a9fe:a9fe]/", "http://100.64.0.1/",
        "http://192.168.1.1/", "http://172.16.0.1/", "http://224.0.0.1/", "http://[fe80::1]/",
        "http://[fc00::1]/", "http://[::]/", "http://240.0.0.1/", "http://[2002:7f00:1::1]/",
        "http://192.0.2.1/", "http://198.18.0.1/", "http://[2001:db8::1]/",
    ]


MALFORMED = [f"ftp://{PUBLIC}/", f"http://a:b@{PUBLIC}/", f"http://user@{PUBLIC}/", f"http://{PUBLIC}/#frag",
             "file:///etc/passwd", "gopher://127.0.0.1/", "javascript:alert(1)", "http://",
             "http://no-such-host.invalid/", "//example.com/", "not a url"]


def assert_url_refused(hooks: Hooks, url: str):
    body = assert_error(hooks.create_raw({"url": url, "event_types": ["*"]}), 422,
                        "VALIDATION_CONSTRAINT_VIOLATION")
    assert "url" in (body["error"].get("details") or {}), f"{url}: {body['error']}"


def test_internal_addresses_are_refused_and_nothing_connects(world, listener):
    hooks = Hooks(world)
    for url in internal_urls(listener.port):
        assert_url_refused(hooks, url)
    # an event after the refusals: had any endpoint been stored, its delivery would connect now
    world.mint(world.user())
    assert listener.connections(timeout=1.5) == [], "something connected to the loopback listener"
    assert hooks.list().json()["data"] == []


def test_scheme_userinfo_fragment_and_unresolvable_are_refused(world):
    hooks = Hooks(world)
    for url in MALFORMED:
        assert_url_refused(hooks, url)
    # the control: the same public address, plain, is accepted (so the refusals above are for
    # the scheme, the userinfo, the fragment, not for the address)
    ep = hooks.create(f"http://{PUBLIC}/hook", ["user.locked"])
    hooks.cleanup()
    assert ep["url"] == f"http://{PUBLIC}/hook"


def test_patch_to_an_internal_url_is_refused(world):
    hooks = Hooks(world)
    ep = hooks.create(f"https://{PUBLIC}/hook", ["user.locked"])
    try:
        r = hooks.patch(ep["id"], {"url": "http://169.254.169.254/"})
        body = assert_error(r, 422, "VALIDATION_CONSTRAINT_VIOLATION")
        assert "url" in body["error"]["details"], body
        assert hooks.endpoint(ep["id"])["url"] == f"https://{PUBLIC}/hook"
    finally:
        hooks.cleanup()


def test_the_check_holds_at_delivery_time(start_server, archon_bin):
    """Registered while the allow-list admitted loopback; the server restarted without it (as if
    the name now resolved elsewhere) must not connect: the attempt fails, nothing arrives."""
    rx = Receiver()
    try:
        first = start_server(config=webhook_config())
        w1 = AgentWorld(first, archon_bin)
        hook_id = Hooks(w1).create(rx.url(), ["agent.token_issued"])["id"]
        w1.close()
        first.stop()
        again = start_server(config=webhook_config({"allow_networks": []}),
                             args=["--data-dir", str(first.data_dir)])
        w2 = AgentWorld(again, archon_bin)
        hooks = Hooks(w2)
        w2.mint(w2.user())
        d = wait_until(lambda: next((x for x in hooks.deliveries(hook_id) if x["attempt_log"]), None),
                       10, "a first attempt in the delivery log")
        first_attempt = d["attempt_log"][0]
        assert first_attempt["status_code"] is None, first_attempt
        assert "destination address not allowed" in (first_attempt["error"] or ""), first_attempt
        assert rx.snapshot() == [], "the receiver was connected to"
        w2.close()
    finally:
        rx.close()
