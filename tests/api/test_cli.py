"""The command line: version, config check (unknown keys and bad values named), routes,
and the precedence flags > environment > file > defaults."""
import json
import re
from pathlib import Path

import pytest
import yaml

from support import assert_success, free_port, http

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "archon-auth.example.yaml"


def write_yaml(tmp_path, data, name="cfg.yaml"):
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return p


def output(proc) -> str:
    return (proc.stdout or "") + (proc.stderr or "")


def test_version(run_cli):
    p = run_cli("version")
    assert p.returncode == 0, output(p)
    assert re.search(r"\d+\.\d+\.\d+", p.stdout), f"no version number on stdout: {p.stdout!r}"


def test_unknown_subcommand_fails(run_cli):
    p = run_cli("frobnicate")
    assert p.returncode != 0, output(p)


def test_config_check_example_passes(run_cli):
    p = run_cli("config", "check", EXAMPLE)
    assert p.returncode == 0, output(p)


def test_config_check_spec_blocks_verbatim(run_cli, tmp_path):
    """The spec's rate_limits: and cors: blocks, exactly as the spec writes them."""
    spec = """\
rate_limits:
  authentication:
    login:
      per_ip: 5/minute
      per_user: 10/minute
    register:
      per_ip: 3/minute
      global: 1000/hour
    password_reset:
      per_email: 3/hour
      per_ip: 10/hour

  api_access:
    authenticated:
      per_user: 1000/minute
      burst: 2000
    agent:
      per_agent: 10000/minute
      burst: 20000
    admin:
      per_user: 5000/minute
      burst: 10000

  public:
    health_check:
      per_ip: 60/minute
    documentation:
      per_ip: 100/minute
cors:
  allow_origins:
    - "https://app.archon.ai"
    - "https://admin.archon.ai"
  allow_methods: [GET, POST, PUT, PATCH, DELETE, OPTIONS]
  allow_headers:
    - Authorization
    - Content-Type
    - X-API-Key
    - X-Request-ID
  expose_headers:
    - X-RateLimit-Limit
    - X-RateLimit-Remaining
    - X-Request-ID
  max_age: 86400
"""
    p = run_cli("config", "check", write_yaml(tmp_path, spec))
    assert p.returncode == 0, output(p)


def test_config_check_empty_file_passes(run_cli, tmp_path):
    p = run_cli("config", "check", write_yaml(tmp_path, ""))
    assert p.returncode == 0, output(p)


BAD_CONFIGS = {
    "server.listne": {"server": {"listne": "x"}},
    "bogus_top_level": {"bogus_top_level": 1},
    "cors.allow_origin": {"cors": {"allow_origin": ["https://a.example"]}},
    "log.colour": {"log": {"colour": True}},
    "rate_limits.authentication.login.per_fortnight": {
        "rate_limits": {"authentication": {"login": {"per_fortnight": "5/minute"}}}},
    "rate_limits.public.nonexistent_tier": {"rate_limits": {"public": {"nonexistent_tier": {"per_ip": "1/minute"}}}},
}


@pytest.mark.parametrize("key", list(BAD_CONFIGS))
def test_config_check_unknown_key_is_named(run_cli, tmp_path, key):
    p = run_cli("config", "check", write_yaml(tmp_path, BAD_CONFIGS[key]))
    assert p.returncode != 0, f"unknown key {key} accepted: {output(p)}"
    assert key in output(p), f"message does not name {key!r}: {output(p)!r}"


BAD_VALUES = {
    "server.max_body_bytes": {"server": {"max_body_bytes": -5}},
    "server.read_timeout_seconds": {"server": {"read_timeout_seconds": "soon"}},
    "server.threads": {"server": {"threads": -1}},
    "server.listen": {"server": {"listen": "not-an-address"}},
    "log.level": {"log": {"level": "loud"}},
    "rate_limits.authentication.login.per_ip": {"rate_limits": {"authentication": {"login": {"per_ip": "5/fortnight"}}}},
    "rate_limits.public.health_check.per_ip": {"rate_limits": {"public": {"health_check": {"per_ip": "many"}}}},
    "cors.max_age": {"cors": {"max_age": "a day"}},
}


@pytest.mark.parametrize("key", list(BAD_VALUES))
def test_config_check_bad_value_is_named(run_cli, tmp_path, key):
    p = run_cli("config", "check", write_yaml(tmp_path, BAD_VALUES[key]))
    assert p.returncode != 0, f"bad value for {key} accepted: {output(p)}"
    assert key in output(p), f"message does not name {key!r}: {output(p)!r}"


def test_config_check_invalid_yaml(run_cli, tmp_path):
    p = run_cli("config", "check", write_yaml(tmp_path, "server: [unclosed\n  listen: : :\n"))
    assert p.returncode != 0, output(p)
    assert output(p).strip(), "no message for invalid YAML"


def test_config_check_missing_file(run_cli, tmp_path):
    p = run_cli("config", "check", tmp_path / "does-not-exist.yaml")
    assert p.returncode != 0, output(p)


def test_serve_with_bad_config_exits_nonzero(run_cli, tmp_path):
    cfg = write_yaml(tmp_path, {"server": {"listne": "x"}})
    p = run_cli("serve", "--config", cfg, "--listen", "127.0.0.1:0", "--data-dir", tmp_path / "d", timeout=30)
    assert p.returncode != 0, output(p)
    assert "server.listne" in output(p), output(p)


def test_routes_prints_json_table(run_cli):
    p = run_cli("routes")
    assert p.returncode == 0, output(p)
    routes = json.loads(p.stdout)
    assert isinstance(routes, list) and routes
    for r in routes:
        assert isinstance(r, dict) and set(r) >= {"method", "path"}, r
        assert isinstance(r["method"], str) and isinstance(r["path"], str), r
    pairs = {(r["method"], r["path"]) for r in routes}
    for need in [("GET", "/health"), ("GET", "/health/live"), ("GET", "/health/ready"), ("GET", "/metrics"),
                 ("GET", "/api/v2/openapi.json"), ("GET", "/docs")]:
        assert need in pairs, f"{need} missing from `archon-auth routes`: {sorted(pairs)}"


def test_routes_table_matches_served_routes(run_cli, server):
    routes = json.loads(run_cli("routes").stdout)
    for r in routes:
        if r["method"] != "GET" or "{" in r["path"]:
            continue
        resp = http(server, "GET", r["path"])
        assert resp.status_code not in (404, 405), f"listed route GET {r['path']} answers {resp.status_code}"


# ---- precedence: flags > environment > file > defaults


def listen_file(tmp_path, port):
    return write_yaml(tmp_path, {"server": {"listen": f"127.0.0.1:{port}"}}, name="listen.yaml")


def test_listen_from_file(start_server, tmp_path):
    p1 = free_port()
    srv = start_server(args=["--config", listen_file(tmp_path, p1)], default_listen=False)
    assert srv.port == p1
    assert_success(http(srv, "GET", "/health/live"))


def test_env_beats_file(start_server, tmp_path):
    p1, p2 = free_port(), free_port()
    srv = start_server(args=["--config", listen_file(tmp_path, p1)],
                       env={"ARCHON_AUTH_LISTEN": f"127.0.0.1:{p2}"})
    assert srv.port == p2, f"listening on {srv.port}; file {p1}, env {p2}"
    assert_success(http(srv, "GET", "/health/live"))


def test_flag_beats_env_and_file(start_server, tmp_path):
    p1, p2, p3 = free_port(), free_port(), free_port()
    srv = start_server(args=["--config", listen_file(tmp_path, p1), "--listen", f"127.0.0.1:{p3}"],
                       env={"ARCHON_AUTH_LISTEN": f"127.0.0.1:{p2}"})
    assert srv.port == p3, f"listening on {srv.port}; file {p1}, env {p2}, flag {p3}"
    assert_success(http(srv, "GET", "/health/live"))


def test_config_from_env(start_server, tmp_path):
    p1 = free_port()
    srv = start_server(env={"ARCHON_AUTH_CONFIG": str(listen_file(tmp_path, p1))}, default_listen=False)
    assert srv.port == p1, f"ARCHON_AUTH_CONFIG not honoured: listening on {srv.port}, file says {p1}"


def test_data_dir_flag_creates_directory(start_server, tmp_path):
    d = tmp_path / "nested" / "data" / "dir"
    srv = start_server(args=["--data-dir", str(d)])
    assert d.is_dir(), f"--data-dir {d} was not created"
    assert srv.data_dir == d
    assert_success(http(srv, "GET", "/health"))


def test_data_dir_from_env(start_server, tmp_path):
    d = tmp_path / "envdata"
    srv = start_server(env={"ARCHON_AUTH_DATA_DIR": str(d)})
    assert d.is_dir(), f"ARCHON_AUTH_DATA_DIR={d} was not created"
    assert_success(http(srv, "GET", "/health"))


def test_data_dir_flag_beats_env(start_server, tmp_path):
    env_dir, flag_dir = tmp_path / "envdata", tmp_path / "flagdata"
    srv = start_server(env={"ARCHON_AUTH_DATA_DIR": str(env_dir)}, args=["--data-dir", str(flag_dir)])
    assert flag_dir.is_dir(), "--data-dir not used"
    assert not env_dir.exists(), "ARCHON_AUTH_DATA_DIR beat the --data-dir flag"
    assert srv.alive()
