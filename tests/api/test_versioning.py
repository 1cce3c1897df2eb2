"""API versioning: /api/v2 canonical, /api + version headers, v1 sunset (410), unknown (400)."""
import pytest

from support import assert_error, assert_security_headers, assert_serves, http

SUNSET = "Wed, 31 Dec 2025 23:59:59 GMT"


@pytest.fixture(scope="module")
def openapi_v2(server):
    r = http(server, "GET", "/api/v2/openapi.json")
    assert r.status_code == 200, f"/api/v2/openapi.json: {r.status_code} {r.text[:300]}"
    doc = r.json()
    assert str(doc.get("openapi", "")).startswith("3.1"), f"openapi: {doc.get('openapi')!r}"
    return r.content


def assert_sunset(r):
    assert_error(r, 410, "API_VERSION_SUNSET")
    assert r.headers.get("Sunset") == SUNSET, f"Sunset: {r.headers.get('Sunset')!r}"
    assert r.headers.get("Deprecation") == "true", f"Deprecation: {r.headers.get('Deprecation')!r}"
    assert r.json()["error"]["documentation_url"] == "https://docs.archon.ai/errors/api-version-sunset"


def assert_unsupported(r):
    body = assert_error(r, 400, "API_VERSION_UNSUPPORTED")
    assert body["error"]["details"].get("supported") == ["2.0"], \
        f"details.supported: {body['error']['details']!r}"
    assert body["error"]["documentation_url"] == "https://docs.archon.ai/errors/api-version-unsupported"


def test_v2_is_served(server, openapi_v2):
    assert openapi_v2


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/users/me", "/api/v1/auth/login"])
def test_v1_path_is_sunset(server, path):
    assert_sunset(http(server, "GET", path))


def test_v1_post_is_sunset_too(server):
    assert_sunset(http(server, "POST", "/api/v1/auth/login", json={"email": "a@b.c"}))


def test_v1_sunset_has_security_headers(server):
    assert_security_headers(http(server, "GET", "/api/v1/openapi.json"))


@pytest.mark.parametrize("headers", [
    {"Accept-Version": "2.0"},
    {"Accept-Version": "2"},
    {"API-Version": "2.0"},
    {"API-Version": "2"},
    {"Accept-Version": "2.0", "API-Version": "2.0"},
    {},
], ids=["accept-2.0", "accept-2", "api-2.0", "api-2", "both-2.0", "no-header"])
def test_unversioned_path_reaches_v2(server, openapi_v2, headers):
    r = http(server, "GET", "/api/openapi.json", headers=headers)
    assert r.status_code == 200, f"{headers}: {r.status_code} {r.text[:300]}"
    assert r.content == openapi_v2, "/api/openapi.json did not serve the v2 document"
    assert r.headers.get("API-Version") == "2.0", f"API-Version response header: {r.headers.get('API-Version')!r}"


@pytest.mark.parametrize("headers", [
    {"Accept-Version": "1.0"}, {"Accept-Version": "1"}, {"API-Version": "1.0"}, {"API-Version": "1"},
], ids=["accept-1.0", "accept-1", "api-1.0", "api-1"])
def test_v1_header_is_sunset(server, headers):
    assert_sunset(http(server, "GET", "/api/openapi.json", headers=headers))


@pytest.mark.parametrize("headers", [
    {"Accept-Version": "3.0"}, {"API-Version": "3.0"}, {"Accept-Version": "abc"},
    {"Accept-Version": "2.5"}, {"API-Version": "0.9"},
], ids=["accept-3.0", "api-3.0", "accept-abc", "accept-2.5", "api-0.9"])
def test_unknown_header_version_is_unsupported(server, headers):
    assert_unsupported(http(server, "GET", "/api/openapi.json", headers=headers))


@pytest.mark.parametrize("path", ["/api/v3/openapi.json", "/api/v3/users", "/api/v0/openapi.json",
                                  "/api/v99/openapi.json"])
def test_unknown_path_version_is_unsupported(server, path):
    assert_unsupported(http(server, "GET", path))


@pytest.mark.parametrize("accept,api", [("2.0", "3.0"), ("3.0", "2.0"), ("2.0", "1.0")])
def test_disagreeing_version_headers(server, accept, api):
    r = http(server, "GET", "/api/openapi.json", headers={"Accept-Version": accept, "API-Version": api})
    assert_unsupported(r)


def test_unversioned_unknown_route_is_404(server):
    assert_error(http(server, "GET", "/api/no-such-resource"), 404, "RESOURCE_NOT_FOUND")


def test_v2_unknown_route_is_404(server):
    assert_error(http(server, "GET", "/api/v2/no-such-resource"), 404, "RESOURCE_NOT_FOUND")


def test_still_serving(server):
    assert_serves(server)
