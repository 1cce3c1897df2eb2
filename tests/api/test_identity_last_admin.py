"""Nobody can leave the server without an administrator (issue 18, item 9): demoting or
deactivating the last active holder of the admin role is 409 USER_LAST_ADMIN and changes nothing;
with a second administrator the same change goes through."""
from __future__ import annotations

import pytest

from identity_support import USERS, Client, User, create_admin, data_of, identity_config, login_user, unique_email, users_create
from support import assert_error


@pytest.fixture
def client(start_server):
    with Client(start_server(config=identity_config())) as c:
        yield c


def user_path(user: User) -> str:
    return f"{USERS}/{user.login_data['user']['id']}"


def test_last_admin_cannot_demote_or_deactivate_itself(client, archon_bin):
    admin = create_admin(archon_bin, client)
    for change in ({"roles": ["user"]}, {"is_active": False}, {"roles": ["user"], "is_active": False}):
        body = assert_error(client.patch(user_path(admin), change, token=admin.access_token), 409, "USER_LAST_ADMIN")
        assert "user_id" in body["error"]["details"], body
    assert_error(client.delete(user_path(admin), token=admin.access_token), 409, "USER_LAST_ADMIN")
    me = data_of(client.get(user_path(admin), token=admin.access_token))
    assert me["is_active"] is True and "admin" in me["roles"], me
    # A change that keeps the role is not refused.
    renamed = data_of(client.patch(user_path(admin), {"name": "Still Admin", "roles": ["admin", "user"]},
                                   token=admin.access_token))
    assert renamed["name"] == "Still Admin"


def test_with_a_second_admin_the_first_may_go(client, archon_bin):
    first = create_admin(archon_bin, client)
    second = User(unique_email("admin2"), "second admin password 4 tests", "Second Admin")
    users_create(archon_bin, client.server.data_dir, second.email, second.name, "admin", second.password)
    login_user(client, second)
    assert data_of(client.patch(user_path(first), {"roles": ["user"]}, token=second.access_token))["roles"] == ["user"]
    # Now `second` is the last one.
    assert_error(client.delete(user_path(second), token=second.access_token), 409, "USER_LAST_ADMIN")
    assert client.delete(user_path(first), token=second.access_token).status_code == 204
