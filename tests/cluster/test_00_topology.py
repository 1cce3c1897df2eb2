"""The harness itself: three healthy instances on one PostgreSQL, nginx spreading requests over
all of them and passing the client's address on, Redis answering."""
from __future__ import annotations

from cluster_support import ME, USERS, client, data_of, describe, login, register_user


def test_three_instances_behind_nginx(up, admin):
    for inst in up.instances:
        with client(inst) as c:
            r = c.get("/health")
            body = data_of(r)
            assert body["status"] == "healthy", body
    assert up.redis.ping()

    seen = set()
    with client(up.nginx) as c:
        for _ in range(9):
            r = c.get("/health/live")
            assert r.status_code == 200, describe(r)
            seen.add(r.headers.get("X-Upstream"))
    assert seen == {f"127.0.0.1:{i.port}" for i in up.instances}, f"nginx used upstreams {seen}"


def test_one_database_behind_every_instance(up, admin):
    user = register_user(up.nginx, "topology")
    for inst in up.instances:
        with client(inst) as c:
            got = data_of(c.get(f"{USERS}/{user.id}", token=admin.access_token))
            assert got["email"] == user.email, got


def test_nginx_passes_the_client_address(up):
    user = register_user(up.nginx, "xff")
    ip = up.next_ip()
    login(up.nginx, user, ip)
    with client(up.nginx) as c:
        sessions = data_of(c.get(f"{ME}/sessions", token=user.access_token))
    assert [s.get("client_address") for s in sessions] == [ip], sessions
