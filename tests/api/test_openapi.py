"""The OpenAPI document and Swagger UI (issue 2, item 13), against the real binary.

- openapi/openapi.yaml passes `redocly lint` (recommended ruleset, redocly.yaml at the repo root);
- every route the binary serves is documented, and every documented route is served;
- /api/v2/openapi.json is exactly the YAML document;
- /docs is Swagger UI built into the binary: no CDN, no inline script, every asset served;
- what the server answers (status, content type, headers, body) is what the document says.

Fixtures `archon_bin` and `server` come from conftest.py.
"""
import json
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC_FILE = ROOT / "openapi" / "openapi.yaml"
REDOCLY = ROOT / "tools" / "node_modules" / ".bin" / "redocly"
SWAGGER_DIST = ROOT / "tools" / "node_modules" / "swagger-ui-dist"
DOCS_ASSETS = ROOT / "src" / "api" / "docs_assets"

# HEAD is answered for every GET and OPTIONS for every path; neither is listed per path.
COMPARED_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

# Where each file of /docs comes from: ours, or the pinned swagger-ui-dist.
DOCS_FILES = {
    "/docs": DOCS_ASSETS / "index.html",
    "/docs/swagger-initializer.js": DOCS_ASSETS / "swagger-initializer.js",
    "/docs/swagger-ui.css": SWAGGER_DIST / "swagger-ui.css",
    "/docs/swagger-ui-bundle.js": SWAGGER_DIST / "swagger-ui-bundle.js",
    "/docs/favicon-32x32.png": SWAGGER_DIST / "favicon-32x32.png",
}
CONTENT_TYPES = {
    ".css": {"text/css"},
    ".js": {"text/javascript", "application/javascript"},
    ".png": {"image/png"},
}
STALE_HINT = "the binary embeds openapi.yaml and the /docs files at build time: rebuild it"


@pytest.fixture(scope="module")
def spec():
    return yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))


def _template(path):
    """A path template with its parameter names erased: /docs/{asset}, /docs/:file -> /docs/{}."""
    segments = []
    for seg in path.split("/"):
        if re.fullmatch(r"\{[^}]+\}|<[^>]+>|:[A-Za-z_][A-Za-z0-9_]*", seg):
            seg = "{}"
        segments.append(seg)
    return "/".join(segments)


def _deref(spec, obj):
    while isinstance(obj, dict) and "$ref" in obj:
        assert obj["$ref"].startswith("#/"), obj["$ref"]
        node = spec
        for part in obj["$ref"][2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        obj = node
    return obj


def _documented_path(spec, path):
    """The document's path template that a concrete path falls under."""
    for template in spec["paths"]:
        pattern = "/".join(
            "[^/]+" if re.fullmatch(r"\{[^}]+\}", seg) else re.escape(seg) for seg in template.split("/"))
        if re.fullmatch(pattern, path):
            return template
    raise AssertionError(f"{path} is under no documented path")


def _base_type(content_type):
    return content_type.split(";")[0].strip().lower()


# ---- (a) lint ---------------------------------------------------------------------------------

def test_openapi_document_passes_redocly_lint():
    assert REDOCLY.exists(), f"{REDOCLY} is missing: run scripts/setup.sh (npm ci in tools/)"
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "CI": "true", "NO_COLOR": "1"}
    result = subprocess.run([str(REDOCLY), "lint", "openapi/openapi.yaml"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=180)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The recommended ruleset's warnings (missing 4xx, operationId, unused component...) count too.
    assert not re.search(r"You have \d+ warnings?", output), output


# ---- (b) served routes == documented routes ------------------------------------------------------

def test_every_served_route_is_documented_and_every_documented_route_is_served(archon_bin, spec):
    result = subprocess.run([str(archon_bin), "routes"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    table = json.loads(result.stdout)
    assert isinstance(table, list) and table, result.stdout
    served = {(r["method"].upper(), _template(r["path"])) for r in table
              if r["method"].upper() in COMPARED_METHODS}
    documented = {(method.upper(), _template(path))
                  for path, item in spec["paths"].items()
                  for method in item if method in HTTP_METHODS and method.upper() in COMPARED_METHODS}
    assert served, "`archon-auth routes` lists no GET/POST/PUT/PATCH/DELETE route"
    assert not served - documented, f"served but not documented: {sorted(served - documented)}"
    assert not documented - served, f"documented but not served: {sorted(documented - served)}"


# ---- (c) the served document is the YAML -------------------------------------------------------

def test_served_openapi_json_equals_the_yaml_document(server, spec):
    response = requests.get(f"{server.base_url}/api/v2/openapi.json", timeout=10)
    assert response.status_code == 200
    assert _base_type(response.headers["Content-Type"]) == "application/json"
    served = response.json()
    assert served["openapi"].startswith("3.1.")
    assert served == spec, STALE_HINT


def test_openapi_json_follows_the_documented_versioning(server, spec):
    """What the introduction's Versioning section says, on the one /api route there is today."""
    unversioned = f"{server.base_url}/api/openapi.json"
    for headers in ({}, {"Accept-Version": "2.0"}, {"API-Version": "2"}):
        response = requests.get(unversioned, headers=headers, timeout=10)
        assert response.status_code == 200, (headers, response.text)
        assert response.headers.get("API-Version") == "2.0"
        assert response.json() == spec, STALE_HINT

    # On /api/v2/... the path's version wins over the headers.
    response = requests.get(f"{server.base_url}/api/v2/openapi.json", headers={"Accept-Version": "1.0"},
                            timeout=10)
    assert response.status_code == 200

    for url, headers in ((f"{server.base_url}/api/v1/openapi.json", {}), (unversioned, {"Accept-Version": "1.0"})):
        sunset = requests.get(url, headers=headers, timeout=10)
        assert sunset.status_code == 410, (url, headers)
        assert sunset.json()["error"]["code"] == "API_VERSION_SUNSET"
        assert sunset.headers["Sunset"] == "Wed, 31 Dec 2025 23:59:59 GMT"
        assert sunset.headers["Deprecation"] == "true"

    for url, headers in ((f"{server.base_url}/api/v3/openapi.json", {}),
                         (unversioned, {"Accept-Version": "3.0"}),
                         (unversioned, {"Accept-Version": "2.0", "API-Version": "1.0"})):
        unsupported = requests.get(url, headers=headers, timeout=10)
        assert unsupported.status_code == 400, (url, headers)
        assert unsupported.json()["error"]["code"] == "API_VERSION_UNSUPPORTED"
        assert unsupported.json()["error"]["details"]["supported"] == ["2.0"]


# ---- (d) Swagger UI ------------------------------------------------------------------------------

class _PageRefs(HTMLParser):
    """Collects every URL a page loads and any inline script (CSP forbids both off-site and inline)."""

    def __init__(self):
        super().__init__()
        self.urls = []
        self.inline_scripts = []
        self.event_handlers = []
        self._script_without_src = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            if attrs.get(name):
                self.urls.append((tag, attrs[name]))
        self.event_handlers += [name for name in attrs if name.startswith("on")]
        if tag == "script":
            self._script_without_src = not attrs.get("src")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_without_src = False

    def handle_data(self, data):
        if self._script_without_src and data.strip():
            self.inline_scripts.append(data.strip())


def test_docs_page_loads_only_bundled_assets(server):
    response = requests.get(f"{server.base_url}/docs", timeout=10)
    assert response.status_code == 200
    assert _base_type(response.headers["Content-Type"]) == "text/html"
    assert response.content == DOCS_FILES["/docs"].read_bytes(), STALE_HINT

    page = _PageRefs()
    page.feed(response.text)
    off_site = [url for _, url in page.urls if re.match(r"^(https?:)?//", url, re.IGNORECASE)]
    assert not off_site, f"/docs loads from another site: {off_site}"
    assert not page.inline_scripts, "inline script (the CSP blocks it)"
    assert not page.event_handlers, f"inline event handlers (the CSP blocks them): {page.event_handlers}"

    referenced = {url for _, url in page.urls}
    expected = set(DOCS_FILES) - {"/docs"}
    assert referenced == expected, f"referenced {sorted(referenced)}, expected {sorted(expected)}"

    for url in sorted(referenced):
        asset = requests.get(f"{server.base_url}{url}", timeout=30)
        assert asset.status_code == 200, url
        assert _base_type(asset.headers["Content-Type"]) in CONTENT_TYPES[Path(url).suffix], \
            (url, asset.headers["Content-Type"])
        assert asset.content == DOCS_FILES[url].read_bytes(), f"{url}: {STALE_HINT}"


def test_swagger_initializer_points_at_the_served_document(server):
    script = requests.get(f"{server.base_url}/docs/swagger-initializer.js", timeout=10).text
    assert "'/api/v2/openapi.json'" in script or '"/api/v2/openapi.json"' in script
    assert "SwaggerUIBundle(" in script


def test_unknown_docs_asset_is_404(server):
    response = requests.get(f"{server.base_url}/docs/swagger-ui-bundle.js.map", timeout=10)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"


# ---- the server answers what the document says ----------------------------------------------------

# (method, path, request kwargs): every documented route, and the documented errors any request can get.
CASES = [
    ("GET", "/health", {}),
    ("GET", "/health/live", {}),
    ("GET", "/health/ready", {}),
    ("GET", "/metrics", {}),
    ("GET", "/api/v2/openapi.json", {}),
    ("GET", "/docs", {}),
    ("GET", "/docs/swagger-ui.css", {}),
    ("GET", "/docs/swagger-ui-bundle.js", {}),
    ("GET", "/docs/swagger-initializer.js", {}),
    ("GET", "/docs/favicon-32x32.png", {}),
    ("GET", "/docs/nope.js", {}),
    ("POST", "/health", {}),
    ("DELETE", "/docs", {}),
    ("PUT", "/api/v2/openapi.json", {}),
    ("GET", "/health", {"data": b"x" * (64 * 1024 + 1)}),
    ("GET", "/health/live", {"headers": {"X-Padding": "a" * 9000}}),
]
CASE_IDS = [f"{m} {p}" + (f" {sorted(kw)[0]}" if kw else "") for m, p, kw in CASES]


def _documented_response(spec, method, path, status):
    """The document's response for this request and status (a method the path lacks: its GET's 405)."""
    template = _documented_path(spec, path)
    item = spec["paths"][template]
    operation = item.get(method.lower()) or item["get"]
    responses = operation["responses"]
    assert str(status) in responses, \
        f"{method} {path} answered {status}, which {template} does not document ({sorted(responses)})"
    return _deref(spec, responses[str(status)])


def _check_headers(spec, documented, response, where):
    for name, header in documented.get("headers", {}).items():
        header = _deref(spec, header)
        assert name in response.headers, f"{where}: documented header {name} is missing"
        value, schema = response.headers[name], header.get("schema", {})
        if "const" in schema:
            assert value == str(schema["const"]), (where, name, value)
        if "enum" in schema:
            assert value in [str(v) for v in schema["enum"]], (where, name, value)
        if "pattern" in schema:
            assert re.search(schema["pattern"], value), (where, name, value)


@pytest.mark.parametrize(("method", "path", "kwargs"), CASES, ids=CASE_IDS)
def test_response_is_documented(server, spec, method, path, kwargs):
    response = requests.request(method, f"{server.base_url}{path}", timeout=30, **kwargs)
    where = f"{method} {path} -> {response.status_code}"
    documented = _documented_response(spec, method, path, response.status_code)
    content = documented.get("content", {})
    if content:
        documented_types = {_base_type(t) for t in content}
        assert _base_type(response.headers.get("Content-Type", "")) in documented_types, \
            (where, response.headers.get("Content-Type"), sorted(documented_types))
    _check_headers(spec, documented, response, where)

    if method == "GET" and not kwargs:
        head = requests.head(f"{server.base_url}{path}", timeout=30)
        assert head.status_code == response.status_code, f"HEAD {path}"
        assert head.content == b"", f"HEAD {path} has a body"


@pytest.mark.parametrize(("method", "path", "kwargs"), CASES, ids=CASE_IDS)
def test_response_body_matches_documented_schema(server, spec, method, path, kwargs):
    jsonschema = pytest.importorskip("jsonschema")
    response = requests.request(method, f"{server.base_url}{path}", timeout=30, **kwargs)
    documented = _documented_response(spec, method, path, response.status_code)
    media = documented.get("content", {}).get("application/json")
    if media is None or _base_type(response.headers.get("Content-Type", "")) != "application/json":
        pytest.skip("not a JSON response")
    # The $refs (#/components/...) resolve against this wrapper, which carries the components.
    schema = {**media["schema"], "components": spec["components"]}
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(response.json()), key=str)
    assert not errors, f"{method} {path}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)
