"""The synchronous client against the real server: the same calls, no event loop."""
from __future__ import annotations

import pytest

from archon_auth_client import (ArchonAuthError, AuthConfig, LoginCredentials, RegisterData,
                                SyncArchonAuthClient)
from archon_testing import PASSWORD, ArchonServer, unique_email


def test_sync_journey_agents_and_admin(archon: ArchonServer) -> None:
    email = unique_email("sync")
    cid, secret = archon.service
    with SyncArchonAuthClient(AuthConfig(archon.base_url)) as client, \
            SyncArchonAuthClient(AuthConfig(archon.base_url, client_id=cid, client_secret=secret)) as tool:
        client.register(RegisterData(email=email, password=PASSWORD, name="Sync User"))
        client.verify_email(archon.mail_token(email))
        client.login(LoginCredentials(email=email, password=PASSWORD))
        assert client.get_current_user().name == "Sync User"
        with pytest.raises(ArchonAuthError) as refused:
            client.authenticate_agent("code_implementer", ["file:read"])
        assert refused.value.code == "AGENT_UNAUTHORIZED"  # role `user` runs no agent type

        admin = archon.create_user("admin")
        with SyncArchonAuthClient(AuthConfig(archon.base_url)) as root:
            root.login({"email": admin.email, "password": admin.password})
            uid = root.list_users(q=email)["items"][0]["id"]
            root.update_user(uid, roles=["agent_operator"])
        # Roles are read on every request: the same session may now run the type.
        grant = client.authenticate_agent("code_implementer", ["file:read", "npm:install"])
        assert grant["denial_reasons"] == {"npm:install": "requires_approval"}
        d = tool.verify_capability("file:read", {"path": "/project/.env"}, token=grant["agent_token"])
        assert (d["allowed"], d["reason"]) == (False, "path_not_allowed")
        assert [t["agent_id"] for t in client.list_agent_tokens()] == [grant["agent_id"]]
        client.revoke_agent_token(grant["agent_id"])
        d = tool.verify_capability("file:read", {"path": "/project/src/a"}, token=grant["agent_token"])
        assert d["reason"] == "token_revoked"
        client.logout()
        assert not client.is_authenticated()
