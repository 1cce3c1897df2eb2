"""Helpers shared by the black-box API tests: a raw HTTP/1.1 client for requests that must be
malformed or precisely framed, an HTTP session that ignores proxy settings, and assertions on
the spec's response envelope and security headers (docs/http-conventions.md)."""
from __future__ import annotations

import json
import re
import select
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import requests

API_VERSION = "2.0.0"
DOCS_BASE = "https://docs.archon.ai/errors/"

# The six security headers of the spec, exact values (docs/http-conventions.md).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-XSS-Protection": "1; mode=block",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}

GENERATED_REQUEST_ID = re.compile(r"^req_[0-9a-fA-F]{24}$")
ISO_UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")

# Config that lifts the spec's 60/minute health-check tier, for tests that call /health far
# more often than that (concurrency, timeouts): they test the HTTP layer, not the limiter.
HIGH_HEALTH_RATE_LIMIT = {"rate_limits": {"public": {"health_check": {"per_ip": "1000000/minute"}}}}


def doc_url(code: str) -> str:
    return DOCS_BASE + code.lower().replace("_", "-")


def session() -> requests.Session:
    """A requests session that never goes through a proxy from the environment."""
    s = requests.Session()
    s.trust_env = False
    return s


def http(server, method: str, path: str, **kwargs) -> requests.Response:
    """One request on a fresh connection."""
    kwargs.setdefault("timeout", 10)
    kwargs.setdefault("allow_redirects", False)
    with session() as s:
        return s.request(method, server.base_url + path, **kwargs)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------- raw HTTP


@dataclass
class RawResponse:
    status: int
    reason: str
    version: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    raw_head: bytes = b""

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def has_header(self, name: str) -> bool:
        return self.header(name) is not None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self) -> str:
        return (f"RawResponse({self.status} {self.reason!r}, headers={self.headers!r}, "
                f"body={self.body[:300]!r})")


class ConnectionClosed(Exception):
    pass


class RawConn:
    """A plain TCP connection speaking hand-written HTTP/1.1."""

    def __init__(self, host: str, port: int, timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""

    @classmethod
    def to(cls, server, timeout: float = 10.0) -> "RawConn":
        return cls(server.host, server.port, timeout)

    def send(self, data: bytes, tolerate_reset: bool = False) -> bool:
        """Sends all of data. With tolerate_reset, a peer that closed early is not an error
        (returns False): the server may answer 413/431 and close before reading everything."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            if tolerate_reset:
                return False
            raise

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out waiting for the server's response")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout as e:
            raise TimeoutError("timed out waiting for the server's response") from e
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise ConnectionClosed(f"connection closed; buffered {self.buf[:200]!r}")
        self.buf += chunk

    def _read_exact(self, n: int, deadline: float) -> bytes:
        while len(self.buf) < n:
            self._fill(deadline)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _read_line(self, deadline: float) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_response(self, head: bool = False, timeout: float | None = None) -> RawResponse:
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while b"\r\n\r\n" not in self.buf:
            self._fill(deadline)
        raw_head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw_head.decode("latin-1").split("\r\n")
        m = re.match(r"^(HTTP/\d\.\d) (\d{3})(?: (.*))?$", lines[0])
        if not m:
            raise AssertionError(f"bad status line from server: {lines[0]!r}")
        resp = RawResponse(status=int(m.group(2)), reason=m.group(3) or "", version=m.group(1),
                           raw_head=raw_head)
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise AssertionError(f"bad header line from server: {line!r}")
            resp.headers.append((name.strip(), value.strip()))
        if head or resp.status in (204, 304) or 100 <= resp.status < 200:
            return resp
        te = (resp.header("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            body = b""
            while True:
                size = int(self._read_line(deadline).split(b";")[0].strip(), 16)
                if size == 0:
                    while self._read_line(deadline) != b"":
                        pass
                    break
                body += self._read_exact(size, deadline)
                self._read_exact(2, deadline)
            resp.body = body
        elif resp.header("Content-Length") is not None:
            resp.body = self._read_exact(int(resp.header("Content-Length")), deadline)
        else:  # read until close
            try:
                while True:
                    self._fill(deadline)
            except ConnectionClosed:
                pass
            resp.body, self.buf = self.buf, b""
        return resp

    def wait_closed(self, timeout: float) -> tuple[bool, bytes]:
        """Waits until the server closes the connection. Returns (closed, bytes received
        meanwhile). Closed means EOF or a reset."""
        deadline = time.monotonic() + timeout
        got = b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False, got
            r, _, _ = select.select([self.sock], [], [], remaining)
            if not r:
                return False, got
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                return True, got
            if not chunk:
                return True, got
            got += chunk

    def nothing_more(self, wait: float = 0.3) -> bytes:
        """Returns whatever arrives within `wait` seconds (expected: nothing)."""
        extra = self.buf
        r, _, _ = select.select([self.sock], [], [], wait)
        if r:
            try:
                extra += self.sock.recv(65536)
            except ConnectionResetError:
                pass
        return extra

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def raw_request(server, data: bytes, head: bool = False, timeout: float = 10.0,
                tolerate_reset: bool = False) -> RawResponse:
    """Sends `data` on a new connection and reads one response."""
    with RawConn.to(server, timeout) as c:
        c.send(data, tolerate_reset=tolerate_reset)
        return c.read_response(head=head)


def get_request(path: str, headers: dict | None = None, method: str = "GET") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# ----------------------------------------------------------------------------- assertions


def header_of(resp, name: str) -> str | None:
    if isinstance(resp, RawResponse):
        return resp.header(name)
    return resp.headers.get(name)


def body_json(resp):
    if isinstance(resp, RawResponse):
        return resp.json()
    return resp.json()


def status_of(resp) -> int:
    return resp.status if isinstance(resp, RawResponse) else resp.status_code


def parse_iso8601(text: str) -> datetime:
    t = text[:-1] + "+00:00" if text.endswith("Z") else text
    # Python 3.11 accepts up to microseconds; trim longer fractions.
    t = re.sub(r"(\.\d{6})\d+", r"\1", t)
    dt = datetime.fromisoformat(t)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt


def assert_meta(meta: dict, request_id: str | None = None) -> None:
    assert isinstance(meta, dict), f"meta is not an object: {meta!r}"
    ts = meta.get("timestamp")
    assert isinstance(ts, str) and ISO_UTC_Z.match(ts), f"meta.timestamp not ISO 8601 UTC with Z: {ts!r}"
    delta = abs((parse_iso8601(ts) - datetime.now(timezone.utc)).total_seconds())
    assert delta < 120, f"meta.timestamp {ts} is {delta:.0f}s away from now"
    assert meta.get("version") == API_VERSION, f"meta.version: {meta.get('version')!r}"
    rid = meta.get("request_id")
    assert isinstance(rid, str) and rid, f"meta.request_id: {rid!r}"
    if request_id is not None:
        assert rid == request_id, f"meta.request_id {rid!r} != {request_id!r}"
    perf = meta.get("performance")
    assert isinstance(perf, dict), f"meta.performance: {perf!r}"
    rt = perf.get("response_time_ms")
    assert isinstance(rt, (int, float)) and not isinstance(rt, bool) and rt >= 0, \
        f"meta.performance.response_time_ms: {rt!r}"
    assert isinstance(perf.get("cache_hit"), bool), f"meta.performance.cache_hit: {perf.get('cache_hit')!r}"


def assert_json_content_type(resp) -> None:
    ct = header_of(resp, "Content-Type") or ""
    assert ct.split(";")[0].strip().lower() == "application/json", f"Content-Type: {ct!r}"


def assert_success(resp, status: int = 200) -> dict:
    """Asserts a success envelope; returns the parsed body."""
    assert status_of(resp) == status, f"status {status_of(resp)} != {status}; body: {_body_text(resp)}"
    assert_json_content_type(resp)
    body = body_json(resp)
    assert set(body) >= {"success", "data", "error", "meta"}, f"envelope keys: {sorted(body)}"
    assert body["success"] is True, body
    assert body["error"] is None, body
    assert_meta(body["meta"], header_of(resp, "X-Request-ID"))
    return body


def assert_error(resp, status: int, code: str) -> dict:
    """Asserts an error envelope with this status and code; returns the parsed body."""
    assert status_of(resp) == status, \
        f"expected {status} {code}, got {status_of(resp)}; body: {_body_text(resp)}"
    assert_json_content_type(resp)
    body = body_json(resp)
    assert set(body) >= {"success", "data", "error", "meta"}, f"envelope keys: {sorted(body)}"
    assert body["success"] is False, body
    assert body["data"] is None, body
    err = body["error"]
    assert isinstance(err, dict), body
    assert err.get("code") == code, f"error.code {err.get('code')!r} != {code!r}"
    assert isinstance(err.get("message"), str) and err["message"], f"error.message: {err.get('message')!r}"
    assert isinstance(err.get("details"), dict), f"error.details is not an object: {err.get('details')!r}"
    assert err.get("documentation_url") == doc_url(code), \
        f"documentation_url {err.get('documentation_url')!r} != {doc_url(code)!r}"
    assert_meta(body["meta"])
    rid = header_of(resp, "X-Request-ID")
    assert err.get("trace_id") == body["meta"]["request_id"], \
        f"trace_id {err.get('trace_id')!r} != meta.request_id {body['meta']['request_id']!r}"
    assert rid == body["meta"]["request_id"], f"X-Request-ID header {rid!r} != meta.request_id"
    return body


def assert_security_headers(resp, json_response: bool = True) -> None:
    for name, value in SECURITY_HEADERS.items():
        got = header_of(resp, name)
        assert got == value, f"{name}: expected {value!r}, got {got!r}"
    if json_response:
        got = header_of(resp, "Cache-Control")
        assert got == "no-store", f"Cache-Control: expected 'no-store', got {got!r}"


def assert_serves(server) -> None:
    """The server is still up and answers /health with 200."""
    assert server.proc.poll() is None, f"server exited with {server.proc.returncode}"
    r = http(server, "GET", "/health")
    assert r.status_code == 200, f"/health after the hostile case: {r.status_code} {r.text[:300]}"


def token_set(value: str | None) -> set[str]:
    return {t.strip().lower() for t in (value or "").split(",") if t.strip()}


def _body_text(resp) -> str:
    b = resp.body if isinstance(resp, RawResponse) else resp.content
    return b[:500].decode("utf-8", "replace")
