"""Access log: one JSON line per request on stderr, with the route template; no header value or
body ever logged; control characters escaped."""
import json
from datetime import datetime, timezone

import pytest

from support import RawConn, get_request, http, parse_iso8601


def request_line(server, rid, timeout=5.0):
    return server.wait_for_log(lambda o: o.get("msg") == "request" and o.get("request_id") == rid, timeout)


def test_request_is_logged(server):
    r = http(server, "GET", "/health", headers={"X-Request-ID": "log-test-1"})
    assert r.status_code == 200
    line = request_line(server, "log-test-1")
    assert line is not None, f"no request log line for log-test-1; log tail: {server.log_lines()[-5:]}"
    assert line.get("level") == "info", line
    assert line.get("method") == "GET", line
    assert line.get("route") == "/health", line
    assert line.get("status") == 200, line
    d = line.get("duration_ms")
    assert isinstance(d, (int, float)) and not isinstance(d, bool) and d >= 0, line
    assert line.get("client") == "127.0.0.1", line
    ts = line.get("ts")
    assert isinstance(ts, str), line
    assert abs((parse_iso8601(ts) - datetime.now(timezone.utc)).total_seconds()) < 120, line


def test_exactly_one_line_per_request(server):
    http(server, "GET", "/health/live", headers={"X-Request-ID": "log-once-1"})
    assert request_line(server, "log-once-1") is not None
    lines = [o for o in server.log_lines() if o.get("msg") == "request" and o.get("request_id") == "log-once-1"]
    assert len(lines) == 1, lines


def test_unmatched_route_logged_as_unmatched(server):
    r = http(server, "GET", "/api/v2/nonexistent/123", headers={"X-Request-ID": "log-404"})
    assert r.status_code == 404
    line = request_line(server, "log-404")
    assert line is not None
    assert line.get("route") == "unmatched", line
    assert line.get("status") == 404, line
    assert "/api/v2/nonexistent/123" not in json.dumps(line), f"raw path in the log line: {line}"


def test_405_logged_with_route_template(server):
    http(server, "POST", "/health/live", headers={"X-Request-ID": "log-405"}, data=b"x")
    line = request_line(server, "log-405")
    assert line is not None
    assert line.get("method") == "POST" and line.get("status") == 405, line
    assert line.get("route") in ("/health/live", "unmatched"), line


def test_generated_request_id_logged(server):
    r = http(server, "GET", "/health/live")
    rid = r.headers["X-Request-ID"]
    assert request_line(server, rid) is not None, f"generated id {rid} not in the log"


SECRETS = ["secret-token-xyz", "secret-cookie-abc", "secret-api-key-123", "secret-body-456",
           "secret-query-789"]


def test_secrets_never_logged(server):
    headers = {"Authorization": "Bearer secret-token-xyz", "Cookie": "session=secret-cookie-abc",
               "X-API-Key": "secret-api-key-123", "X-Request-ID": "log-secret"}
    http(server, "GET", "/health", headers=headers)
    http(server, "POST", "/health", headers=headers, data=b'{"password":"secret-body-456"}')
    http(server, "GET", "/nope", headers=headers)
    http(server, "GET", "/health?token=secret-query-789", headers={"X-Request-ID": "log-secret-q"})
    assert request_line(server, "log-secret-q") is not None
    text = server.stderr_text()
    for s in SECRETS:
        assert s not in text, f"{s!r} appears in the server's stderr"


def test_header_values_not_logged(server):
    http(server, "GET", "/health/live", headers={"User-Agent": "ua-marker-5566", "Referer": "ref-marker-7788",
                                                 "X-Request-ID": "log-ua"})
    assert request_line(server, "log-ua") is not None
    text = server.stderr_text()
    assert "ua-marker-5566" not in text and "ref-marker-7788" not in text


def test_control_characters_escaped(server):
    # Percent-encoded control characters and quotes in the path, and raw ones in a rejected request.
    http(server, "GET", "/x%0A%0D%1B%22%5C%00y", headers={"X-Request-ID": "log-ctl-1"})
    with RawConn.to(server) as c:
        c.send(b"GET /a\x1b[31mred\x07\x08 HTTP/1.1\r\nHost: x\r\nX-Request-ID: log-ctl-2\r\n\r\n",
               tolerate_reset=True)
        try:
            c.read_response()
        except Exception:
            pass
    with RawConn.to(server) as c:
        c.send(get_request("/health/live", {"X-Request-ID": "log-ctl-3"}))
        c.read_response()
    assert request_line(server, "log-ctl-3") is not None
    raw = server.stderr_path.read_bytes()
    for ch in [b"\x1b", b"\x07", b"\x08", b"\x00", b"\r"]:
        assert ch not in raw, f"raw control byte {ch!r} in stderr"
    for i, line in enumerate(raw.decode("utf-8", "replace").splitlines()):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            pytest.fail(f"stderr line {i} is not JSON: {line[:300]!r}")
        assert isinstance(obj, dict), line


def test_every_stderr_line_is_json_with_ts_level_msg(server):
    http(server, "GET", "/health/live", headers={"X-Request-ID": "log-final"})
    assert request_line(server, "log-final") is not None
    for line in server.stderr_text().splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        assert {"ts", "level", "msg"} <= set(obj), obj
        assert obj["level"] in ("trace", "debug", "info", "warn", "warning", "error", "critical"), obj


def test_access_log_can_be_disabled(start_server):
    srv = start_server(config={"log": {"access_log": False}})
    http(srv, "GET", "/health/live", headers={"X-Request-ID": "log-off-1"})
    assert request_line(srv, "log-off-1", timeout=1.5) is None, "access_log: false still logs requests"
    assert any(o.get("msg") == "listening" for o in srv.log_lines())
