"""Retries: 503/429 and network errors, with backoff, only for idempotent requests. The
misbehaving peer is a tiny local HTTP server (archon-auth cannot be made to answer 503 on
demand); everything else in this suite talks to the real binary."""
from __future__ import annotations

import asyncio
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import AsyncIterator, List, Tuple

import pytest

from archon_auth_client import ArchonAuthClient, ArchonAuthError, AuthConfig

OK = json.dumps({"success": True, "data": {"id": "u", "email": "e@x.io", "name": "n", "roles": []},
                 "error": None, "meta": {}}).encode()
BUSY = json.dumps({"success": False, "data": None, "error": {
    "code": "SYSTEM_SERVICE_UNAVAILABLE", "message": "busy", "details": {}, "trace_id": "req_x"},
    "meta": {}}).encode()


class Flaky:
    """Answers `failures` times with `status` (Retry-After: retry_after), then 200."""

    def __init__(self, failures: int, status: int = 503, retry_after: str | None = "0") -> None:
        self.failures, self.status, self.retry_after = failures, status, retry_after
        self.requests: List[Tuple[str, float]] = []
        self.server: asyncio.AbstractServer | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
            if not head:
                break
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            self.requests.append((head.split(b" ")[0].decode(), time.monotonic()))
            if len(self.requests) <= self.failures:
                extra = f"Retry-After: {self.retry_after}\r\n" if self.retry_after else ""
                status, body = f"{self.status} Busy", BUSY
            else:
                extra, status, body = "", "200 OK", OK
            writer.write(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}"
                         f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
        writer.close()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"


@pytest.fixture
async def flaky_factory() -> AsyncIterator[List[Flaky]]:
    made: List[Flaky] = []
    yield made
    for f in made:
        if f.server:
            f.server.close()


async def _flaky(made: List[Flaky], *args: object) -> Tuple[Flaky, str]:
    f = Flaky(*args)  # type: ignore[arg-type]
    made.append(f)
    return f, await f.start()


async def test_get_retried_on_503_honouring_retry_after(flaky_factory: List[Flaky]) -> None:
    flaky, url = await _flaky(flaky_factory, 2, 503, "1")
    async with ArchonAuthClient(AuthConfig(url, max_retries=3)) as client:
        client.access_token = "t"
        user = await client.get_current_user()
    assert user.email == "e@x.io" and len(flaky.requests) == 3
    gaps = [b[1] - a[1] for a, b in zip(flaky.requests, flaky.requests[1:])]
    assert all(g >= 0.95 for g in gaps), gaps  # Retry-After: 1 was waited for


async def test_429_backoff_without_retry_after_is_exponential(flaky_factory: List[Flaky]) -> None:
    flaky, url = await _flaky(flaky_factory, 3, 429, None)
    async with ArchonAuthClient(AuthConfig(url, max_retries=3, backoff_base=0.1)) as client:
        await client.get_sessions()
    times = [t for _, t in flaky.requests]
    gaps = [b - a for a, b in zip(times, times[1:])]
    # attempt n waits in [base*2^n/2, base*2^n]: 0.05-0.1, 0.1-0.2, 0.2-0.4 (upper bounds loose:
    # a loaded CI machine may be slow, never fast)
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1 and gaps[2] >= 0.2, gaps
    assert gaps[2] < 2.0, gaps


async def test_post_is_not_retried(flaky_factory: List[Flaky]) -> None:
    flaky, url = await _flaky(flaky_factory, 1, 503, "0")
    async with ArchonAuthClient(AuthConfig(url, max_retries=3)) as client:
        with pytest.raises(ArchonAuthError) as err:
            await client.authenticate_agent("code_implementer", ["file:read"])
    assert len(flaky.requests) == 1
    assert (err.value.status, err.value.code, err.value.retry_after) == (503, "SYSTEM_SERVICE_UNAVAILABLE", 0)


async def test_gives_up_after_max_retries(flaky_factory: List[Flaky]) -> None:
    flaky, url = await _flaky(flaky_factory, 10, 503, "0")
    async with ArchonAuthClient(AuthConfig(url, max_retries=2)) as client:
        with pytest.raises(ArchonAuthError) as err:
            await client.get_sessions()
    assert len(flaky.requests) == 3 and err.value.status == 503


async def test_connection_refused_is_retried_then_network_error() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    async with ArchonAuthClient(AuthConfig(f"http://127.0.0.1:{port}", max_retries=2,
                                           backoff_base=0.05)) as client:
        start = time.monotonic()
        with pytest.raises(ArchonAuthError) as err:
            await client.login({"email": "a@b.io", "password": "x"})  # a POST: nothing was sent
    assert err.value.code == "NETWORK_ERROR" and err.value.status is None
    assert time.monotonic() - start >= 0.05  # it backed off between the three attempts


async def test_sync_client_retries_too(flaky_factory: List[Flaky]) -> None:
    from archon_auth_client import SyncArchonAuthClient

    flaky, url = await _flaky(flaky_factory, 1, 503, "0")
    loop = asyncio.get_running_loop()

    def call() -> str:
        with SyncArchonAuthClient(AuthConfig(url, max_retries=2)) as client:
            return client.get_current_user().email

    # Its own pool, shut down here: no worker thread may outlive the test.
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert await loop.run_in_executor(pool, call) == "e@x.io"
    assert len(flaky.requests) == 2


async def test_a_long_retry_after_is_not_slept_through(flaky_factory: List[Flaky]) -> None:
    flaky, url = await _flaky(flaky_factory, 5, 429, "900")
    async with ArchonAuthClient(AuthConfig(url, max_retries=3)) as client:
        start = time.monotonic()
        with pytest.raises(ArchonAuthError) as err:
            await client.get_sessions()
    assert time.monotonic() - start < 5 and len(flaky.requests) == 1
    assert (err.value.status, err.value.retry_after) == (429, 900)
