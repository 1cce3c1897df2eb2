"""Read and idle timeouts: a trickling client is dropped within read_timeout of its first byte
while everyone else is served; an idle keep-alive connection is closed after idle_timeout."""
import threading
import time

import pytest

from support import (HIGH_HEALTH_RATE_LIMIT, RawConn, assert_error, get_request, session)

READ_TIMEOUT = 2
IDLE_TIMEOUT = 2
SLACK = 2.0


@pytest.fixture(scope="module")
def timeout_server(module_start_server):
    cfg = {"server": {"read_timeout_seconds": READ_TIMEOUT, "idle_timeout_seconds": IDLE_TIMEOUT}}
    cfg.update(HIGH_HEALTH_RATE_LIMIT)
    return module_start_server(config=cfg)


def trickle(server, prefix: bytes, filler: bytes = b"a", interval: float = 0.5, limit: float = 15.0):
    """Sends `prefix` one byte at a time, then `filler` forever, one byte per `interval`, until the
    server closes the connection. Returns (seconds from first byte to close or None, bytes got)."""
    c = RawConn.to(server, timeout=limit)
    got = b""
    start = time.monotonic()
    data = iter(prefix)
    try:
        while time.monotonic() - start < limit:
            b = next(data, None)
            byte = bytes([b]) if b is not None else filler
            if not c.send(byte, tolerate_reset=True):
                return time.monotonic() - start, got
            closed, chunk = c.wait_closed(interval)
            got += chunk
            if closed:
                return time.monotonic() - start, got
        return None, got
    finally:
        c.close()


def check_dropped(elapsed, got):
    assert elapsed is not None, f"trickling client still connected after 15 s; received {got[:200]!r}"
    assert elapsed <= READ_TIMEOUT + SLACK, f"dropped after {elapsed:.1f}s, want <= {READ_TIMEOUT + SLACK}s"
    assert elapsed >= READ_TIMEOUT - 0.6, f"dropped after {elapsed:.1f}s, before the {READ_TIMEOUT}s read timeout"
    if got:
        assert got.startswith(b"HTTP/1.1 408"), f"data before close is not a 408: {got[:300]!r}"
        assert b'"HTTP_REQUEST_TIMEOUT"' in got, f"408 without the envelope code: {got[:600]!r}"


def test_slowloris_headers_dropped_while_others_served(timeout_server):
    results = {}

    def slow():
        results["slow"] = trickle(timeout_server, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.3)
    ok, statuses = 0, []
    deadline = time.monotonic() + READ_TIMEOUT + SLACK
    for i in range(20):
        with session() as s:
            r = s.get(timeout_server.base_url + "/health", timeout=5)
        statuses.append(r.status_code)
        ok += r.status_code == 200
    served_by = time.monotonic()
    t.join(20)
    assert ok == 20, f"normal requests during the slowloris: {statuses}"
    assert served_by <= deadline + 5, "normal requests were held up by the slowloris"
    check_dropped(*results["slow"])


def test_slowloris_body_dropped(timeout_server):
    elapsed, got = trickle(timeout_server,
                           b"POST /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
    assert elapsed is not None, f"trickling body still connected after 15 s; got {got[:200]!r}"
    assert elapsed <= READ_TIMEOUT + SLACK, f"dropped after {elapsed:.1f}s"
    if got and not got.startswith(b"HTTP/1.1 405"):  # answering 405 early and closing is fine too
        assert got.startswith(b"HTTP/1.1 408"), got[:300]


def test_many_slowloris_clients_do_not_starve_others(timeout_server):
    threads, results = [], []
    for i in range(30):
        t = threading.Thread(target=lambda: results.append(
            trickle(timeout_server, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ", interval=0.5)))
        t.start()
        threads.append(t)
    time.sleep(0.5)
    statuses = []
    for _ in range(10):
        with session() as s:
            statuses.append(s.get(timeout_server.base_url + "/health/live", timeout=5).status_code)
    for t in threads:
        t.join(20)
    assert statuses == [200] * 10, statuses
    assert len(results) == 30
    late = [e for e, _ in results if e is None or e > READ_TIMEOUT + SLACK + 1]
    assert not late, f"{len(late)} trickling clients not dropped in time: {late}"


def test_silent_connection_closed(timeout_server):
    """Connects, never sends a byte: closed after the idle/read timeout."""
    with RawConn.to(timeout_server) as c:
        start = time.monotonic()
        closed, got = c.wait_closed(max(READ_TIMEOUT, IDLE_TIMEOUT) + SLACK + 3)
        elapsed = time.monotonic() - start
    assert closed, "a connection that never sent anything was not closed"
    assert elapsed <= max(READ_TIMEOUT, IDLE_TIMEOUT) + SLACK, f"closed after {elapsed:.1f}s"


def test_idle_keep_alive_closed_after_idle_timeout(timeout_server):
    with RawConn.to(timeout_server) as c:
        c.send(get_request("/health/live"))
        r = c.read_response()
        assert r.status == 200
        start = time.monotonic()
        closed, got = c.wait_closed(IDLE_TIMEOUT + SLACK + 5)
        elapsed = time.monotonic() - start
    assert closed, "idle keep-alive connection not closed"
    assert IDLE_TIMEOUT - 0.6 <= elapsed <= IDLE_TIMEOUT + SLACK, f"idle connection closed after {elapsed:.1f}s"
    assert got == b"" or got.startswith(b"HTTP/1.1 408"), f"unexpected bytes on idle close: {got[:200]!r}"


def test_keep_alive_used_within_idle_timeout_stays_open(timeout_server):
    with RawConn.to(timeout_server) as c:
        for _ in range(4):
            c.send(get_request("/health/live"))
            assert c.read_response().status == 200
            time.sleep(IDLE_TIMEOUT * 0.5)
        c.send(get_request("/health/live"))
        assert c.read_response().status == 200


def test_408_envelope_when_request_incomplete(timeout_server):
    """Half a request, then silence: 408 (or a bare close) within read_timeout + slack."""
    with RawConn.to(timeout_server) as c:
        c.send(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        start = time.monotonic()
        try:
            r = c.read_response(timeout=READ_TIMEOUT + SLACK + 3)
        except Exception as e:  # closed without a response
            r = e
        elapsed = time.monotonic() - start
    assert elapsed <= READ_TIMEOUT + SLACK, f"incomplete request held {elapsed:.1f}s"
    if not isinstance(r, Exception):
        assert_error(r, 408, "HTTP_REQUEST_TIMEOUT")


def test_timeout_server_still_serving(timeout_server):
    with session() as s:
        assert s.get(timeout_server.base_url + "/health", timeout=5).status_code == 200
    assert timeout_server.alive()
