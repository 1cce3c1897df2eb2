"""The spec's response envelope: /health, /health/live, /health/ready and the error shape."""
import time
from datetime import datetime, timezone

from support import (API_VERSION, assert_error, assert_success, http, parse_iso8601, session)


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def test_health_envelope(server):
    r = http(server, "GET", "/health")
    body = assert_success(r, 200)
    assert set(body) == {"success", "data", "error", "meta"}, sorted(body)
    data = body["data"]
    assert isinstance(data, dict), data
    assert data.get("status") == "healthy", f"data.status: {data.get('status')!r}"
    assert data.get("version") == API_VERSION, f"data.version: {data.get('version')!r}"
    ts = data.get("timestamp")
    assert isinstance(ts, str), f"data.timestamp: {ts!r}"
    delta = abs((parse_iso8601(ts) - datetime.now(timezone.utc)).total_seconds())
    assert delta < 120, f"data.timestamp {ts!r} is {delta:.0f}s from now"
    assert _is_number(data.get("uptime")) and data["uptime"] >= 0, f"data.uptime: {data.get('uptime')!r}"


def test_health_checks_block(server):
    data = assert_success(http(server, "GET", "/health"))["data"]
    checks = data.get("checks")
    assert isinstance(checks, dict), f"data.checks: {checks!r}"
    for name in ("database", "jwt_service", "rate_limiter"):
        assert name in checks, f"data.checks lacks {name!r}: {sorted(checks)}"
        assert isinstance(checks[name], dict), f"checks.{name}: {checks[name]!r}"
        # The rate limiter arrives with issue 6; until then it reports itself as not configured
        # rather than pretending to be healthy. Everything else must be healthy.
        allowed = ("healthy", "not_configured") if name == "rate_limiter" else ("healthy",)
        assert checks[name].get("status") in allowed, f"checks.{name}: {checks[name]!r}"
    # The default (embedded) deployment has no Redis: "redis when configured".
    assert "redis" not in checks, f"checks.redis present without redis configured: {checks['redis']!r}"


def test_health_performance_block(server):
    data = assert_success(http(server, "GET", "/health"))["data"]
    perf = data.get("performance")
    assert isinstance(perf, dict), f"data.performance: {perf!r}"
    for key in ("avg_response_time", "requests_per_second", "cache_hit_rate"):
        assert key in perf, f"data.performance lacks {key!r}: {perf!r}"
        assert _is_number(perf[key]) and perf[key] >= 0, f"data.performance.{key}: {perf[key]!r}"


def test_health_meta(server):
    r = http(server, "GET", "/health")
    body = assert_success(r)
    meta = body["meta"]
    assert meta["request_id"] == r.headers["X-Request-ID"]
    assert isinstance(meta["performance"]["response_time_ms"], (int, float))
    assert meta["performance"]["cache_hit"] in (True, False)
    assert "pagination" not in meta, "pagination is only for collections"


def test_uptime_grows(server):
    with session() as s:
        a = s.get(server.base_url + "/health", timeout=10).json()["data"]["uptime"]
        time.sleep(1.1)
        b = s.get(server.base_url + "/health", timeout=10).json()["data"]["uptime"]
    assert b > a, f"uptime did not grow: {a} -> {b}"


def test_health_live(server):
    r = http(server, "GET", "/health/live")
    assert_success(r, 200)


def test_health_ready(server):
    r = http(server, "GET", "/health/ready")
    assert_success(r, 200)


def test_404_error_envelope(server):
    r = http(server, "GET", "/no/such/route")
    body = assert_error(r, 404, "RESOURCE_NOT_FOUND")
    assert set(body) == {"success", "data", "error", "meta"}, sorted(body)
    err = body["error"]
    assert set(err) >= {"code", "message", "details", "trace_id", "documentation_url"}, sorted(err)
    assert err["documentation_url"] == "https://docs.archon.ai/errors/resource-not-found"
    assert err["trace_id"] == body["meta"]["request_id"] == r.headers["X-Request-ID"]


def test_404_keeps_client_request_id_as_trace_id(server):
    r = http(server, "GET", "/nope", headers={"X-Request-ID": "trace-me-404"})
    body = assert_error(r, 404, "RESOURCE_NOT_FOUND")
    assert body["error"]["trace_id"] == "trace-me-404"
    assert body["meta"]["request_id"] == "trace-me-404"
    assert r.headers["X-Request-ID"] == "trace-me-404"


def test_error_body_has_no_internals(server):
    r = http(server, "GET", "/api/v2/../../etc/passwd")
    assert r.status_code in (400, 404), r.status_code
    text = r.text.lower()
    for leak in ("exception", "stack", ".cpp", "boost::", "std::", "what()"):
        assert leak not in text, f"error body leaks {leak!r}: {r.text[:300]}"


def test_query_string_does_not_change_route(server):
    r = http(server, "GET", "/health/live?foo=bar&x=1")
    assert_success(r, 200)


def test_keep_alive_serves_several_requests(server):
    with session() as s:
        for i in range(3):
            r = s.get(server.base_url + "/health/live", headers={"X-Request-ID": f"ka-{i}"}, timeout=10)
            body = assert_success(r, 200)
            assert body["meta"]["request_id"] == f"ka-{i}"
