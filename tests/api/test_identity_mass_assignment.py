"""Mass assignment (issue 4, "What it must show"): fields the client may not set -- role, roles,
is_active, email_verified, id -- in register and PUT /users/me answer 400 VALIDATION_UNKNOWN_FIELD
naming each, and change nothing."""
import pytest

from identity_support import (LOGIN, ME, PASSWORD, Client, data_of, identity_config, login, new_user,
                              register, unique_email, verify)
from support import assert_error

MASS_FIELDS = {"role": "admin", "roles": ["admin"], "is_active": True, "email_verified": True,
               "id": "00000000-0000-0000-0000-000000000001"}


@pytest.fixture(scope="module")
def srv(module_start_server):
    return module_start_server(config=identity_config())


@pytest.fixture(scope="module")
def client(srv):
    with Client(srv) as c:
        yield c


@pytest.mark.parametrize("fields", [[k] for k in MASS_FIELDS] + [list(MASS_FIELDS)],
                         ids=[k for k in MASS_FIELDS] + ["all"])
def test_mass_assignment_register(srv, client, fields):
    email = unique_email("mass")
    r = register(client, email, **{k: MASS_FIELDS[k] for k in fields})
    body = assert_error(r, 400, "VALIDATION_UNKNOWN_FIELD")
    details = body["error"]["details"]
    assert set(fields) <= set(details), f"details {details} do not name each of {fields}"
    # nothing was created: the same email registers normally afterwards, as a plain user
    data_of(register(client, email), 201)
    verify(client, email)
    data = data_of(login(client, email, PASSWORD))
    assert data["user"]["roles"] == ["user"], data["user"]


@pytest.mark.parametrize("fields", [[k] for k in MASS_FIELDS] + [list(MASS_FIELDS)],
                         ids=[k for k in MASS_FIELDS] + ["all"])
def test_mass_assignment_profile(srv, client, fields):
    user = new_user(client, prefix="mass-me")
    before = data_of(client.get(ME, token=user.access_token))
    body = {"name": "Should Not Apply"}
    body.update({k: MASS_FIELDS[k] for k in fields})
    r = client.put(ME, body, token=user.access_token)
    err = assert_error(r, 400, "VALIDATION_UNKNOWN_FIELD")["error"]
    assert set(fields) <= set(err["details"]), f"details {err['details']} do not name each of {fields}"
    assert "name" not in err["details"], err["details"]
    after = data_of(client.get(ME, token=user.access_token))
    assert after == before, f"a refused update changed the profile: {before} -> {after}"
    # preferences are a free object: a "role" inside them grants nothing
    data_of(client.put(ME, {"preferences": {"role": "admin", "roles": ["admin"]}}, token=user.access_token))
    data = data_of(login(client, user.email, user.password))
    assert data["user"]["roles"] == ["user"] and "users:read" not in data["user"]["permissions"], data


def test_mass_assignment_login(srv, client):
    user = new_user(client, do_login=False, prefix="mass-login")
    r = client.post(LOGIN, {"email": user.email, "password": user.password, "roles": ["admin"]})
    err = assert_error(r, 400, "VALIDATION_UNKNOWN_FIELD")["error"]
    assert "roles" in err["details"], err
