"""An endpoint failing persistently is disabled (issue 22 part 1): with retry_schedule_seconds
[1, 1] a delivery answered 500 every time is "failed" after three attempts; the endpoint gets
enabled=false with a disabled_reason, an audit row webhook.endpoint_disabled (actor "system") and
the event webhook.endpoint_disabled goes to the OTHER endpoints subscribed to it. PATCH enabled=true
re-enables it; what happened meanwhile is not queued for it. A success after the failing delivery was created keeps the endpoint enabled."""
import pytest

from agent_support import AgentWorld
from identity_support import data_of
from webhook_support import Answer, Hooks, Receiver, assert_both_verify, wait_until, webhook_config


@pytest.fixture
def world(start_server, archon_bin):
    w = AgentWorld(start_server(config=webhook_config({"retry_schedule_seconds": [1, 1]})), archon_bin)
    yield w
    w.close()


@pytest.fixture
def receivers():
    made = []

    def make(**kw) -> Receiver:
        made.append(Receiver(**kw))
        return made[-1]
    yield make
    for r in made:
        r.close()


def test_persistent_failure_disables_and_tells_the_others(world, receivers):
    hooks = Hooks(world)
    failing = receivers(answers=[Answer(500)])
    watcher = receivers()
    ep = hooks.create(failing.url(), ["agent.token_issued", "webhook.endpoint_disabled"])
    other = hooks.create(watcher.url(), ["webhook.endpoint_disabled", "agent.token_issued"])
    op = world.user()
    world.mint(op)
    got = failing.wait_for(count=3, timeout=10)
    d = hooks.wait_delivery(ep["id"], got[0].webhook_id, "failed")
    assert d["attempts"] == 3 and [a["status_code"] for a in d["attempt_log"]] == [500, 500, 500], d
    assert d["completed_at"] is not None and d["next_attempt_at"] is None, d

    disabled = wait_until(lambda: (e := hooks.endpoint(ep["id"]))["enabled"] is False and e, 5,
                          "the endpoint disabled")
    assert isinstance(disabled["disabled_reason"], str) and disabled["disabled_reason"], disabled
    rows = wait_until(lambda: [r for r in world.audit_rows("webhook.endpoint_disabled")
                               if ep["id"] in repr(r)], 5, "the audit row webhook.endpoint_disabled")
    assert len(rows) == 1 and rows[0]["actor"] == "system", rows
    told = watcher.of_type("webhook.endpoint_disabled")
    assert told.json["data"] == {"webhook_id": ep["id"], "url": ep["url"],
                                 "reason": disabled["disabled_reason"]}, told.json
    assert_both_verify([(other["secret"], told)])
    assert [r.type for r in failing.snapshot()] == ["agent.token_issued"] * 3, \
        "the disabled endpoint itself was sent something else (or a fourth attempt)"

    # events while disabled are not queued for it: the watcher gets one (so its deliveries, written
    # with the event, exist), the disabled endpoint's log does not grow
    quiet = world.mint(op)["agent_id"]
    watcher.of_type("agent.token_issued", where=lambda data: data["agent_id"] == quiet)
    assert [x["id"] for x in hooks.deliveries(ep["id"])] == [d["id"]], "a delivery was queued while disabled"

    # re-enabled: the reason goes, deliveries go out again
    failing.answers = [Answer(200)]
    again = data_of(hooks.patch(ep["id"], {"enabled": True}))
    assert again["enabled"] is True and again["disabled_reason"] is None, again
    agent_id = world.mint(op)["agent_id"]
    rec = failing.of_type("agent.token_issued", where=lambda data: data["agent_id"] == agent_id)
    hooks.wait_delivery(ep["id"], rec.webhook_id, "succeeded")
    assert hooks.endpoint(ep["id"])["last_success_at"] is not None


def test_a_success_since_the_failing_delivery_keeps_the_endpoint(world, receivers):
    hooks = Hooks(world)
    op = world.user()
    # only the reviewer's event fails: decided by its body, so no race with the first attempt
    def answer(rec):
        return Answer(500 if rec.json["data"]["agent_type"] == "code_reviewer" else 200)
    rx = receivers(answers=answer)
    ep = hooks.create(rx.url(), ["agent.token_issued"])
    doomed_id = world.mint(op, "code_reviewer", ["file:read"])["agent_id"]
    fine = world.mint(op)["agent_id"]  # created after the doomed one, delivered fine
    doomed = rx.of_type("agent.token_issued", where=lambda d: d["agent_id"] == doomed_id)
    rx.of_type("agent.token_issued", where=lambda d: d["agent_id"] == fine)
    hooks.wait_delivery(ep["id"], doomed.webhook_id, "failed")
    endpoint = hooks.endpoint(ep["id"])
    assert endpoint["enabled"] is True and endpoint["disabled_reason"] is None, endpoint
