"""The admin console served by the binary (docs/console.md): GET /admin and its two assets, the
console's Content-Security-Policy, nothing else under /admin, and a cookie refresh from the
server's own origin (where the console runs) accepted without listing it in cors.allow_origins.
The console's own behaviour is tested in Chromium by console/test.sh."""
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from identity_support import Client, cookie_header, data_of, identity_config, new_user
from support import assert_error

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "console" / "dist"
CONSOLE_CSP = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
               "frame-ancestors 'none'; form-action 'self'")
REFRESH = "/api/v2/auth/refresh"


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls, self.inline_scripts = [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href"):
            if a.get(key):
                self.urls.append(a[key])
        if tag == "script" and not a.get("src"):
            self.inline_scripts += 1


@pytest.fixture(scope="module")
def srv(module_start_server):
    return module_start_server(config=identity_config())


def get(srv, path, method="GET", **kw):
    return requests.request(method, f"{srv.base_url}{path}", timeout=10, allow_redirects=False, **kw)


def test_the_page_is_the_built_console_under_its_own_csp(srv):
    r = get(srv, "/admin")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["Content-Type"].startswith("text/html"), r.headers
    assert r.headers["Content-Security-Policy"] == CONSOLE_CSP
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.content == (DIST / "index.html").read_bytes(), "the binary embeds an older console/dist"
    page = _Refs()
    page.feed(r.text)
    assert not page.inline_scripts, "an inline script (the CSP blocks it)"
    off_site = [u for u in page.urls if re.match(r"^(https?:)?//", u, re.IGNORECASE)]
    assert not off_site, f"the console loads from another site: {off_site}"
    assert {"/admin/console.js", "/admin/console.css"} <= set(page.urls), page.urls


@pytest.mark.parametrize("name,content_type", [("console.js", "text/javascript"), ("console.css", "text/css")])
def test_the_assets_are_served_with_their_types(srv, name, content_type):
    r = get(srv, f"/admin/{name}")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith(content_type), r.headers
    assert r.headers["Content-Security-Policy"] == CONSOLE_CSP
    assert r.content == (DIST / name).read_bytes()
    head = get(srv, f"/admin/{name}", method="HEAD")
    assert head.status_code == 200 and head.content == b""


@pytest.mark.parametrize("path", ["/admin/index.html", "/admin/..%2Fopenapi.json", "/admin/users",
                                  "/admin/users/user_1", "/admin/console.js.map"])
def test_nothing_else_is_served_under_admin(srv, path):
    assert_error(get(srv, path), 404, "RESOURCE_NOT_FOUND")


def test_the_page_is_get_only(srv):
    r = get(srv, "/admin", method="POST", json={})
    assert r.status_code == 405, r.text


def test_a_cookie_refresh_from_the_servers_own_origin_is_accepted(srv):
    """The console runs on the server's origin; a reload refreshes with the cookie from there."""
    with Client(srv) as c:
        user = new_user(c)
        refresh = user.refresh_token
        own = srv.base_url  # the public URL follows the bound address: http://127.0.0.1:<port>
        foreign = "http://127.0.0.1:1"
        assert_error(c.post(REFRESH, headers={**cookie_header(refresh), "Origin": foreign}), 403,
                     "AUTH_ORIGIN_NOT_ALLOWED")
        assert_error(c.post(REFRESH, headers={**cookie_header(refresh), "Origin": own + "/admin"}), 403,
                     "AUTH_ORIGIN_NOT_ALLOWED")  # an Origin is scheme://host:port, nothing more
        d = data_of(c.post(REFRESH, headers={**cookie_header(refresh), "Origin": own}))
        assert d["session_id"] == user.session_id and d["access_token"], d
