"""GET /metrics: Prometheus text exposition 0.0.4 with the spec's metric names, labelled by
route template (never a raw path)."""
import math
import re
import time


from support import http

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$')
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')
SPEC_METRICS = {
    "http_request_duration_seconds": "histogram",
    "http_requests_total": "counter",
    "auth_attempts_total": "counter",
    "cache_hits_total": "counter",
    "db_connections_active": "gauge",
    "rate_limit_exceeded_total": "counter",
}


def parse_labels(text: str) -> dict:
    labels, pos = {}, 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        assert m, f"bad label set {{{text}}} at {pos}"
        labels[m.group(1)] = m.group(2)
        pos = m.end()
    return labels


def parse(text: str):
    """Returns (types {name: type}, helps {name}, samples [(name, labels, value)])."""
    types, helps, samples = {}, set(), []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            assert name not in types, f"duplicate TYPE for {name}"
            types[name] = typ.strip()
        elif line.startswith("# HELP "):
            helps.add(line.split(" ", 3)[2])
        elif line.startswith("#"):
            continue
        else:
            m = SAMPLE.match(line)
            assert m, f"not a valid exposition line: {line!r}"
            value = float(m.group(4).replace("+Inf", "inf").replace("-Inf", "-inf"))
            samples.append((m.group(1), parse_labels(m.group(3) or ""), value))
    return types, helps, samples


def scrape(server):
    r = http(server, "GET", "/metrics")
    assert r.status_code == 200, r.status_code
    return r, parse(r.text)


def find(samples, name, **labels):
    return [v for n, l, v in samples if n == name and all(l.get(k) == str(v2) for k, v2 in labels.items())]


def scrape_until(server, name, pred, timeout=2.0, **labels):
    """Scrapes until the series' values satisfy pred (counters may be bumped just after the
    response is written); returns the last (values, samples)."""
    deadline = time.monotonic() + timeout
    while True:
        _, (_, _, samples) = scrape(server)
        values = find(samples, name, **labels)
        if pred(values) or time.monotonic() > deadline:
            return values, samples
        time.sleep(0.1)


def test_content_type(server):
    r = http(server, "GET", "/metrics")
    assert r.status_code == 200
    ct = r.headers.get("Content-Type", "")
    assert ct.startswith("text/plain; version=0.0.4"), f"Content-Type: {ct!r}"


def test_spec_metric_families_present(server):
    _, (types, helps, _) = scrape(server)
    for name, typ in SPEC_METRICS.items():
        assert types.get(name) == typ, f"# TYPE {name}: expected {typ!r}, got {types.get(name)!r}"
        assert name in helps, f"no # HELP line for {name}"
    r = http(server, "GET", "/metrics")
    assert "# TYPE http_request_duration_seconds histogram" in r.text


def test_requests_total_counts_health(server):
    http(server, "GET", "/health")
    before, _ = scrape_until(server, "http_requests_total", lambda v: v and v[0] >= 1,
                             method="GET", route="/health", status="200")
    assert len(before) == 1, f"http_requests_total{{method=GET,route=/health,status=200}}: {before}"
    assert before[0] >= 1
    for _ in range(3):
        assert http(server, "GET", "/health").status_code == 200
    deadline = time.monotonic() + 2
    while True:  # the counter may be bumped just after the response is written
        _, (_, _, samples) = scrape(server)
        after = find(samples, "http_requests_total", method="GET", route="/health", status="200")
        if after[0] - before[0] >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert after[0] - before[0] == 3, f"counter went {before[0]} -> {after[0]} after 3 requests"
    r = http(server, "GET", "/metrics")
    assert 'http_requests_total{method="GET",route="/health",status="200"}' in r.text, \
        "expected the exact series text http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"}"


def test_duration_histogram_is_consistent(server):
    http(server, "GET", "/health")
    _, samples = scrape_until(server, "http_request_duration_seconds_count", lambda v: v and v[0] >= 1,
                              method="GET", route="/health", status="200")
    buckets = [(l["le"], v) for n, l, v in samples if n == "http_request_duration_seconds_bucket"
               and l.get("method") == "GET" and l.get("route") == "/health" and l.get("status") == "200"]
    assert buckets, "no http_request_duration_seconds_bucket series for GET /health 200"
    les = [float(le.replace("+Inf", "inf")) for le, _ in buckets]
    assert les == sorted(les), f"buckets not in increasing le order: {les}"
    assert math.isinf(les[-1]), "no le=\"+Inf\" bucket"
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), f"bucket counts not cumulative: {counts}"
    count = find(samples, "http_request_duration_seconds_count", method="GET", route="/health", status="200")
    total = find(samples, "http_request_duration_seconds_sum", method="GET", route="/health", status="200")
    assert count == [counts[-1]], f"_count {count} != +Inf bucket {counts[-1]}"
    assert len(total) == 1 and total[0] >= 0
    assert total[0] < count[0] * 10, f"_sum {total[0]}s for {count[0]} requests: not in seconds?"


def test_raw_paths_never_become_labels(server):
    for p in ["/api/v2/nonexistent/123", "/api/v2/nonexistent/456", "/zzz-unique-path-xyz"]:
        assert http(server, "GET", p).status_code == 404
    unmatched, samples = scrape_until(server, "http_requests_total", lambda v: v and v[0] >= 3,
                                      method="GET", route="unmatched", status="404")
    r = http(server, "GET", "/metrics")
    assert "nonexistent" not in r.text and "zzz-unique-path-xyz" not in r.text, \
        "a raw request path became a metric label"
    assert len(unmatched) == 1 and unmatched[0] >= 3, f"route=\"unmatched\" 404 series: {unmatched}"
    routes = {l.get("route") for n, l, _ in samples if n == "http_requests_total"}
    assert all(r == "unmatched" or (r and r.startswith("/")) for r in routes), sorted(map(str, routes))


def test_many_distinct_paths_do_not_grow_series(server):
    _, (_, _, before) = scrape(server)
    for i in range(30):
        http(server, "GET", f"/random/{i}/path")
    _, (_, _, after) = scrape(server)
    names_before = {(n, tuple(sorted(l.items()))) for n, l, _ in before}
    names_after = {(n, tuple(sorted(l.items()))) for n, l, _ in after}
    new = names_after - names_before
    # At most the 404/unmatched series (+ histogram buckets) may be new, not 30 of anything.
    assert len(new) < 30, f"{len(new)} new series after 30 distinct paths"


def test_status_label_on_errors(server):
    http(server, "POST", "/health")
    time.sleep(0.3)
    _, (_, _, samples) = scrape(server)
    s405 = [v for n, l, v in samples if n == "http_requests_total" and l.get("method") == "POST"
            and l.get("status") == "405" and l.get("route") in ("/health", "unmatched")]
    assert s405 and s405[0] >= 1, "no http_requests_total series for POST /health 405"


def test_head_metrics(server):
    r = http(server, "HEAD", "/metrics")
    assert r.status_code == 200
    assert r.content == b""
