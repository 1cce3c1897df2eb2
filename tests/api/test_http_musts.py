"""What HTTP itself requires of every answer, checked on raw sockets (issue 18, item 6):
a Date header (RFC 9110 §6.6.1), Expect: 100-continue answered before the body is sent (RFC 9110
§10.1.1), exactly one Host in an HTTP/1.1 request (RFC 9112 §3.2), and the client's X-Request-ID
kept on every answer, the 413 for an oversized body included."""
from __future__ import annotations

import email.utils
import time

import pytest

from support import RawConn, assert_error, get_request, raw_request

BIG = 64 * 1024 + 1  # one byte over server.max_body_bytes' default


@pytest.fixture(scope="module")
def server(module_start_server):
    return module_start_server()


def assert_date(resp):
    value = resp.header("Date")
    assert value, f"{resp.status} without Date: {resp.raw_head!r}"
    assert value.endswith(" GMT") and len(value) == 29, value  # IMF-fixdate
    when = email.utils.parsedate_to_datetime(value).timestamp()
    assert abs(when - time.time()) < 5, value


@pytest.mark.parametrize("data", [
    get_request("/health"),
    get_request("/no/such/path"),
    get_request("/api/v2/users/me"),
    b"DELETE /health HTTP/1.1\r\nHost: x\r\n\r\n",
    b"OPTIONS /api/v2/users HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /api/v2/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1\r\n\r\n{",
], ids=["200", "404", "401", "405", "options", "400-json"])
def test_every_answer_has_a_date(server, data):
    assert_date(raw_request(server, data, tolerate_reset=True))


def test_protocol_errors_have_a_date_too(server):
    r = raw_request(server, b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n", tolerate_reset=True)
    assert r.status == 400
    assert_date(r)


def test_expect_100_continue_is_answered_before_the_body(server):
    body = b'{"email": "nobody@example.com", "password": "wrong password here"}'
    head = (b"POST /api/v2/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Expect: 100-continue\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    with RawConn.to(server) as c:
        c.send(head)
        started = time.monotonic()
        interim = c.read_response(timeout=0.9)  # curl waits 1 s before sending anyway
        assert interim.status == 100, interim
        assert time.monotonic() - started < 0.9
        c.send(body)
        final = c.read_response()
    assert final.status == 401, final.body[:300]
    assert_date(final)


def test_expect_100_continue_with_an_oversized_body_gets_413_at_once(server):
    head = (b"POST /api/v2/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Expect: 100-continue\r\nX-Request-ID: big-body-1\r\nContent-Length: " + str(BIG).encode() + b"\r\n\r\n")
    with RawConn.to(server) as c:
        c.send(head)
        r = c.read_response(timeout=2)
    assert_error(r, 413, "REQUEST_BODY_TOO_LARGE")
    assert r.header("X-Request-ID") == "big-body-1"


def test_http10_expectations_are_ignored(server):
    head = b"POST /health HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}"
    r = raw_request(server, head)
    assert r.status == 405, r  # no interim 100 was sent first: the first answer is the final one


def test_413_keeps_the_request_id(server):
    data = (b"POST /api/v2/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"X-Request-ID: trace-413\r\nContent-Length: " + str(BIG).encode() + b"\r\n\r\n" + b"x" * 1024)
    r = raw_request(server, data, tolerate_reset=True)
    assert_error(r, 413, "REQUEST_BODY_TOO_LARGE")
    assert r.header("X-Request-ID") == "trace-413"
    assert r.json()["meta"]["request_id"] == "trace-413"


def test_chunked_body_over_the_limit_is_413_with_the_request_id(server):
    chunk = b"x" * 8192
    body = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(9)) + b"0\r\n\r\n"
    data = (b"POST /api/v2/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"X-Request-ID: trace-chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    r = raw_request(server, data, tolerate_reset=True)
    assert_error(r, 413, "REQUEST_BODY_TOO_LARGE")
    assert r.header("X-Request-ID") == "trace-chunked"


@pytest.mark.parametrize("data", [
    b"GET /health HTTP/1.1\r\nX-Request-ID: no-host\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\nX-Request-ID: no-host\r\n\r\n",
], ids=["no-host", "two-hosts"])
def test_http11_needs_exactly_one_host(server, data):
    with RawConn.to(server) as c:
        c.send(data)
        r = c.read_response()
        closed, extra = c.wait_closed(3)
    assert_error(r, 400, "HTTP_BAD_REQUEST")
    assert r.header("X-Request-ID") == "no-host"
    assert closed and not extra


def test_http10_without_host_is_served(server):
    r = raw_request(server, b"GET /health HTTP/1.0\r\n\r\n")
    assert r.status == 200
    assert_date(r)
