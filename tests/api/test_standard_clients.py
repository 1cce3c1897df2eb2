"""Independent, widely used OAuth and JOSE clients work against archon-auth unchanged (issue 18):
oauth4webapi and jose (Node, tests/api/standard_clients/), Authlib and PyJWT (Python). The server
runs on a non-default port with the default configuration, so its issuer and every discovery URL
must follow the port it listens on."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jwt
import pytest
import requests

from agent_support import AgentWorld
from identity_support import identity_config
from support import free_port, session

STANDARD_CLIENTS = Path(__file__).resolve().parent / "standard_clients"


@pytest.fixture(scope="module")
def world(module_start_server, archon_bin):
    port = free_port()
    server = module_start_server(config=identity_config(), args=["--listen", f"127.0.0.1:{port}"])
    assert server.port == port
    return AgentWorld(server, archon_bin)


def fresh_tokens(world) -> tuple[str, str]:
    """A user's access token and an agent token minted with it, both issued by the server."""
    user = world.user("agent_operator")
    return user.access_token, world.mint(user)["agent_token"]


def test_issuer_is_the_public_url_on_the_listen_port(world):
    base = world.server.base_url
    with session() as s:
        oidc = s.get(base + "/.well-known/openid-configuration", timeout=10).json()
        rfc8414 = s.get(base + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert oidc["issuer"] == base, oidc
    assert rfc8414["issuer"] == base, rfc8414
    assert rfc8414["jwks_uri"] == base + "/.well-known/jwks.json"
    assert {k: v for k, v in rfc8414.items() if k not in ("response_types_supported", "grant_types_supported")} == oidc
    assert jwt.decode(fresh_tokens(world)[0], options={"verify_signature": False})["iss"] == base


# ----------------------------------------------------------------------------- Node


@pytest.fixture(scope="module")
def node_results(world):
    node = shutil.which("node")
    assert node, "node is installed by scripts/setup.sh"
    assert (STANDARD_CLIENTS / "node_modules" / "oauth4webapi").is_dir(), "scripts/setup.sh runs npm ci there"
    access, agent = fresh_tokens(world)
    revoke_public, _ = fresh_tokens(world)
    revoke_basic, _ = fresh_tokens(world)
    client_id, client_secret = world.service
    assert "_" in client_id, "the client id must need form-encoding (svc_...) for this test to mean anything"
    payload = {"issuer": world.server.base_url, "client_id": client_id, "client_secret": client_secret,
               "access_token": access, "agent_token": agent,
               "revoke_public": revoke_public, "revoke_basic": revoke_basic}
    proc = subprocess.run([node, str(STANDARD_CLIENTS / "oauth_clients.mjs")], input=json.dumps(payload),
                          capture_output=True, text=True, timeout=120, cwd=STANDARD_CLIENTS)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout), {"access": access, "agent": agent}


def ok(results: dict, step: str):
    r = results[step]
    assert r["ok"], f"{step}: {r}"
    return r["value"]


def test_oauth4webapi_discovers_both_documents(world, node_results):
    results, _ = node_results
    assert ok(results, "discovery_oauth2")["issuer"] == world.server.base_url
    assert ok(results, "discovery_oidc")["issuer"] == world.server.base_url


def test_oauth4webapi_introspects_with_client_secret_basic(node_results):
    results, tokens = node_results
    access = ok(results, "introspect_access")
    assert access["active"] is True and access["token_type"] == "access_token"
    assert access["sub"] == jwt.decode(tokens["access"], options={"verify_signature": False})["sub"]
    agent = ok(results, "introspect_agent")
    assert agent["active"] is True and agent["token_type"] == "agent_token" and agent["agent_id"].startswith("agt_")
    assert ok(results, "introspect_garbage") == {"active": False}


def test_oauth4webapi_revokes_as_public_and_confidential_client(node_results):
    results, _ = node_results
    assert ok(results, "revoke_none") is True
    assert ok(results, "introspect_after_revoke_none") == {"active": False}
    assert ok(results, "revoke_basic") is True
    assert ok(results, "introspect_after_revoke_basic") == {"active": False}


def test_jose_verifies_both_token_kinds_from_discovery(node_results):
    results, _ = node_results
    assert ok(results, "jose_access")["typ"] == "at+jwt"
    assert ok(results, "jose_agent")["typ"] == "agent+jwt"
    wrong = results["jose_wrong_audience"]
    assert not wrong["ok"] and wrong["code"] == "ERR_JWT_CLAIM_VALIDATION_FAILED", wrong


# ----------------------------------------------------------------------------- Python


def test_authlib_introspects_and_revokes(world):
    from authlib.integrations.requests_client import OAuth2Session

    base = world.server.base_url
    with session() as s:
        meta = s.get(base + "/.well-known/oauth-authorization-server", timeout=10).json()
    client_id, client_secret = world.service
    access, agent = fresh_tokens(world)
    oauth = OAuth2Session(client_id, client_secret, token_endpoint_auth_method="client_secret_basic")
    oauth.trust_env = False
    try:
        r = oauth.introspect_token(meta["introspection_endpoint"], token=agent, token_type_hint="agent_token")
        assert r.status_code == 200, r.text
        assert r.json()["active"] is True and r.json()["agent_type"] == "code_implementer", r.json()
        r = oauth.revoke_token(meta["revocation_endpoint"], token=access, token_type_hint="access_token")
        assert r.status_code == 200, r.text
        r = oauth.introspect_token(meta["introspection_endpoint"], token=access)
        assert r.json() == {"active": False}, r.text
    finally:
        oauth.close()


def test_pyjwt_verifies_both_token_kinds_from_discovery_alone(world):
    base = world.server.base_url
    with session() as s:
        meta = s.get(base + "/.well-known/openid-configuration", timeout=10).json()
    keys = jwt.PyJWKClient(meta["jwks_uri"], cache_keys=False)
    access, agent = fresh_tokens(world)
    for token, typ, audience in ((access, "at+jwt", "archon-api"), (agent, "agent+jwt", "archon-agent-system")):
        header = jwt.get_unverified_header(token)
        assert header["typ"] == typ
        assert header["alg"] in meta["access_token_signing_alg_values_supported"] + meta["agent_token_signing_alg_values_supported"]
        claims = jwt.decode(token, keys.get_signing_key_from_jwt(token).key, algorithms=[header["alg"]],
                            audience=audience, issuer=meta["issuer"],
                            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]})
        assert claims["iss"] == base
        with pytest.raises(jwt.InvalidIssuerError):
            jwt.decode(token, keys.get_signing_key_from_jwt(token).key, algorithms=[header["alg"]],
                       audience=audience, issuer="archon-auth-service")


def test_spec_literal_issuer_stays_available_by_configuration(start_server):
    srv = start_server(config={"tokens": {"issuer": "archon-auth-service"}})
    with session() as s:
        doc = s.get(srv.base_url + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert doc["issuer"] == "archon-auth-service"
    assert doc["jwks_uri"] == srv.base_url + "/.well-known/jwks.json"


def test_configured_public_url_is_used_as_is(start_server):
    srv = start_server(config={"tokens": {"public_url": "https://auth.example.com/"}})
    with session() as s:
        doc = s.get(srv.base_url + "/.well-known/openid-configuration", timeout=10).json()
    assert doc["issuer"] == "https://auth.example.com"
    assert doc["jwks_uri"] == "https://auth.example.com/.well-known/jwks.json"
