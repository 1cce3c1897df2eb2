"""CORS from the spec's `cors:` block: exact origin allow-list, credentials only for listed
origins, preflight with max_age, 403 for anything else, nothing allowed by default."""
import pytest

from support import assert_error, assert_serves, http, token_set

CORS = {
    "cors": {
        "allow_origins": ["https://app.archon.ai", "https://admin.archon.ai"],
        "allow_methods": ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        "allow_headers": ["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"],
        "expose_headers": ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-Request-ID"],
        "max_age": 86400,
    }
}
ALLOWED = ["https://app.archon.ai", "https://admin.archon.ai"]
DISALLOWED = ["https://evil.example", "https://app.archon.ai.evil.com", "null", "http://app.archon.ai",
              "https://app.archon.ai:8443", "https://APP.archon.ai", "https://xapp.archon.ai",
              "https://app.archon.ai/", "*"]


@pytest.fixture(scope="module")
def cors_server(module_start_server):
    return module_start_server(config=CORS)


def acao_headers(r) -> dict:
    return {k: v for k, v in r.headers.items() if k.lower().startswith("access-control-allow-")}


@pytest.mark.parametrize("origin", ALLOWED)
def test_allowed_origin_on_get(cors_server, origin):
    r = http(cors_server, "GET", "/health/live", headers={"Origin": origin})
    assert r.status_code == 200
    assert r.headers.get("Access-Control-Allow-Origin") == origin, \
        f"ACAO: {r.headers.get('Access-Control-Allow-Origin')!r}"
    assert r.headers.get("Access-Control-Allow-Credentials") == "true", \
        f"ACAC: {r.headers.get('Access-Control-Allow-Credentials')!r}"
    assert "origin" in token_set(r.headers.get("Vary")), f"Vary: {r.headers.get('Vary')!r}"
    expose = token_set(r.headers.get("Access-Control-Expose-Headers"))
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-request-id"} <= expose, \
        f"Access-Control-Expose-Headers: {r.headers.get('Access-Control-Expose-Headers')!r}"


def test_allowed_origin_on_error_response(cors_server):
    r = http(cors_server, "GET", "/nope", headers={"Origin": "https://app.archon.ai"})
    assert r.status_code == 404
    assert r.headers.get("Access-Control-Allow-Origin") == "https://app.archon.ai"


@pytest.mark.parametrize("origin", DISALLOWED)
def test_disallowed_origin_gets_no_cors_headers(cors_server, origin):
    r = http(cors_server, "GET", "/health/live", headers={"Origin": origin})
    assert r.status_code == 200
    assert acao_headers(r) == {}, f"Origin {origin!r} got {acao_headers(r)}"
    assert origin not in r.headers.values(), f"origin {origin!r} reflected: {dict(r.headers)}"


def test_no_origin_no_cors_headers(cors_server):
    r = http(cors_server, "GET", "/health/live")
    assert acao_headers(r) == {}, acao_headers(r)


@pytest.mark.parametrize("origin", ALLOWED)
def test_preflight_allowed(cors_server, origin):
    r = http(cors_server, "OPTIONS", "/health", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type, X-Request-ID"})
    assert r.status_code == 204, f"{r.status_code} {r.text[:300]}"
    assert r.content == b""
    assert r.headers.get("Access-Control-Allow-Origin") == origin
    assert r.headers.get("Access-Control-Allow-Credentials") == "true"
    methods = token_set(r.headers.get("Access-Control-Allow-Methods"))
    assert "post" in methods, f"Access-Control-Allow-Methods: {r.headers.get('Access-Control-Allow-Methods')!r}"
    allow_headers = token_set(r.headers.get("Access-Control-Allow-Headers"))
    assert {"content-type", "x-request-id"} <= allow_headers, \
        f"Access-Control-Allow-Headers: {r.headers.get('Access-Control-Allow-Headers')!r}"
    assert r.headers.get("Access-Control-Max-Age") == "86400", \
        f"Access-Control-Max-Age: {r.headers.get('Access-Control-Max-Age')!r}"
    assert "origin" in token_set(r.headers.get("Vary")), f"Vary: {r.headers.get('Vary')!r}"


def test_preflight_lists_configured_methods_and_headers(cors_server):
    r = http(cors_server, "OPTIONS", "/health", headers={
        "Origin": "https://app.archon.ai", "Access-Control-Request-Method": "DELETE",
        "Access-Control-Request-Headers": "authorization,x-api-key"})
    assert r.status_code == 204
    assert "delete" in token_set(r.headers.get("Access-Control-Allow-Methods"))
    assert {"authorization", "x-api-key"} <= token_set(r.headers.get("Access-Control-Allow-Headers"))


@pytest.mark.parametrize("origin", ["https://evil.example", "https://app.archon.ai.evil.com", "null",
                                    "http://app.archon.ai"])
def test_preflight_disallowed_origin_is_403(cors_server, origin):
    r = http(cors_server, "OPTIONS", "/health", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST"})
    body = assert_error(r, 403, "CORS_ORIGIN_NOT_ALLOWED")
    assert body["error"]["documentation_url"] == "https://docs.archon.ai/errors/cors-origin-not-allowed"
    assert acao_headers(r) == {}, f"403 preflight carries {acao_headers(r)}"


def test_preflight_disallowed_method_is_403(cors_server):
    r = http(cors_server, "OPTIONS", "/health", headers={
        "Origin": "https://app.archon.ai", "Access-Control-Request-Method": "TRACE"})
    assert_error(r, 403, "CORS_ORIGIN_NOT_ALLOWED")
    assert acao_headers(r) == {}, acao_headers(r)


def test_plain_options_with_cors_config_is_204_allow(cors_server):
    r = http(cors_server, "OPTIONS", "/health")
    assert r.status_code == 204
    assert token_set(r.headers.get("Allow")) == {"get", "head", "options"}


def test_cors_server_still_serving(cors_server):
    assert_serves(cors_server)


# ---- default config: no cors block, no origin is ever allowed

@pytest.mark.parametrize("origin", ["https://app.archon.ai", "https://evil.example", "null"])
def test_default_config_never_sends_acao(server, origin):
    r = http(server, "GET", "/health/live", headers={"Origin": origin})
    assert r.status_code == 200
    assert acao_headers(r) == {}, f"default config, Origin {origin!r}: {acao_headers(r)}"


def test_default_config_preflight_is_403(server):
    r = http(server, "OPTIONS", "/health", headers={
        "Origin": "https://app.archon.ai", "Access-Control-Request-Method": "GET"})
    assert_error(r, 403, "CORS_ORIGIN_NOT_ALLOWED")
    assert acao_headers(r) == {}, acao_headers(r)
