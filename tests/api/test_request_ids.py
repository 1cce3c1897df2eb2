"""X-Request-ID: kept when 1-64 chars of [A-Za-z0-9._-], otherwise replaced by req_ + 24 hex."""
import pytest

from support import GENERATED_REQUEST_ID, RawConn, assert_serves, assert_success, http


@pytest.mark.parametrize("rid", ["abc-123_X.y", "a", "Z" * 64, "0.1.2", "----", "req_0123456789abcdef01234567"])
def test_valid_request_id_is_echoed(server, rid):
    r = http(server, "GET", "/health/live", headers={"X-Request-ID": rid})
    body = assert_success(r)
    assert r.headers.get("X-Request-ID") == rid, f"header: {r.headers.get('X-Request-ID')!r}"
    assert body["meta"]["request_id"] == rid


@pytest.mark.parametrize("rid", ["x" * 65, "a b", "<script>", "", "abc/def", "a:b", "id;drop", "a\tb",
                                 "%41", "abc\u00e9"],
                         ids=["65-chars", "space", "script", "empty", "slash", "colon", "semicolon",
                              "tab", "percent", "latin1"])
def test_invalid_request_id_is_replaced(server, rid):
    r = http(server, "GET", "/health/live", headers={"X-Request-ID": rid})
    body = assert_success(r)
    got = r.headers.get("X-Request-ID")
    assert got is not None and GENERATED_REQUEST_ID.match(got), f"{rid!r} -> header {got!r}"
    assert body["meta"]["request_id"] == got
    if rid:
        assert rid not in r.text, f"the rejected id {rid!r} was echoed in the body"


def test_non_ascii_utf8_request_id_is_replaced(server):
    with RawConn.to(server) as c:
        c.send(b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Request-ID: r\xc3\xa9q-\xe2\x9c\x93\r\n\r\n")
        r = c.read_response()
    assert r.status == 200, r
    got = r.header("X-Request-ID")
    assert got is not None and GENERATED_REQUEST_ID.match(got), f"header {got!r}"
    assert r.json()["meta"]["request_id"] == got


def test_missing_request_id_is_generated_and_unique(server):
    ids = set()
    for _ in range(5):
        r = http(server, "GET", "/health/live")
        body = assert_success(r)
        rid = r.headers.get("X-Request-ID")
        assert rid is not None and GENERATED_REQUEST_ID.match(rid), f"generated id {rid!r}"
        assert body["meta"]["request_id"] == rid
        ids.add(rid)
    assert len(ids) == 5, f"generated ids repeat: {ids}"


def test_request_id_on_errors(server):
    r = http(server, "GET", "/nope", headers={"X-Request-ID": "err.id-1"})
    assert r.status_code == 404
    assert r.headers.get("X-Request-ID") == "err.id-1"
    assert r.json()["error"]["trace_id"] == "err.id-1"


def test_still_serving(server):
    assert_serves(server)
