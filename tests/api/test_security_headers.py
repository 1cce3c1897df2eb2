"""The spec's six security headers on every response, and Cache-Control: no-store on JSON."""
import pytest

from support import (RawConn, assert_security_headers, assert_serves, get_request, http, raw_request)

CASES = {
    "200-health": ("GET", "/health", {}, None, 200),
    "200-live": ("GET", "/health/live", {}, None, 200),
    "404": ("GET", "/does-not-exist", {}, None, 404),
    "405": ("POST", "/health", {}, b"x", 405),
    "410": ("GET", "/api/v1/openapi.json", {}, None, 410),
    "400-version": ("GET", "/api/v3/openapi.json", {}, None, 400),
}


@pytest.mark.parametrize("case", list(CASES))
def test_security_headers_on_json_responses(server, case):
    method, path, headers, data, status = CASES[case]
    r = http(server, method, path, headers=headers, data=data)
    assert r.status_code == status, f"{case}: {r.status_code} {r.text[:200]}"
    assert_security_headers(r, json_response=True)


def test_security_headers_on_413(server):
    body = b"a" * (64 * 1024 + 1)
    req = (b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
           b"Content-Length: %d\r\n\r\n" % len(body)) + body
    r = raw_request(server, req, tolerate_reset=True)
    assert r.status == 413, r
    assert_security_headers(r, json_response=True)


def test_security_headers_on_options_204(server):
    r = http(server, "OPTIONS", "/health")
    assert r.status_code == 204
    assert_security_headers(r, json_response=False)


def test_security_headers_on_head(server):
    r = http(server, "HEAD", "/health")
    assert r.status_code == 200
    assert_security_headers(r, json_response=True)


def test_security_headers_on_metrics(server):
    r = http(server, "GET", "/metrics")
    assert r.status_code == 200
    assert_security_headers(r, json_response=False)
    assert r.headers.get("Cache-Control") == "no-store", f"Cache-Control: {r.headers.get('Cache-Control')!r}"


def test_security_headers_on_openapi(server):
    r = http(server, "GET", "/api/v2/openapi.json")
    assert r.status_code == 200
    assert_security_headers(r, json_response=True)


def test_security_headers_on_431(server):
    r = raw_request(server, get_request("/health", {"X-Big": "a" * 9000}), tolerate_reset=True)
    assert r.status == 431, r
    assert_security_headers(r, json_response=True)


def test_security_headers_on_400_bad_request(server):
    r = raw_request(server, b"GARBAGE\r\n\r\n")
    assert r.status == 400, r
    assert_security_headers(r, json_response=True)


def test_no_server_version_leak(server):
    r = http(server, "GET", "/health")
    server_hdr = r.headers.get("Server", "")
    assert "boost" not in server_hdr.lower() and "beast" not in server_hdr.lower(), \
        f"Server header leaks the stack: {server_hdr!r}"
    assert "X-Powered-By" not in r.headers


def test_single_instance_of_each_security_header(server):
    with RawConn.to(server) as c:
        c.send(get_request("/health/live"))
        r = c.read_response()
    for name in ("Content-Security-Policy", "X-Frame-Options", "Cache-Control", "X-Content-Type-Options"):
        assert len(r.header_all(name)) == 1, f"{name} appears {len(r.header_all(name))} times: {r.headers}"


def test_still_serving(server):
    assert_serves(server)
