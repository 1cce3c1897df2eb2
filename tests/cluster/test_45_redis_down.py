"""With Redis down the instances keep serving and a revoked token is still never accepted:
the instance that did not hear the revocation (the bus is down) looks it up in the database.
Health says degraded and the fallback is counted; when Redis returns, the bus resubscribes."""
from __future__ import annotations

import time

from cluster_support import LOGOUT, ME, client, describe, login, register_user


def health_checks(inst) -> dict:
    with client(inst) as c:
        r = c.get("/health")
    assert r.status_code == 200, describe(r)  # degraded is still 200: the instance serves
    return r.json()["data"]


def fallback_count(inst, component: str) -> float:
    with client(inst) as c:
        text = c.get("/metrics").text
    key = f'redis_fallback_total{{component="{component}"}} '
    return next((float(line.split()[-1]) for line in text.splitlines() if line.startswith(key)), 0.0)


def wait_for(pred, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout}s: {what}")


def test_with_redis_down_a_revoked_token_is_refused_everywhere(up):
    a, b, c = up.instances
    user = register_user(up.nginx, "redisdown")
    login(a, user, up.next_ip())
    for inst in (a, b, c):  # every instance has verified (and cached) the token
        with client(inst) as cl:
            r = cl.get(ME, token=user.access_token)
            assert r.status_code == 200, f"{inst.name}: {describe(r)}"
    bus_fallbacks = fallback_count(b, "bus")

    up.redis.kill()
    try:
        wait_for(lambda: health_checks(b)["checks"]["redis"]["status"] == "degraded", 5,
                 "instance B reports Redis degraded")
        assert fallback_count(b, "bus") == bus_fallbacks + 1

        with client(a) as ca:
            r = ca.post(LOGOUT, token=user.access_token)
            assert 200 <= r.status_code < 300, describe(r)
        for inst in (b, c):  # never told: they must ask the database
            with client(inst) as cl:
                r = cl.get(ME, token=user.access_token)
                assert r.status_code == 401, f"{inst.name} accepted a revoked token with Redis down: {describe(r)}"

        # Still serving: a fresh login and a read through the other instances work.
        other = register_user(up.nginx, "redisdown2")
        login(b, other, up.next_ip())
        with client(c) as cl:
            r = cl.get(ME, token=other.access_token)
            assert r.status_code == 200, describe(r)
        checks = health_checks(c)["checks"]
        assert checks["rate_limiter"]["status"] == "degraded", checks
    finally:
        up.redis.start(up.redis.port)

    wait_for(lambda: health_checks(b)["checks"]["redis"]["status"] == "healthy", 10,
             "instance B resubscribed after Redis came back")
    with client(b) as cl:
        r = cl.get(ME, token=user.access_token)
        assert r.status_code == 401, f"revoked token accepted after Redis returned: {describe(r)}"
