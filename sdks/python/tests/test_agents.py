"""Agent tokens through the SDK and the tool-server kit, against the real server."""
from __future__ import annotations

import json
from typing import Any, AsyncIterator, Dict, List, Optional

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from archon_auth_client import ArchonAuthClient, ArchonAuthError, AuthConfig
from archon_auth_client.agents import (AgentTokenError, AgentTokenVerifier, CapabilityGuard, Decision,
                                       OfflineAuthorizer, OnlineAuthorizer, actor_chain)
from archon_testing import ArchonServer

SPEC_REQUESTED = ["file:read", "file:write", "git:commit", "npm:install"]
TASK = {"project_id": "proj_123", "task_type": "feature_implementation", "estimated_duration": 300}


@pytest.fixture
async def operator(archon: ArchonServer) -> AsyncIterator[ArchonAuthClient]:
    user = archon.create_user("agent_operator")
    async with ArchonAuthClient(AuthConfig(archon.base_url + "/api/v2")) as client:
        await client.login({"email": user.email, "password": user.password})
        yield client


@pytest.fixture
async def tool_client(archon: ArchonServer) -> AsyncIterator[ArchonAuthClient]:
    cid, secret = archon.service
    async with ArchonAuthClient(AuthConfig(archon.base_url, client_id=cid, client_secret=secret)) as c:
        yield c


async def test_spec_example_grant_and_denial(operator: ArchonAuthClient) -> None:
    result = await operator.authenticate_agent("code_implementer", SPEC_REQUESTED, TASK)
    assert result["capabilities_granted"] == ["file:read", "file:write", "git:commit"]
    assert result["capabilities_denied"] == ["npm:install"]
    assert result["denial_reasons"] == {"npm:install": "requires_approval"}
    assert result["expires_in"] == 450
    assert result["restrictions"] == {"file_paths": ["/project/src/**"], "git_branches": ["feature/*"],
                                      "max_file_size": "10MB"}


async def test_unknown_type_and_unauthorized(archon: ArchonServer, operator: ArchonAuthClient) -> None:
    with pytest.raises(ArchonAuthError) as unknown:
        await operator.authenticate_agent("no_such_type", ["file:read"])
    assert (unknown.value.status, unknown.value.code) == (400, "AGENT_TYPE_UNKNOWN")
    plain = archon.create_user("user")
    async with ArchonAuthClient(AuthConfig(archon.base_url)) as client:
        await client.login({"email": plain.email, "password": plain.password})
        with pytest.raises(ArchonAuthError) as refused:
            await client.authenticate_agent("code_implementer", ["file:read"])
    assert (refused.value.status, refused.value.code) == (403, "AGENT_UNAUTHORIZED")


async def test_verify_self_and_as_tool_server(operator: ArchonAuthClient,
                                              tool_client: ArchonAuthClient) -> None:
    token = (await operator.authenticate_agent("code_implementer", ["file:write"], TASK))["agent_token"]
    ok = await operator.verify_capability("file:write", {"path": "/project/src/app.ts", "size": 10},
                                          agent_token=token)
    assert (ok["allowed"], ok["reason"]) == (True, "allowed")
    for resource, reason in [({"path": "/project/.env"}, "path_not_allowed"),
                             ({"path": "/project/src/../../etc/passwd"}, "invalid_path"),
                             ({"path": "/project/src/a", "size": "11MB"}, "size_exceeds_limit")]:
        d = await tool_client.verify_capability("file:write", resource, token=token)
        assert (d["allowed"], d["reason"]) == (False, reason), resource
        assert d["request_id"], "the decision names its audit row"
    d = await tool_client.verify_capability("git:push", {"branch": "feature/x"}, token=token)
    assert d["reason"] == "capability_not_granted"


async def test_delegation_act_chain_and_revocation(operator: ArchonAuthClient,
                                                   tool_client: ArchonAuthClient,
                                                   archon: ArchonServer) -> None:
    parent = await operator.authenticate_agent("code_implementer", ["file:read", "file:write"], TASK)
    child = await operator.delegate_agent(parent["agent_token"], "test_writer", ["file:write"],
                                          {"file_paths": ["/project/src/tests/**"]},
                                          {"task_type": "unit_tests", "estimated_duration": 240})
    assert child["restrictions"]["file_paths"] == ["/project/src/tests/**"]
    with pytest.raises(ArchonAuthError) as wider:
        await operator.delegate_agent(parent["agent_token"], "test_writer", ["file:write"],
                                      {"file_paths": ["/project/**"]})
    assert wider.value.code == "AGENT_DELEGATION_REFUSED"
    assert wider.value.details["reason"] == "restrictions_wider_than_parent"

    verifier = AgentTokenVerifier(archon.base_url)
    try:
        claims = await verifier.verify(child["agent_token"])
        assert actor_chain(claims) == [child["agent_id"], parent["agent_id"]]
        offline = OfflineAuthorizer(verifier)
        assert (await offline(child["agent_token"], "file:write", {"path": "/project/src/tests/a.py"})).allowed
        out = await offline(child["agent_token"], "file:write", {"path": "/project/src/app.py"})
        assert (out.allowed, out.reason) == (False, "path_not_allowed")
    finally:
        await verifier.aclose()

    tokens = await operator.list_agent_tokens()
    assert {t["agent_id"] for t in tokens} >= {parent["agent_id"], child["agent_id"]}
    await operator.revoke_agent_token(parent["agent_id"])
    online = OnlineAuthorizer(tool_client)
    d = await online(child["agent_token"], "file:write", {"path": "/project/src/tests/a.py"})
    assert (d.allowed, d.reason) == (False, "token_revoked")  # the ancestor's revocation counts
    assert d.actors == (child["agent_id"], parent["agent_id"])


def _forge(claims: Dict[str, Any], kid: str) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid, "typ": "agent+jwt"})


async def test_offline_verifier_refuses_forgeries_and_rate_limits_refetch(
        operator: ArchonAuthClient, archon: ArchonServer) -> None:
    real = (await operator.authenticate_agent("code_implementer", ["file:read"], TASK))["agent_token"]
    header, claims = jwt.get_unverified_header(real), jwt.decode(real, options={"verify_signature": False})
    assert claims["iss"] == (await operator.discovery())["issuer"]
    verifier = AgentTokenVerifier(archon.base_url, refetch_interval=60)
    try:
        await verifier.verify(real)
        assert verifier.jwks_fetches == 1
        widened = dict(claims, capabilities=["file:read", "file:write", "secrets:read"])
        with pytest.raises(AgentTokenError) as forged:
            await verifier.verify(_forge(widened, header["kid"]))
        assert forged.value.reason == "token_invalid"
        for _ in range(5):
            with pytest.raises(AgentTokenError):
                await verifier.verify(_forge(claims, "agent-unknown-kid"))
        assert verifier.jwks_fetches == 1, "an unknown kid refetches at most once per interval"
        expired = dict(claims, exp=claims["iat"] - 120)
        with pytest.raises(AgentTokenError):
            await verifier.verify(_forge(expired, header["kid"]))  # the signature fails first
    finally:
        await verifier.aclose()
    refetching = AgentTokenVerifier(archon.base_url, refetch_interval=0)
    try:
        await refetching.verify(real)
        with pytest.raises(AgentTokenError):
            await refetching.verify(_forge(claims, "agent-unknown-kid"))
        assert refetching.jwks_fetches == 2
    finally:
        await refetching.aclose()


async def _echo(scope: Any, receive: Any, send: Any) -> None:
    body = (await receive())["body"]
    decision: Decision = scope["state"]["agent_decision"]
    raw = json.dumps({"echo": json.loads(body), "agent_id": decision.agent_id}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": raw})


@pytest.mark.parametrize("online", [True, False])
async def test_asgi_guard(operator: ArchonAuthClient, tool_client: ArchonAuthClient,
                          archon: ArchonServer, online: bool) -> None:
    grant = await operator.authenticate_agent("code_implementer", ["file:write"], TASK)
    seen: List[Decision] = []
    verifier = AgentTokenVerifier(archon.base_url)
    authorizer = OnlineAuthorizer(tool_client) if online else OfflineAuthorizer(verifier)
    guard = CapabilityGuard(_echo, authorizer=authorizer, capability="file:write",
                            resource=lambda scope, body: {"path": body["path"], "size": len(body["content"])},
                            on_decision=lambda d, cap, res: seen.append(d))
    transport = httpx.ASGITransport(app=guard)
    auth = {"Authorization": f"Bearer {grant['agent_token']}"}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://tool") as http:
            ok = await http.post("/write", json={"path": "/project/src/a.ts", "content": "x"}, headers=auth)
            assert ok.status_code == 200 and ok.json()["agent_id"] == grant["agent_id"]
            assert ok.json()["echo"]["path"] == "/project/src/a.ts"  # the body reached the route
            no = await http.post("/write", json={"path": "/project/.env", "content": "x"}, headers=auth)
            assert no.status_code == 403
            assert no.json()["error"]["details"]["reason"] == "path_not_allowed"
            anon = await http.post("/write", json={"path": "/project/src/a.ts", "content": "x"})
            assert anon.status_code == 401
    finally:
        await verifier.aclose()
    assert [d.reason for d in seen] == ["allowed", "path_not_allowed"]
    assert all((d.request_id is not None) is online for d in seen)


async def test_introspect_and_revoke_as_a_service_client(operator: ArchonAuthClient,
                                                         tool_client: ArchonAuthClient) -> None:
    """RFC 7662 / 7009 through the SDK (form-encoded, HTTP Basic as the service client)."""
    grant = await operator.authenticate_agent("code_implementer", ["file:read"], TASK)
    info = await tool_client.introspect(grant["agent_token"])
    assert info["active"] is True and info.get("sub"), info
    user_info = await tool_client.introspect(str(operator.access_token), "access_token")
    assert user_info["active"] is True
    await tool_client.revoke_token(grant["agent_token"])
    assert (await tool_client.introspect(grant["agent_token"]))["active"] is False
    d = await tool_client.verify_capability("file:read", {"path": "/project/src/a"}, token=grant["agent_token"])
    assert d["reason"] == "token_revoked"


async def test_offline_and_online_refuse_a_bad_size(operator: ArchonAuthClient,
                                                    tool_client: ArchonAuthClient,
                                                    archon: ArchonServer) -> None:
    grant = await operator.authenticate_agent("code_implementer", ["file:write"], TASK)
    verifier = AgentTokenVerifier(archon.base_url)
    try:
        offline = await OfflineAuthorizer(verifier)(grant["agent_token"], "file:write",
                                                    {"path": "/project/src/a", "size": -1})
    finally:
        await verifier.aclose()
    assert (offline.allowed, offline.reason) == (False, "invalid_resource")
    online = await OnlineAuthorizer(tool_client)(grant["agent_token"], "file:write",
                                                 {"path": "/project/src/a", "size": -1})
    assert (online.allowed, online.reason) == (False, "VALIDATION_INVALID_FORMAT")
