"""RFC 7009 for refresh tokens: revoking an opaque refresh token ends its whole session, so
the refresh family and the session's access tokens stop working at once."""
import subprocess

import requests

PASSWORD = "a long enough passphrase 42"


def _user(server, archon_bin, email):
    proc = subprocess.run([str(archon_bin), "users", "create", "--data-dir", str(server.data_dir),
                           "--email", email, "--name", "Rita"], input=PASSWORD + "\n",
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def _login(server, email):
    r = requests.post(f"{server.base_url}/api/v2/auth/login",
                      json={"email": email, "password": PASSWORD, "return_refresh_token": True}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_revoking_a_refresh_token_ends_its_session(server, archon_bin):
    _user(server, archon_bin, "rita@example.com")
    first = _login(server, "rita@example.com")
    other = _login(server, "rita@example.com")  # a second session must survive

    r = requests.post(f"{server.base_url}/api/v2/auth/revoke", data={"token": first["refresh_token"],
                                                                     "token_type_hint": "refresh_token"}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["data"] is None

    refreshed = requests.post(f"{server.base_url}/api/v2/auth/refresh",
                              json={"refresh_token": first["refresh_token"]}, timeout=10)
    assert refreshed.status_code == 401, refreshed.text
    assert refreshed.json()["error"]["code"] == "AUTH_TOKEN_INVALID"
    me = requests.get(f"{server.base_url}/api/v2/users/me",
                      headers={"Authorization": "Bearer " + first["access_token"]}, timeout=10)
    assert me.status_code == 401, me.text

    me_other = requests.get(f"{server.base_url}/api/v2/users/me",
                            headers={"Authorization": "Bearer " + other["access_token"]}, timeout=10)
    assert me_other.status_code == 200, me_other.text
    ok = requests.post(f"{server.base_url}/api/v2/auth/refresh", json={"refresh_token": other["refresh_token"]},
                       timeout=10)
    assert ok.status_code == 200, ok.text


def test_revoking_an_unknown_opaque_token_is_200(server):
    r = requests.post(f"{server.base_url}/api/v2/auth/revoke", data={"token": "not-a-refresh-token"}, timeout=10)
    assert r.status_code == 200, r.text
