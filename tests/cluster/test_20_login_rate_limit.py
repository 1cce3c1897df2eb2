"""The login limit (the spec's 5 a minute per client address) holds for the cluster as a whole,
not per instance: the sixth attempt is refused wherever it lands."""
from __future__ import annotations

import pytest

from cluster_support import LOGIN, client, figure, register_user
from support import assert_error


# all-to-one-instance is the control: what a single instance must do anyway.
@pytest.mark.parametrize("route", ["all-to-one-instance", "one-to-each-instance", "round-robin-through-nginx"])
def test_sixth_login_in_a_minute_is_refused_whichever_instance_gets_it(up, route):
    user = register_user(up.nginx, "ratelimit")
    ip = up.next_ip()  # an address no other test has logged in from
    if route == "all-to-one-instance":
        targets = [up.instances[0]] * 6
    elif route == "one-to-each-instance":
        targets = [up.instances[i % 3] for i in range(6)]
    else:
        targets = [up.nginx] * 6

    answers, trail = [], []
    for n, target in enumerate(targets, 1):
        with client(target, ip) as c:
            r = c.post(LOGIN, {"email": user.email, "password": user.password})
        where = getattr(target, "name", None) or f"nginx->{r.headers.get('X-Upstream')}"
        answers.append(r)
        trail.append(f"#{n} {where}: {r.status_code} {r.headers.get('X-RateLimit-Remaining')}")
    figure(f"{route}: " + "; ".join(trail))
    assert [r.status_code for r in answers[:5]] == [200] * 5, f"the first five logins must pass: {trail}"
    if route == "round-robin-through-nginx":
        upstreams = {r.headers.get("X-Upstream") for r in answers}
        assert len(upstreams) >= 2, f"nginx sent every attempt to one instance: {trail}"
    assert answers[5].status_code == 429, \
        f"the sixth login in a minute from one address was not refused ({route}): {trail}"
    body = assert_error(answers[5], 429, "RATE_LIMIT_EXCEEDED")
    assert answers[5].headers.get("Retry-After"), answers[5].headers
    assert body["error"]["details"].get("limit") == 5, body["error"]["details"]
