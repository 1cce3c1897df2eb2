"""A role removed by an administrator counts on the very next request that checks it, even while
the demoted user's access token (which still lists the old role) is valid."""
import subprocess

import requests

PASSWORD = "a long enough passphrase 42"


def _create(server, archon_bin, email, role):
    proc = subprocess.run([str(archon_bin), "users", "create", "--data-dir", str(server.data_dir), "--email", email,
                           "--name", "Someone", "--role", role], input=PASSWORD + "\n", capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _login(server, email):
    r = requests.post(f"{server.base_url}/api/v2/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_demoted_admin_loses_admin_routes_and_introspection_at_once(server, archon_bin):
    _create(server, archon_bin, "boss@example.com", "admin")
    _create(server, archon_bin, "deputy@example.com", "admin")
    boss = _login(server, "boss@example.com")
    deputy = _login(server, "deputy@example.com")
    auth = {"Authorization": "Bearer " + deputy["access_token"]}

    assert requests.get(f"{server.base_url}/api/v2/users", headers=auth, timeout=10).status_code == 200
    r = requests.post(f"{server.base_url}/api/v2/auth/introspect", data={"token": boss["access_token"]}, headers=auth,
                      timeout=10)
    assert r.status_code == 200 and r.json()["active"] is True, r.text  # form request: RFC 7662 top level

    demote = requests.patch(f"{server.base_url}/api/v2/users/{deputy['user']['id']}", json={"roles": ["user"]},
                            headers={"Authorization": "Bearer " + boss["access_token"]}, timeout=10)
    assert demote.status_code == 200, demote.text

    listed = requests.get(f"{server.base_url}/api/v2/users", headers=auth, timeout=10)
    assert listed.status_code == 403 and listed.json()["error"]["code"] == "AUTH_INSUFFICIENT_PERMISSIONS", listed.text
    r = requests.post(f"{server.base_url}/api/v2/auth/introspect", data={"token": boss["access_token"]}, headers=auth,
                      timeout=10)
    assert r.status_code == 403 and r.json()["error"]["code"] == "AUTH_INSUFFICIENT_PERMISSIONS", r.text
