"""Webhook delivery on the wire (issue 22 part 1, "What it must show"): every delivery verifies with
the Python AND the JavaScript `standardwebhooks` libraries; a receiver answering 500 three times
then 200 gets four attempts with one webhook-id and the log shows them; during a secret rotation
both signatures verify and after the grace only the new one; redelivery resends the same event; a
redirect is not followed.

One server for the module: retries every 1 s (retry_schedule_seconds [1, 1, 1]), rotation grace
2 s, loopback allowed. Each test has its own receiver and endpoint and deletes the endpoint after.
"""
import re
import time

import pytest

from agent_support import AgentWorld
from identity_support import data_of, register, unique_email, verify
from support import assert_error, parse_iso8601
from webhook_support import (ATTEMPT_KEYS, DELIVERY_KEYS, Answer, Hooks, Receiver, assert_both_verify,
                             refused_by_both, wait_until, webhook_config)

GRACE = 2
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@pytest.fixture(scope="module")
def world(module_start_server, archon_bin):
    srv = module_start_server(config=webhook_config({"secret_rotation_grace_seconds": GRACE}))
    w = AgentWorld(srv, archon_bin)
    yield w
    w.close()


@pytest.fixture
def hooks(world):
    h = Hooks(world)
    yield h
    h.cleanup()


@pytest.fixture
def receivers():
    made = []

    def make(**kw) -> Receiver:
        made.append(Receiver(**kw))
        return made[-1]
    yield make
    for r in made:
        r.close()


def mint_event(world: AgentWorld, hooks: Hooks, receiver: Receiver, user=None) -> tuple:
    """Mints one agent token; (its agent_id, the agent.token_issued delivery received for it)."""
    user = user or world.user()
    agent_id = world.mint(user)["agent_id"]
    rec = receiver.of_type("agent.token_issued", where=lambda d: d["agent_id"] == agent_id)
    return agent_id, rec


def test_every_delivery_verifies_with_both_libraries(world, hooks, receivers):
    rx = receivers()
    ep = hooks.create(rx.url(), ["*"])
    # several event types: registration, verification, agent mint, delegation, revocation, logout
    email = unique_email("wh-verify")
    user_id = data_of(register(world.client, email), 201)["user_id"]
    verify(world.client, email)
    op = world.user()
    parent = world.mint(op)
    child = world.child(parent["agent_token"], ["file:read"])
    assert world.revoke(op, child["agent_id"]).status_code == 204
    data_of(world.logout(op))
    expected = {"user.registered", "user.email_verified", "agent.token_issued", "agent.delegated",
                "agent.token_revoked", "session.revoked"}
    got = wait_until(lambda: expected <= {r.type for r in rx.snapshot()} and rx.snapshot(), 15,
                     f"deliveries of {sorted(expected)}")
    assert any(r.json["data"].get("user_id") == user_id for r in got if r.type == "user.registered")
    for r in got:
        assert r.headers.get("content-type", "").startswith("application/json"), r.headers
        assert set(r.json) == {"type", "timestamp", "data"}, r.json
        assert ISO_MS.match(r.json["timestamp"]), r.json["timestamp"]
        # webhook-timestamp: unix seconds of this attempt; the event's timestamp is no later
        assert abs(int(r.headers["webhook-timestamp"]) - r.wall) <= 2, (r.headers, r.wall)
        assert parse_iso8601(r.json["timestamp"]).timestamp() <= r.wall + 1, r.json
        assert r.webhook_id.startswith("msg_"), r.headers
        assert len(r.headers["webhook-signature"].split(" ")) == 1, r.headers["webhook-signature"]
    assert_both_verify([(ep["secret"], r) for r in got])
    # the check can fail: a wrong secret, a changed body, another id are refused by both libraries
    other = hooks.create(rx.url("/other"), ["user.locked"])["secret"]
    sample = got[0]
    assert refused_by_both(other, sample)
    tampered = type(sample)(sample.path, dict(sample.headers), sample.body.replace(b"}", b" }", 1), sample.at)
    assert refused_by_both(ep["secret"], tampered)
    renamed = type(sample)(sample.path, {**sample.headers, "webhook-id": "msg_other"}, sample.body, sample.at)
    assert refused_by_both(ep["secret"], renamed)


def test_500_three_times_then_200_is_four_attempts_in_the_log(world, hooks, receivers):
    rx = receivers(answers=[Answer(500, body=b"boom")] * 3 + [Answer(200)])
    ep = hooks.create(rx.url(), ["agent.token_issued"])
    agent_id = world.mint(world.user())["agent_id"]
    got = rx.wait_for(count=4, timeout=15)
    event_id = got[0].webhook_id
    assert all(r.webhook_id == event_id for r in got), [r.webhook_id for r in got]
    assert all(r.json["data"]["agent_id"] == agent_id for r in got)
    assert all(r.body == got[0].body for r in got), "the body changed between attempts"
    stamps = [int(r.headers["webhook-timestamp"]) for r in got]
    assert stamps == sorted(stamps) and stamps[-1] >= stamps[0] + 2, f"webhook-timestamp per attempt: {stamps}"
    assert_both_verify([(ep["secret"], r) for r in got])

    d = hooks.wait_delivery(ep["id"], event_id, "succeeded")
    assert set(d) == DELIVERY_KEYS, sorted(d)
    assert d["attempts"] == 4 and d["event_type"] == "agent.token_issued", d
    assert d["next_attempt_at"] is None and d["completed_at"] is not None, d
    log = d["attempt_log"]
    assert [a["attempt"] for a in log] == [1, 2, 3, 4], log
    assert [a["status_code"] for a in log] == [500, 500, 500, 200], log
    for a in log:
        assert set(a) == ATTEMPT_KEYS, a
        assert isinstance(a["latency_ms"], (int, float)) and a["latency_ms"] >= 0, a
        parse_iso8601(a["at"])
    assert all(isinstance(a["error"], str) and a["error"] for a in log[:3]), f"a 500 is an error: {log}"
    # the schedule (1 s +-20% per step). The server schedules in whole seconds (next attempt at
    # floor(now) + round(wait)), so one wait can come up to 1 s short: the bound allows that once.
    gaps = [b.at - a.at for a, b in zip(got, got[1:])]
    assert all(0 < g <= 6.0 for g in gaps) and sum(gaps) >= 3 * 0.8 - 1.0, \
        f"gaps between attempts {gaps} (schedule [1, 1, 1] s +-20%)"
    time.sleep(1.5)  # longer than the schedule's step: a fifth attempt would have come by now
    assert len(rx.snapshot()) == 4, [r.headers for r in rx.snapshot()]
    assert hooks.endpoint(ep["id"])["last_success_at"] is not None


def signatures(rec) -> list[str]:
    return rec.headers["webhook-signature"].split(" ")


def only_signature(rec, sig: str):
    return type(rec)(rec.path, {**rec.headers, "webhook-signature": sig}, rec.body, rec.at)


def test_secret_rotation_signs_with_both_then_only_the_new(world, hooks, receivers):
    rx = receivers()
    ep = hooks.create(rx.url(), ["agent.token_issued"])
    old = ep["secret"]
    op = world.user()
    _, before = mint_event(world, hooks, rx, op)
    assert len(signatures(before)) == 1
    assert_both_verify([(old, before)])

    r = hooks.rotate(ep["id"])
    rotated = data_of(r)
    new = rotated["secret"]
    assert new != old and new.startswith("whsec_")
    expires = parse_iso8601(rotated["previous_secret_expires_at"])
    _, during = mint_event(world, hooks, rx, op)
    sigs = signatures(during)
    assert len(sigs) == 2 and all(s.startswith("v1,") for s in sigs), during.headers["webhook-signature"]
    # both secrets verify the header as sent (both libraries accept several signatures) ...
    assert_both_verify([(new, during), (old, during)])
    # ... and the new one comes first
    assert_both_verify([(new, only_signature(during, sigs[0])), (old, only_signature(during, sigs[1]))])
    assert refused_by_both(new, only_signature(during, sigs[1]))

    # after the grace: only the new secret signs
    wait_until(lambda: time.time() > expires.timestamp() + 0.5, GRACE + 5, "the end of the grace")
    _, after = mint_event(world, hooks, rx, op)
    assert len(signatures(after)) == 1, after.headers["webhook-signature"]
    assert_both_verify([(new, after)])
    assert refused_by_both(old, after)
    # the contract does not say whether the field is cleared once past: null or a past instant
    left = hooks.endpoint(ep["id"])["previous_secret_expires_at"]
    assert left is None or parse_iso8601(left) == expires, left


def test_redelivery_sends_the_same_event_again(world, hooks, receivers):
    rx = receivers()
    ep = hooks.create(rx.url(), ["agent.token_issued"])
    _, first = mint_event(world, hooks, rx)
    d = hooks.wait_delivery(ep["id"], first.webhook_id, "succeeded")
    r = hooks.redeliver(ep["id"], d["id"])
    again = data_of(r, 202)
    assert again["status"] == "pending" and again["delivery_id"] != d["id"], again
    got = rx.wait_for(lambda x: x.webhook_id == first.webhook_id, count=2)
    assert got[1].body == first.body, "a redelivery carries the same body"
    assert_both_verify([(ep["secret"], x) for x in got])
    new = hooks.wait_delivery(ep["id"], first.webhook_id, "succeeded")
    ids = [x["id"] for x in hooks.deliveries(ep["id"]) if x["event_id"] == first.webhook_id]
    assert sorted(ids) == sorted([d["id"], again["delivery_id"]]), ids
    assert new["event_type"] == "agent.token_issued"
    assert_error(hooks.redeliver(ep["id"], 987654321), 404, "RESOURCE_NOT_FOUND")


def test_a_redirect_is_not_followed(world, hooks, receivers):
    target = receivers()
    rx = receivers(answers=[Answer(302, headers={"Location": target.url("/elsewhere")})])
    ep = hooks.create(rx.url(), ["agent.token_issued"])
    world.mint(world.user())
    got = rx.wait_for(count=2, timeout=10)  # the 302 was a failure: it is tried again
    event_id = got[0].webhook_id
    d = wait_until(lambda: next((x for x in hooks.deliveries(ep["id"]) if x["event_id"] == event_id
                                 and len(x["attempt_log"]) >= 2), None), 10, "two attempts in the log")
    first = d["attempt_log"][0]
    assert first["status_code"] == 302 and first["error"], first
    assert d["status"] in ("pending", "failed"), d
    assert target.snapshot() == [], "the redirect was followed"
