"""Issue 5, "What it must show": the spec's code_implementer example end to end.

A user with the agent_operator role asks for a code_implementer token with file:read, file:write,
git:commit and npm:install; the first three are granted, npm:install is denied (requires_approval);
the token carries the spec's claims and restrictions, verifies offline against the JWKS alone, and
POST /api/v2/auth/agents/verify allows file:write on /project/src/app.ts and refuses /project/.env.
"""
import pytest

from agent_support import (AGENT_TYP, SPEC_CLAIMS, SPEC_GRANTED, SPEC_REQUESTED, SPEC_RESTRICTIONS,
                           SPEC_TASK, SPEC_TYPE, claims_of, start_world)
from support import assert_error
from token_support import AGENT_AUD, verify_independently


@pytest.fixture(scope="module")
def world(module_start_server, archon_bin):
    w = start_world(module_start_server, archon_bin)
    yield w
    w.close()


@pytest.fixture(scope="module")
def operator(world):
    return world.user("agent_operator")


@pytest.fixture(scope="module")
def minted(world, operator):
    """The spec's request, once: (response, data)."""
    r = world.authenticate(operator, SPEC_TYPE, SPEC_REQUESTED, SPEC_TASK)
    body = r.json()
    assert r.status_code == 200, f"authenticate: {r.status_code} {r.text[:500]}"
    return r, body["data"]


def test_grants_the_first_three_and_denies_npm_install_for_approval(minted):
    _, data = minted
    assert data["capabilities_granted"] == SPEC_GRANTED, data
    assert data["capabilities_denied"] == ["npm:install"], data
    assert data["denial_reasons"] == {"npm:install": "requires_approval"}, data
    assert isinstance(data["agent_token"], str) and data["agent_token"].count(".") == 2, data
    assert isinstance(data["agent_id"], str) and data["agent_id"], data


def test_restrictions_are_the_spec_s(minted):
    _, data = minted
    assert data["restrictions"] == SPEC_RESTRICTIONS
    assert claims_of(data["agent_token"])["restrictions"] == SPEC_RESTRICTIONS


def test_lifetime_is_at_most_an_hour_and_derived_from_estimated_duration(world, operator, minted):
    _, data = minted
    e300 = data["expires_in"]
    assert isinstance(e300, int) and not isinstance(e300, bool), data
    claims = claims_of(data["agent_token"])
    assert claims["exp"] - claims["iat"] == e300, (claims, e300)
    # The estimate shapes the lifetime: at least the estimated 300 s, well under the type's hour.
    assert 300 <= e300 < 3600, f"expires_in {e300} for estimated_duration 300"

    def expires_in(task_context):
        d = world.mint(operator, SPEC_TYPE, ["file:read"], task_context)
        c = claims_of(d["agent_token"])
        assert c["exp"] - c["iat"] == d["expires_in"], (c, d["expires_in"])
        return d["expires_in"]

    e600 = expires_in(dict(SPEC_TASK, estimated_duration=600))
    assert e300 < e600 < 3600, f"estimated 300 s -> {e300} s, 600 s -> {e600} s"
    # Without an estimate, or with one beyond an hour, the smaller bounds decide: one hour.
    assert expires_in({"project_id": "proj_123", "task_type": "feature_implementation"}) == 3600
    assert expires_in(dict(SPEC_TASK, estimated_duration=100000)) == 3600


def test_agent_token_verifies_offline_with_the_jwks(world, operator, minted):
    _, data = minted
    token = data["agent_token"]
    hdr, claims = verify_independently(world.jwks_url(), token, AGENT_AUD)
    assert hdr["typ"] == AGENT_TYP, hdr
    assert hdr["alg"] == "ES256", hdr  # tokens.agent.algorithm's default
    assert SPEC_CLAIMS <= set(claims), f"missing claims: {sorted(SPEC_CLAIMS - set(claims))}"
    assert claims["iss"] == world.server.base_url  # the default issuer: the public URL
    assert claims["aud"] == AGENT_AUD
    assert claims["type"] == "agent"
    assert claims["sub"] == operator.id
    assert claims["agent_type"] == SPEC_TYPE
    assert claims["agent_id"] == data["agent_id"]
    assert claims["capabilities"] == SPEC_GRANTED
    assert claims["restrictions"] == SPEC_RESTRICTIONS
    assert claims["task_context"] == SPEC_TASK
    assert isinstance(claims["jti"], str) and claims["jti"]


def test_authentication_is_audited_with_the_denial(world, operator, minted):
    r, data = minted
    row = world.audit_event(r, "agent_authenticate")
    assert row["user_id"] == operator.id, row
    assert row["details"].get("agent_id") == data["agent_id"], row
    assert row["details"].get("agent_type") == SPEC_TYPE, row
    assert row["details"].get("granted") == SPEC_GRANTED, row
    assert row["details"].get("denied") == {"npm:install": "requires_approval"}, row


@pytest.mark.parametrize("how", ["self", "tool"])
def test_verify_allows_write_in_src_and_refuses_dotenv(world, minted, how):
    _, data = minted
    token = data["agent_token"]
    call = world.verify_self if how == "self" else world.verify_tool
    ok = world.decision(call(token, "file:write", {"path": "/project/src/app.ts"}))
    assert ok == {"allowed": True, "reason": "allowed", "agent_id": data["agent_id"],
                  "agent_type": SPEC_TYPE}, ok
    r = call(token, "file:write", {"path": "/project/.env"})
    no = world.decision(r)
    assert no == {"allowed": False, "reason": "path_not_allowed", "agent_id": data["agent_id"],
                  "agent_type": SPEC_TYPE}, no
    row = world.audit_event(r, "agent_verify")
    assert row["outcome"] == "denied", row
    assert row["actor"] == data["agent_id"], row
    assert row["details"] == {"capability": "file:write", "resource": {"path": "/project/.env"},
                              "reason": "path_not_allowed"}, row


def test_verify_of_the_allowed_write_is_audited(world, minted):
    _, data = minted
    r = world.verify_self(data["agent_token"], "file:write", {"path": "/project/src/app.ts"})
    assert world.decision(r)["allowed"] is True
    row = world.audit_event(r, "agent_verify")
    assert row["outcome"] == "allowed", row
    assert row["actor"] == data["agent_id"], row
    assert row["details"]["capability"] == "file:write", row
    assert row["details"]["resource"] == {"path": "/project/src/app.ts"}, row


def test_denied_and_unrequested_capabilities_are_refused(world, minted):
    _, data = minted
    token = data["agent_token"]
    for cap in ("npm:install", "file:delete", "shell:execute"):
        d = world.decision(world.verify_self(token, cap, {"path": "/project/src/app.ts"}))
        assert d["allowed"] is False, (cap, d)


def test_the_other_restrictions_of_the_example(world, minted):
    _, data = minted
    token = data["agent_token"]
    world.allowed(token, "git:commit", {"branch": "feature/login"})
    world.allowed(token, "file:write", {"path": "/project/src/app.ts", "size": 10 * 1024 * 1024})
    d = world.decision(world.verify_self(token, "file:write",
                                         {"path": "/project/src/app.ts", "size": 10 * 1024 * 1024 + 1}))
    assert d["allowed"] is False and d["reason"] == "size_exceeds_limit", d
    d = world.decision(world.verify_self(token, "file:write", {"path": "/project/src/app.ts", "size": "11MB"}))
    assert d["allowed"] is False and d["reason"] == "size_exceeds_limit", d
    d = world.decision(world.verify_self(token, "git:commit", {"branch": "main"}))
    assert d["allowed"] is False and d["reason"] == "branch_not_allowed", d
    # Sizes are 0 .. 2^53-1 bytes (exact in every JSON reader); 2^53 is malformed, like -1.
    d = world.decision(world.verify_self(token, "file:write", {"path": "/project/src/app.ts", "size": 2**53 - 1}))
    assert d["allowed"] is False and d["reason"] == "size_exceeds_limit", d
    for bad in (2**53, -1):
        r = world.verify_self(token, "file:write", {"path": "/project/src/app.ts", "size": bad})
        assert_error(r, 400, "VALIDATION_INVALID_FORMAT")
