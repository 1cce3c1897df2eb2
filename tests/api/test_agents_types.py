"""Issue 5: the agent catalog as users see it (GET /api/v2/agents/types) and who may run what by
default (0003_agents.sql: user runs nothing, agent_operator the `common: true` types, admin every
type, approval-required capabilities still denied)."""
import pytest

from agent_support import (TYPES, all_types, catalog, claims_of, common_types, start_world)
from support import assert_error


@pytest.fixture(scope="module")
def world(module_start_server, archon_bin):
    w = start_world(module_start_server, archon_bin)
    yield w
    w.close()


@pytest.fixture(scope="module")
def users(world):
    return {"user": world.user("user"), "agent_operator": world.user("agent_operator"),
            "admin": world.admin}


def test_the_catalog_has_at_least_22_types_with_their_definitions(world, users):
    types = world.types(users["agent_operator"])
    names = [t["name"] for t in types]
    assert len(types) >= 22, names
    assert names == all_types(), "the listing is not the shipped catalog, in its order"
    assert {"code_implementer", "system_architect", "code_reviewer", "test_writer"} <= set(names)
    shipped = catalog()["agent_types"]
    for t in types:
        s = shipped[t["name"]]
        assert t["description"] == s["description"], t
        assert t["capabilities"] == s["capabilities"], t
        assert t["requires_approval"] == s.get("requires_approval", []), t
        assert t["default_restrictions"] == s["default_restrictions"], t
        assert t["max_token_lifetime_seconds"] == s["max_token_lifetime_seconds"], t
    code = next(t for t in types if t["name"] == "code_implementer")
    assert "npm:install" in code["requires_approval"], code


@pytest.mark.parametrize("role", ["user", "agent_operator", "admin"])
def test_runnable_follows_the_default_grants(world, users, role):
    types = world.types(users[role])
    common = common_types()
    assert common, "the shipped catalog marks no type common"
    for t in types:
        expected = {"user": False, "agent_operator": t["name"] in common, "admin": True}[role]
        assert t["runnable"] is expected, f"{role}: {t['name']} runnable {t['runnable']!r}"


def test_runnable_is_what_authenticate_accepts(world, users):
    """For agent_operator: a common type mints, a specialised one is 403."""
    common = common_types()
    specialised = [n for n in all_types() if n not in common]
    assert specialised
    op = users["agent_operator"]
    for name in ("code_implementer", "code_reviewer", "test_writer", "system_architect"):
        assert name in common, name
        assert world.authenticate(op, name, ["file:read"]).status_code == 200, name
    for name in specialised[:3]:
        assert_error(world.authenticate(op, name, ["file:read"]), 403, "AGENT_UNAUTHORIZED")


def test_admin_runs_every_type_but_approval_is_still_denied(world, users):
    admin = users["admin"]
    data = world.mint(admin, "incident_responder", ["logs:read", "deploy:production", "shell:execute"])
    assert data["capabilities_granted"] == ["logs:read"], data
    assert data["denial_reasons"] == {"deploy:production": "requires_approval",
                                      "shell:execute": "requires_approval"}, data
    data = world.mint(admin)
    assert data["denial_reasons"] == {"npm:install": "requires_approval"}, data


def test_types_need_a_logged_in_user(world, users):
    assert world.client.get(TYPES).status_code == 401
    agent = world.mint(users["agent_operator"])["agent_token"]
    assert world.client.get(TYPES, token=agent).status_code == 401


@pytest.mark.parametrize("role", ["user", "agent_operator", "admin"])
def test_access_token_lists_the_runnable_types(world, users, role):
    """Issue 5, What to build 2: the access token's agent_capabilities lists the types a user may run."""
    u = users[role]
    runnable = sorted(t["name"] for t in world.types(u) if t["runnable"])
    listed = claims_of(u.access_token).get("agent_capabilities")
    assert isinstance(listed, list), claims_of(u.access_token)
    assert sorted(listed) == runnable, f"{role}: agent_capabilities {listed} != runnable {runnable}"
