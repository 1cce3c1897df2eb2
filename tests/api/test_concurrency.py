"""1,000 concurrent connections, each with a GET /health: all answered 200, server stays up."""
import asyncio
import json
import resource
import time

import pytest

from support import HIGH_HEALTH_RATE_LIMIT, assert_serves

N = 1000


def raise_nofile(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft >= need, f"RLIMIT_NOFILE is {soft}, need {need} (hard limit {hard})"


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


async def storm(host: str, port: int, n: int) -> list:
    conns = []
    # Open every connection first, so that all n are open at the same time.
    async def connect(i):
        for attempt in range(3):
            try:
                return await asyncio.wait_for(asyncio.open_connection(host, port), 10)
            except (OSError, asyncio.TimeoutError):
                if attempt == 2:
                    raise
                await asyncio.sleep(0.2)
    conns = await asyncio.gather(*(connect(i) for i in range(n)), return_exceptions=True)
    failed = [c for c in conns if isinstance(c, BaseException)]
    assert not failed, f"{len(failed)} of {n} connections failed to open: {failed[:3]!r}"

    async def one(i, rw):
        reader, writer = rw
        writer.write(f"GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: conc-{i}\r\n\r\n".encode())
        await writer.drain()
        status, headers, body = await asyncio.wait_for(read_response(reader), 30)
        return i, status, headers.get("x-request-id"), body

    results = await asyncio.gather(*(one(i, rw) for i, rw in enumerate(conns)), return_exceptions=True)
    for _, writer in conns:
        writer.close()
    await asyncio.gather(*(w.wait_closed() for _, w in conns), return_exceptions=True)
    return results


@pytest.mark.timeout(120)
def test_thousand_concurrent_connections(start_server):
    raise_nofile(N + 200)
    srv = start_server(config=HIGH_HEALTH_RATE_LIMIT)  # started after the raise: it inherits it
    t0 = time.monotonic()
    results = asyncio.run(storm(srv.host, srv.port, N))
    elapsed = time.monotonic() - t0
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, f"{len(errors)} of {N} requests failed, e.g. {errors[:3]!r}"
    bad = [(i, s) for i, s, _, _ in results if s != 200]
    assert not bad, f"{len(bad)} of {N} not 200: {bad[:10]}"
    wrong_id = [(i, rid) for i, _, rid, _ in results if rid != f"conc-{i}"]
    assert not wrong_id, f"responses crossed connections: {wrong_id[:5]}"
    for i, _, _, body in results[:: max(1, N // 20)]:
        assert json.loads(body)["success"] is True
    assert elapsed < 60, f"{N} concurrent requests took {elapsed:.1f}s"
    assert_serves(srv)


@pytest.mark.timeout(120)
def test_thousand_connections_then_server_still_healthy_and_exits_cleanly(start_server):
    raise_nofile(N + 200)
    srv = start_server(config=HIGH_HEALTH_RATE_LIMIT)
    results = asyncio.run(storm(srv.host, srv.port, N))
    assert all(not isinstance(r, BaseException) and r[1] == 200 for r in results)
    # A second wave on the same server: nothing leaked from the first.
    results = asyncio.run(storm(srv.host, srv.port, N))
    assert all(not isinstance(r, BaseException) and r[1] == 200 for r in results)
    assert_serves(srv)
    assert srv.stop() == 0, f"exit code after the storms: {srv.returncode}"


def test_max_connections_refuses_extra_at_accept(start_server):
    from support import RawConn, get_request
    srv = start_server(config={"server": {"max_connections": 5}})
    held = [RawConn.to(srv) for _ in range(5)]
    try:
        for c in held:  # all five are really being served
            c.send(get_request("/health/live"))
            assert c.read_response().status == 200
        extra = RawConn.to(srv)
        closed, got = extra.wait_closed(3)
        extra.close()
        assert closed, "a 6th connection with max_connections 5 was not closed at accept"
        assert got == b"", f"the refused connection got data: {got[:200]!r}"
        held.pop().close()
        deadline = time.monotonic() + 3
        while True:  # the server notices the close asynchronously
            c = RawConn.to(srv)
            try:
                c.send(get_request("/health/live"), tolerate_reset=True)
                r = c.read_response(timeout=2)
                c.close()
                assert r.status == 200
                break
            except Exception:
                c.close()
                if time.monotonic() > deadline:
                    raise AssertionError("after one of 5 connections closed, a new one is still refused")
                time.sleep(0.1)
    finally:
        for c in held:
            c.close()


def test_single_io_thread_serves(start_server):
    srv = start_server(config={"server": {"threads": 1}, **HIGH_HEALTH_RATE_LIMIT})
    results = asyncio.run(storm(srv.host, srv.port, 200))
    assert all(not isinstance(r, BaseException) and r[1] == 200 for r in results), \
        [r for r in results if isinstance(r, BaseException) or r[1] != 200][:3]
