"""Hostile and malformed HTTP: body and header limits, bad request lines, bad framing.
Each case answers a 4xx in the envelope (never a 5xx, a crash or a hang) and the server keeps
serving /health."""
import pytest

from support import RawConn, assert_error, assert_serves, get_request, http

KIB = 1024
LIMIT = 64 * KIB


def post(path: str, body: bytes, extra: str = "") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n").encode() + body


def post_chunked(path: str, total: int, chunk: int = 16 * KIB) -> bytes:
    out = [f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           f"Transfer-Encoding: chunked\r\n\r\n".encode()]
    left = total
    while left > 0:
        n = min(chunk, left)
        out.append(f"{n:x}\r\n".encode() + b"a" * n + b"\r\n")
        left -= n
    out.append(b"0\r\n\r\n")
    return b"".join(out)


def send_and_read(server, data: bytes, expect_close: bool = False):
    with RawConn.to(server) as c:
        c.send(data, tolerate_reset=True)
        r = c.read_response()
        closed = c.wait_closed(3)[0] if expect_close else None
    return r, closed


# ---- body size

def test_body_over_limit_content_length_is_413(server):
    r, closed = send_and_read(server, post("/health", b"a" * (LIMIT + 1)), expect_close=True)
    body = assert_error(r, 413, "REQUEST_BODY_TOO_LARGE")
    assert body["error"]["documentation_url"] == "https://docs.archon.ai/errors/request-body-too-large"
    assert closed, "connection not closed after 413"
    assert_serves(server)


def test_body_over_limit_announced_only_is_413(server):
    """Content-Length far above the limit, body never sent: answered at once, not after a wait."""
    with RawConn.to(server, timeout=5) as c:
        c.send(b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n")
        r = c.read_response(timeout=5)
    assert_error(r, 413, "REQUEST_BODY_TOO_LARGE")
    assert_serves(server)


def test_body_over_limit_chunked_is_413(server):
    r, closed = send_and_read(server, post_chunked("/health", LIMIT + 1), expect_close=True)
    assert_error(r, 413, "REQUEST_BODY_TOO_LARGE")
    assert closed, "connection not closed after 413"
    assert_serves(server)


def test_body_over_limit_via_requests_client(server):
    """A well-behaved client that sends the whole body before reading gets the 413."""
    r = http(server, "POST", "/health", data=b"a" * (LIMIT + 1), headers={"Content-Type": "application/json"})
    assert_error(r, 413, "REQUEST_BODY_TOO_LARGE")


def test_body_at_limit_is_not_413(server):
    r, _ = send_and_read(server, post("/health", b"a" * LIMIT))
    assert_error(r, 405, "HTTP_METHOD_NOT_ALLOWED")


def test_body_at_limit_chunked_is_not_413(server):
    r, _ = send_and_read(server, post_chunked("/health", LIMIT))
    assert_error(r, 405, "HTTP_METHOD_NOT_ALLOWED")


def test_body_limit_follows_config(start_server):
    srv = start_server(config={"server": {"max_body_bytes": 1024}})
    r, closed = send_and_read(srv, post("/health", b"a" * 1025), expect_close=True)
    assert_error(r, 413, "REQUEST_BODY_TOO_LARGE")
    assert closed
    r, _ = send_and_read(srv, post("/health", b"a" * 1024))
    assert_error(r, 405, "HTTP_METHOD_NOT_ALLOWED")
    r, _ = send_and_read(srv, post_chunked("/health", 1025, chunk=500))
    assert_error(r, 413, "REQUEST_BODY_TOO_LARGE")
    r, _ = send_and_read(srv, post("/health", b"a" * 2000))
    assert_error(r, 413, "REQUEST_BODY_TOO_LARGE")
    assert_serves(srv)


# ---- header size

def test_header_block_over_8k_is_431(server):
    r, closed = send_and_read(server, get_request("/health", {"X-Big": "a" * (9 * KIB)}), expect_close=True)
    body = assert_error(r, 431, "REQUEST_HEADERS_TOO_LARGE")
    assert body["error"]["documentation_url"] == "https://docs.archon.ai/errors/request-headers-too-large"
    assert closed, "connection not closed after 431"
    assert_serves(server)


def test_many_small_headers_over_8k_is_431(server):
    headers = {f"X-H{i}": "v" * 100 for i in range(100)}
    r, _ = send_and_read(server, get_request("/health", headers))
    assert_error(r, 431, "REQUEST_HEADERS_TOO_LARGE")
    assert_serves(server)


def test_long_target_over_8k_is_431(server):
    r, _ = send_and_read(server, get_request("/" + "a" * (9 * KIB)))
    assert_error(r, 431, "REQUEST_HEADERS_TOO_LARGE")
    assert_serves(server)


def test_huge_header_block_is_431_not_a_hang(server):
    with RawConn.to(server, timeout=5) as c:
        c.send(b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-Flood: " + b"b" * (200 * KIB) + b"\r\n\r\n",
               tolerate_reset=True)
        r = c.read_response(timeout=5)
    assert_error(r, 431, "REQUEST_HEADERS_TOO_LARGE")
    assert_serves(server)


def test_header_block_under_8k_is_fine(server):
    r, _ = send_and_read(server, get_request("/health/live", {"X-Big": "a" * (6 * KIB)}))
    assert r.status == 200, r


# ---- malformed requests

BAD_REQUESTS = {
    "garbage-line": b"GARBAGE\r\n\r\n",
    "binary-garbage": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 + b"\r\n\r\n",
    "no-version": b"GET /health\r\n\r\n",
    "bad-version": b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
    "space-in-target": b"GET /hea lth HTTP/1.1\r\nHost: x\r\n\r\n",
    "header-no-colon": b"GET /health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n",
    "header-space-before-colon": b"GET /health HTTP/1.1\r\nHost: x\r\nX-Bad : y\r\n\r\n",
    "nul-in-header-value": b"GET /health HTTP/1.1\r\nHost: x\r\nX-Test: a\x00b\r\n\r\n",
    "nul-in-header-name": b"GET /health HTTP/1.1\r\nHost: x\r\nX-Te\x00st: ab\r\n\r\n",
    "nul-in-target": b"GET /hea\x00lth HTTP/1.1\r\nHost: x\r\n\r\n",
    "cl-not-a-number": b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    "cl-negative": b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    "cl-hex": b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n" + b"a" * 16,
    "cl-two-different": b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef",
    "cl-overflow": b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
    "bad-chunk-size": b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    "chunk-size-overflow": (b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"ffffffffffffffffffff\r\nabc\r\n0\r\n\r\n"),
    "bad-chunk-terminator": (b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"3\r\nabcXX0\r\n\r\n"),
    "unknown-transfer-encoding": (b"POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
                                  b"abc"),
    "bare-lf-garbage": b"\n\n\n\nxx yy zz\n\n",
    "control-char-in-target": b"GET /he\x01alth HTTP/1.1\r\nHost: x\r\n\r\n",
}


@pytest.mark.parametrize("name", list(BAD_REQUESTS))
def test_malformed_request_is_400(server, name):
    r, closed = send_and_read(server, BAD_REQUESTS[name], expect_close=True)
    assert_error(r, 400, "HTTP_BAD_REQUEST")
    assert closed, f"{name}: connection not closed after 400 for an unparseable request"
    assert_serves(server)


def test_content_length_and_chunked_together(server):
    """RFC 9112 6.3: reject, or process by Transfer-Encoding; either way close afterwards."""
    data = (b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n0\r\n\r\n")
    r, closed = send_and_read(server, data, expect_close=True)
    assert r.status in (400, 405), r
    assert_error(r, r.status, "HTTP_BAD_REQUEST" if r.status == 400 else "HTTP_METHOD_NOT_ALLOWED")
    assert closed, "connection not closed after a request with both Content-Length and chunked"
    assert_serves(server)


def test_request_smuggling_second_request_not_served(server):
    """The bytes after a rejected request must not be parsed as a new request."""
    data = (b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 44\r\n\r\n"
            b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
    with RawConn.to(server) as c:
        c.send(data, tolerate_reset=True)
        r = c.read_response()
        closed, extra = c.wait_closed(3)
    assert_error(r, 400, "HTTP_BAD_REQUEST")
    assert b"HTTP/1.1 200" not in extra, f"a smuggled request was served: {extra[:200]!r}"
    assert closed


def test_incomplete_then_close_does_not_crash(server):
    for data in [b"GET /health HTTP/1.1\r\nHo", b"POST /health HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc",
                 b"POST /health HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc"]:
        c = RawConn.to(server)
        c.send(data)
        c.close()
    assert_serves(server)


def test_connect_and_close_without_sending(server):
    for _ in range(20):
        RawConn.to(server).close()
    assert_serves(server)


def test_absolute_form_and_odd_targets_do_not_5xx(server):
    for target in [b"http://127.0.0.1/health", b"*", b"//health", b"/health?%zz", b"/%00", b"/%ff%fe",
                   b"/health#frag", b"/" + b"%2e%2e/" * 50]:
        r, _ = send_and_read(server, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert 400 <= r.status < 500 or r.status == 200, f"{target!r}: {r.status}"
        assert r.json()["success"] is (r.status == 200), f"{target!r}: {r.body[:200]!r}"
    assert_serves(server)


def test_still_serving(server):
    assert_serves(server)
