"""A role change made through one instance counts on the very next request at every other one,
even where that instance has the user's record cached. The instance that made the change is
checked too, as a control."""
from __future__ import annotations

from cluster_support import ME, USERS, client, data_of, describe, login, register_user


def set_roles(inst, admin, user_id: str, roles: list[str]) -> None:
    with client(inst) as c:
        data = data_of(c.patch(f"{USERS}/{user_id}", {"roles": roles}, token=admin.access_token))
    assert sorted(data["roles"]) == sorted(roles), data


def admin_listing(inst, token: str):
    with client(inst) as c:
        return c.get(USERS, token=token, params={"limit": 1})


def me(inst, token: str):
    with client(inst) as c:
        return c.get(ME, token=token)


def test_demoted_admin_is_refused_at_the_other_instances_on_the_next_request(up, admin):
    a, b, c = up.instances
    user = register_user(up.nginx, "demoted")
    set_roles(a, admin, user.id, ["user", "admin"])
    login(b, user, up.next_ip())
    assert "admin" in user.login_data["user"]["roles"], user.login_data
    # B and C serve the new admin (and have its record in their caches).
    for inst in (a, b, c):
        r = admin_listing(inst, user.access_token)
        assert r.status_code == 200, f"{inst.name}, admin before demotion: {describe(r)}"
        assert "admin" in data_of(me(inst, user.access_token))["roles"]

    set_roles(a, admin, user.id, ["user"])

    problems = []
    for inst in (a, b, c):
        r = admin_listing(inst, user.access_token)
        if r.status_code not in (401, 403):
            problems.append(f"{inst.name} still serves the admin listing to the demoted admin: {describe(r)}")
        r = me(inst, user.access_token)
        if r.status_code == 200 and r.json()["data"]["roles"] != ["user"]:
            problems.append(f"{inst.name} /users/me after the demotion: roles {r.json()['data']['roles']}")
        elif r.status_code not in (200, 401):
            problems.append(f"{inst.name} /users/me after the demotion: {describe(r)}")
    assert not problems, "\n".join(problems)


def test_promotion_counts_at_the_other_instances_on_the_next_request(up, admin):
    a, b, c = up.instances
    user = register_user(up.nginx, "promoted")
    login(b, user, up.next_ip())
    for inst in (a, b, c):
        r = admin_listing(inst, user.access_token)
        assert r.status_code == 403, f"{inst.name}, plain user on the admin listing: {describe(r)}"
        assert data_of(me(inst, user.access_token))["roles"] == ["user"]

    set_roles(a, admin, user.id, ["user", "admin"])

    problems = []
    for inst in (a, b, c):
        r = admin_listing(inst, user.access_token)
        if r.status_code != 200:
            problems.append(f"{inst.name} refuses the promoted user the admin listing: {describe(r)}")
        r = me(inst, user.access_token)
        if r.status_code != 200 or "admin" not in r.json()["data"]["roles"]:
            problems.append(f"{inst.name} /users/me after the promotion: {describe(r)}")
    assert not problems, "\n".join(problems)
