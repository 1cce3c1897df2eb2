"""The server answers what the OpenAPI document says (issue 18, items 7 and 8): the cases
schemathesis found, each pinned here so it stays fixed (tests/schemathesis runs the whole
document)."""
from __future__ import annotations

import pytest

from agent_support import AgentWorld, SPEC_TYPE
from identity_support import AUDIT, LOGIN, ME, REFRESH, RESEND, RESET, identity_config
from support import assert_error, http


@pytest.fixture(scope="module")
def world(module_start_server, archon_bin):
    return AgentWorld(module_start_server(config=identity_config()), archon_bin)


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_users_me_is_its_own_resource(world, method):
    r = http(world.server, method, ME)
    body = assert_error(r, 405, "HTTP_METHOD_NOT_ALLOWED")
    assert r.headers["Allow"] == "GET, PUT, HEAD, OPTIONS", (r.headers, body)
    options = http(world.server, "OPTIONS", ME)
    assert options.headers["Allow"] == "GET, PUT, HEAD, OPTIONS"


@pytest.mark.parametrize("path", [LOGIN, RESEND, RESET])
@pytest.mark.parametrize("email", ["ada\x00@example.com", "ada@example.com\r\nBcc: x@y.z", "\x7f"])
def test_a_control_character_in_an_email_is_a_validation_error(world, path, email):
    body = {"email": email, "password": "whatever password"} if path == LOGIN else {"email": email}
    r = world.client.post(path, body)
    err = assert_error(r, 400, "VALIDATION_INVALID_FORMAT")
    assert "email" in err["error"]["details"], err


@pytest.mark.parametrize("duration", [{}, [], "300", 1.5, 0, -5, None, True, 31536001, 2**63])
def test_estimated_duration_of_the_wrong_type_or_range_is_refused_by_name(world, duration):
    user = world.user("agent_operator")
    r = world.authenticate(user, SPEC_TYPE, ["file:read"], {"estimated_duration": duration})
    err = assert_error(r, 400, "VALIDATION_INVALID_FORMAT")
    assert "task_context.estimated_duration" in err["error"]["details"], err


def test_estimated_duration_in_range_bounds_the_lifetime(world):
    user = world.user("agent_operator")
    data = world.mint(user, SPEC_TYPE, ["file:read"], {"estimated_duration": 300})
    assert data["expires_in"] == 450
    assert world.mint(user, SPEC_TYPE, ["file:read"], {"estimated_duration": 31536000})["expires_in"] == 3600


@pytest.mark.parametrize("user_id", ["", "nope", "user_", "user_a b", "x" * 200])
def test_audit_user_id_must_be_an_account_id(world, user_id):
    r = world.client.get(f"{AUDIT}?user_id={user_id}", token=world.admin.access_token)
    err = assert_error(r, 400, "VALIDATION_INVALID_FORMAT")
    assert "user_id" in err["error"]["details"], err


def test_refresh_without_any_token_is_unauthenticated(world):
    for body in ({}, {"refresh_token": None}, {"return_refresh_token": True}):
        err = assert_error(world.client.post(REFRESH, body), 401, "AUTH_TOKEN_INVALID")
        assert "refresh_token" in err["error"]["details"], err
