"""The webhook admin endpoints (/api/v2/admin/webhooks, issue 22 part 1; docs/webhooks.md): who may
call them (an admin, an API key with webhooks:manage; not a key without it, not a plain user),
hostile bodies answered 4xx, CRUD and its audit rows, and the signing secret shown only by create
and rotate: never by a read, never in the server's log at debug level."""
import pytest

from agent_support import AgentWorld
from api_key_support import KeyAdmin, key_header
from identity_support import data_of
from support import assert_error, assert_success
from webhook_support import (EVENT_TYPES, HOOKS, Hooks, Receiver, assert_endpoint, wait_until,
                             webhook_config)

PUBLIC_URL = "https://93.184.216.34/hook"  # public literal: accepted, and no event goes there


@pytest.fixture(scope="module")
def world(module_start_server, archon_bin):
    srv = module_start_server(config=webhook_config(extra={"log": {"level": "debug"}}))
    w = AgentWorld(srv, archon_bin)
    yield w
    w.close()


@pytest.fixture
def hooks(world):
    h = Hooks(world)
    yield h
    h.cleanup()


def test_create_get_list_patch_delete(world, hooks):
    ep = hooks.create(PUBLIC_URL, ["user.locked", "agent.token_issued"], description="billing back-end")
    assert_endpoint(ep, secret=True)
    assert ep["enabled"] is True and ep["disabled_reason"] is None and ep["last_success_at"] is None
    assert ep["event_types"] == ["user.locked", "agent.token_issued"] and ep["description"] == "billing back-end"
    got = data_of(hooks.get(ep["id"]))
    assert_endpoint(got, secret=False)
    assert got == {k: v for k, v in ep.items() if k != "secret"}
    second = hooks.create(PUBLIC_URL + "2", ["*"])
    listed = assert_success(hooks.list(limit=100))["data"]
    assert [e["id"] for e in listed][:2] == [second["id"], ep["id"]], "newest first"
    for e in listed:
        assert_endpoint(e, secret=False)
    page = assert_success(hooks.list(limit=1, page=2))
    assert [e["id"] for e in page["data"]] == [ep["id"]] and page["meta"]["pagination"]["has_next"] is False

    patched = data_of(hooks.patch(ep["id"], {"enabled": False, "description": "paused",
                                             "event_types": ["*"]}))
    assert_endpoint(patched, secret=False)
    assert (patched["enabled"], patched["description"], patched["event_types"]) == (False, "paused", ["*"])
    assert hooks.delete(ep["id"]).status_code == 204
    assert_error(hooks.get(ep["id"]), 404, "RESOURCE_NOT_FOUND")
    assert_error(hooks.patch(ep["id"], {"enabled": True}), 404, "RESOURCE_NOT_FOUND")
    assert_error(hooks.rotate(ep["id"]), 404, "RESOURCE_NOT_FOUND")
    r = world.client.get(f"{HOOKS}/{ep['id']}/deliveries", token=world.admin.access_token)
    assert_error(r, 404, "RESOURCE_NOT_FOUND")
    assert hooks.delete(ep["id"]).status_code == 404
    hooks.created.remove(ep["id"])


def test_admin_actions_are_audited(world, hooks):
    r = hooks.create_raw({"url": PUBLIC_URL, "event_types": ["*"]})
    hook_id = data_of(r, 201)["id"]
    hooks.created.append(hook_id)
    row = world.audit_event(r, "webhook.created")
    assert row["actor"] == world.admin.id, row
    world.audit_event(hooks.patch(hook_id, {"description": "x"}), "webhook.updated")
    rotated = hooks.rotate(hook_id)
    row = world.audit_event(rotated, "webhook.secret_rotated")
    assert rotated.json()["data"]["secret"] not in repr(row), "the secret is in the audit row"
    world.audit_event(hooks.delete(hook_id), "webhook.deleted")
    hooks.created.remove(hook_id)


def test_an_api_key_with_webhooks_manage_may_and_one_without_may_not(world, hooks):
    keys = KeyAdmin(world)
    key = keys.create(["webhooks:manage"])
    good = key_header(key["key"])
    r = hooks.create_raw({"url": PUBLIC_URL, "event_types": ["user.locked"]}, headers=good)
    ep = data_of(r, 201)
    hooks.created.append(ep["id"])
    # an admin action taken with a key is audited under the key (docs/api-keys.md)
    assert world.audit_event(r, "webhook.created")["actor"] == f"api_key:{key['id']}"
    assert ep["id"] in [e["id"] for e in assert_success(hooks.list(headers=good))["data"]]
    assert_success(hooks.get(ep["id"], headers=good))

    bad = key_header(keys.create(["users:read", "audit:read"])["key"])
    assert_error(hooks.create_raw({"url": PUBLIC_URL, "event_types": ["*"]}, headers=bad), 403,
                 "AUTH_INSUFFICIENT_PERMISSIONS")
    assert_error(hooks.list(headers=bad), 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    assert_error(hooks.get(ep["id"], headers=bad), 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    assert_error(hooks.patch(ep["id"], {"enabled": False}, headers=bad), 403, "AUTH_INSUFFICIENT_PERMISSIONS")


def test_a_user_without_the_permission_is_refused(world, hooks):
    ep = hooks.create(PUBLIC_URL, ["user.locked"])
    plain = world.user("user").access_token
    calls = [("POST", HOOKS, {"url": PUBLIC_URL, "event_types": ["*"]}), ("GET", HOOKS, None),
             ("GET", f"{HOOKS}/{ep['id']}", None), ("PATCH", f"{HOOKS}/{ep['id']}", {"enabled": False}),
             ("DELETE", f"{HOOKS}/{ep['id']}", None), ("POST", f"{HOOKS}/{ep['id']}/rotate-secret", None),
             ("GET", f"{HOOKS}/{ep['id']}/deliveries", None),
             ("POST", f"{HOOKS}/{ep['id']}/deliveries/1/redeliver", None)]
    for method, path, body in calls:
        kw = {"json": body} if body is not None else {}
        assert_error(world.client.request(method, path, token=plain, **kw), 403, "AUTH_INSUFFICIENT_PERMISSIONS")
        assert world.client.request(method, path, **kw).status_code == 401, f"{method} {path} without credentials"
    assert data_of(hooks.get(ep["id"]))["enabled"] is True, "a refused PATCH changed the endpoint"


HOSTILE = [
    ("url of 5000 characters", {"url": "https://93.184.216.34/" + "a" * 4978, "event_types": ["*"]}),
    ("1000 event types", {"url": PUBLIC_URL, "event_types": ["user.locked"] * 1000}),
    ("33 event types", {"url": PUBLIC_URL, "event_types": (EVENT_TYPES * 3)[:33]}),
    ("an unknown event type", {"url": PUBLIC_URL, "event_types": ["user.exploded"]}),
    ("no event types", {"url": PUBLIC_URL, "event_types": []}),
    ("event_types not a list", {"url": PUBLIC_URL, "event_types": "*"}),
    ("an event type not a string", {"url": PUBLIC_URL, "event_types": [1]}),
    ("no url", {"event_types": ["*"]}),
    ("url not a string", {"url": ["https://93.184.216.34/"], "event_types": ["*"]}),
    ("description of 501", {"url": PUBLIC_URL, "event_types": ["*"], "description": "d" * 501}),
    ("enabled not a bool", {"url": PUBLIC_URL, "event_types": ["*"], "enabled": "yes"}),
    ("a list body", [{"url": PUBLIC_URL, "event_types": ["*"]}]),
    ("a NUL in the url", {"url": "https://93.184.216.34/\u0000x", "event_types": ["*"]}),
    ("CRLF in the url", {"url": "https://93.184.216.34/\r\nX-Injected: 1", "event_types": ["*"]}),
]


@pytest.mark.parametrize("what,body", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_bodies_are_4xx(world, hooks, what, body):
    r = hooks.create_raw(body)
    assert 400 <= r.status_code < 500, f"{what}: {r.status_code} {r.text[:300]}"
    assert r.json()["success"] is False


def test_the_limits_themselves_are_accepted(world, hooks):
    base = "https://93.184.216.34/"
    ep = hooks.create(base + "a" * (2000 - len(base)), ["*"], description="d" * 500)
    assert len(ep["url"]) == 2000 and len(ep["description"]) == 500
    r = hooks.create_raw({"url": base + "a" * (2001 - len(base)), "event_types": ["*"]})
    assert "url" in assert_error(r, 422, "VALIDATION_CONSTRAINT_VIOLATION")["error"]["details"]
    ep = hooks.create(base, EVENT_TYPES)  # every type by name
    assert sorted(ep["event_types"]) == sorted(EVENT_TYPES)


def test_unknown_event_type_names_the_field_and_non_json_is_400(world, hooks):
    body = assert_error(hooks.create_raw({"url": PUBLIC_URL, "event_types": ["user.locked", "nope"]}),
                        422, "VALIDATION_CONSTRAINT_VIOLATION")
    assert "event_types" in body["error"]["details"], body
    r = world.client.request("POST", HOOKS, data=b"{not json", token=world.admin.access_token,
                             headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert hooks.list().json()["data"] == [], "a refused body created an endpoint"


def test_a_supplied_secret_or_id_is_not_taken(world, hooks):
    mine = "whsec_" + "A" * 43 + "="
    r = hooks.create_raw({"url": PUBLIC_URL, "event_types": ["*"], "secret": mine, "id": "wh_" + "0" * 32})
    if r.status_code == 201:  # ignored rather than refused: then it must really be ignored
        data = r.json()["data"]
        hooks.created.append(data["id"])
        assert data["secret"] != mine and data["id"] != "wh_" + "0" * 32, data
    else:
        assert 400 <= r.status_code < 500, r.text


def test_the_secret_is_shown_only_by_create_and_rotate(world, hooks):
    rx = Receiver()
    try:
        ep = hooks.create(rx.url(), ["agent.token_issued"])
        rotated = data_of(hooks.rotate(ep["id"]))
        assert_endpoint(rotated, secret=True)
        secrets_ = [ep["secret"], rotated["secret"]]
        minted = world.mint(world.user())  # a delivery, so its logging is covered too
        # an allowed capability check is the one audit echo at debug: proof the level is active
        world.allowed(minted["agent_token"], "file:read", {"path": "/project/src/app.ts"})
        rx.wait_for(count=1)
        hooks.wait_delivery(ep["id"], rx.snapshot()[0].webhook_id, "succeeded")
        reads = [hooks.get(ep["id"]), hooks.list(), hooks.patch(ep["id"], {"description": "d"}),
                 world.client.get(f"{HOOKS}/{ep['id']}/deliveries", token=world.admin.access_token),
                 world.client.get("/api/v2/audit", token=world.admin.access_token, params={"limit": 100})]
        for r in reads:
            assert r.status_code == 200, r.text
            for s in secrets_:
                assert s not in r.text and s[6:] not in r.text, f"secret in {r.request.path_url}"
        assert "secret" not in reads[0].json()["data"]
        log = wait_until(lambda: '"level":"debug"' in world.server.stderr_text() and world.server.stderr_text(),
                         5, "a debug line in the server log (log.level debug)")
        for s in secrets_:
            assert s[6:] not in log, "a webhook secret is in the server log"
    finally:
        rx.close()
