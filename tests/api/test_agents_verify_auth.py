"""Issue 5, POST /api/v2/auth/agents/verify: who may ask. An agent asks about itself with its own
token as the Bearer; a tool server sends the token in `token` and authenticates like an
introspection client (a service client over Basic); no credential at all is 401."""
import base64

import pytest

from agent_support import SPEC_TYPE, VERIFY, start_world
from support import assert_error


@pytest.fixture(scope="module")
def world(module_start_server, archon_bin):
    w = start_world(module_start_server, archon_bin)
    yield w
    w.close()


@pytest.fixture(scope="module")
def agent(world):
    op = world.user("agent_operator")
    return op, world.mint(op)


SRC = {"path": "/project/src/app.ts"}


def test_tool_server_with_a_service_client_works(world, agent):
    _, data = agent
    d = world.decision(world.verify_tool(data["agent_token"], "file:write", SRC))
    assert d == {"allowed": True, "reason": "allowed", "agent_id": data["agent_id"], "agent_type": SPEC_TYPE}
    d = world.decision(world.verify_tool(data["agent_token"], "file:write", {"path": "/project/.env"}))
    assert d["allowed"] is False and d["reason"] == "path_not_allowed", d


def test_no_credential_at_all_is_401(world):
    r = world.client.post(VERIFY, {"capability": "file:write", "resource": SRC})
    assert_error(r, 401, "AUTH_TOKEN_INVALID")
    assert r.headers.get("WWW-Authenticate"), r.headers


def test_token_field_without_a_credential_is_401(world, agent):
    _, data = agent
    r = world.client.post(VERIFY, {"token": data["agent_token"], "capability": "file:write", "resource": SRC})
    assert_error(r, 401, "AUTH_TOKEN_INVALID")
    assert r.headers.get("WWW-Authenticate"), r.headers


@pytest.mark.parametrize("cred", ["wrong secret", "unknown client", "agent token as bearer", "garbage bearer"])
def test_token_field_with_a_bad_credential_is_401(world, agent, cred):
    _, data = agent
    cid, secret = world.service
    b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    auth = {"wrong secret": "Basic " + b64(f"{cid}:{secret[:-1]}{'x' if secret[-1] != 'x' else 'y'}"),
            "unknown client": "Basic " + b64(f"svc_nobody:{secret}"),
            "agent token as bearer": "Bearer " + data["agent_token"],
            "garbage bearer": "Bearer abc.def.ghi"}[cred]
    r = world.verify_tool(data["agent_token"], "file:write", SRC, headers={"Authorization": auth})
    assert_error(r, 401, "AUTH_TOKEN_INVALID")


def test_token_field_with_a_plain_user_token_is_not_enough(world, agent):
    op, data = agent
    r = world.verify_tool(data["agent_token"], "file:write", SRC,
                          headers={"Authorization": f"Bearer {op.access_token}"})
    assert r.status_code in (401, 403), f"{r.status_code} {r.text[:300]}"
    assert r.json()["success"] is False


def test_a_user_access_token_is_not_an_agent_token(world, agent):
    op, _ = agent
    r = world.verify_self(op.access_token, "file:write", SRC)
    assert_error(r, 401, "AUTH_TOKEN_INVALID")


def test_self_verify_works(world, agent):
    _, data = agent
    d = world.decision(world.verify_self(data["agent_token"], "file:write", SRC))
    assert d == {"allowed": True, "reason": "allowed", "agent_id": data["agent_id"], "agent_type": SPEC_TYPE}
