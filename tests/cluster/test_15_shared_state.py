"""What the instances share through Redis besides the invalidation channel: the L2 cache of user
records (without password hashes) that one instance fills and another reads, and the deny-list
keys a logout writes (the spec's jwt:blacklist:{jti}, expiring with the token)."""
from __future__ import annotations

import base64
import json
import subprocess
import time

from cluster_support import LOGOUT, ME, client, describe, login, register_user


def redis_cli(cluster, *args: str) -> str:
    out = subprocess.run(["redis-cli", "-p", str(cluster.redis.port), "--no-raw", *args],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def metric(inst, name: str) -> float:
    with client(inst) as c:
        text = c.get("/metrics").text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_one_instance_fills_the_l2_and_another_reads_it(up):
    a, b, _ = up.instances
    user = register_user(up.nginx, "l2")
    login(a, user, up.next_ip())
    with client(a) as ca:
        r = ca.get(ME, token=user.access_token)
        assert r.status_code == 200, describe(r)
    stored = redis_cli(up, "GET", f"user:profile:{user.id}")
    assert user.email in stored, stored
    assert "argon2" not in stored.lower(), "the password hash must never leave the database"

    hits_before = metric(b, 'cache_hits_total{cache="user_l2",result="hit"}')
    with client(b) as cb:
        r = cb.get(ME, token=user.access_token)
        assert r.status_code == 200, describe(r)
        assert r.json()["data"]["email"] == user.email
    assert metric(b, 'cache_hits_total{cache="user_l2",result="hit"}') == hits_before + 1


def test_a_logout_writes_the_deny_list_key_until_the_token_expires(up):
    a, _, _ = up.instances
    user = register_user(up.nginx, "deny")
    login(a, user, up.next_ip())
    claims = jwt_claims(user.access_token)
    with client(a) as ca:
        r = ca.post(LOGOUT, token=user.access_token)
        assert 200 <= r.status_code < 300, describe(r)
    key = f"jwt:blacklist:{claims['jti']}"
    assert redis_cli(up, "EXISTS", key).endswith("1"), key
    ttl = int(redis_cli(up, "TTL", key).split()[-1])
    remaining = claims["exp"] - time.time()
    assert 0 < ttl <= remaining + 60, (ttl, remaining)
