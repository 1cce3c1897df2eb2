"""Issue 5: delegation (a narrower child, its act chain and expiry), revocation of a parent with all
its descendants while verifies run beside it, the user's agent tokens with their lineage, and
agent tokens dying with the session that minted them."""
import threading
import time
import warnings

import pytest

from agent_support import (SPEC_GRANTED, SPEC_RESTRICTIONS, SPEC_TASK, SPEC_TYPE, FastVerifier,
                           act_chain, binary_is_sanitized, claims_of, start_world)
from identity_support import session_login
from support import assert_error

LOAD_SECONDS_BEFORE = 1.0   # verifies already running when the parent is revoked
LOAD_SECONDS_AFTER = 1.5    # ... and still running after
LOAD_THREADS = 4
TARGET_RATE = 1000.0        # "while 1,000 verifies a second run beside it"


@pytest.fixture(scope="module")
def world(module_start_server, archon_bin):
    w = start_world(module_start_server, archon_bin)
    yield w
    w.close()


@pytest.fixture(scope="module")
def operator(world):
    return world.user("agent_operator")


def refused_now(world, token: str, capability: str, resource: dict, reason: str = "token_revoked"):
    """Refused on this very call, as a tool server asks (reason given) and as the agent itself
    asks (a refusal with the reason, or 401: the token is no credential any more)."""
    d = world.decision(world.verify_tool(token, capability, resource))
    assert d["allowed"] is False and d["reason"] == reason, d
    r = world.verify_self(token, capability, resource)
    if r.status_code == 200:
        d2 = world.decision(r)
        assert d2["allowed"] is False and d2["reason"] == reason, d2
    else:
        assert_error(r, 401, "AUTH_TOKEN_INVALID")
    return d


# ----------------------------------------------------------------------------- a narrower child


def test_a_narrower_child_works_and_names_its_parent(world, operator):
    parent = world.mint(operator)
    narrow = {"file_paths": ["/project/src/components/**"], "git_branches": ["feature/ui-*"],
              "max_file_size": "1MB"}
    child = world.child(parent["agent_token"], ["file:read", "file:write"], restrictions=narrow,
                        task_context={"project_id": "proj_123", "task_type": "ui", "estimated_duration": 100000})
    assert child["capabilities_granted"] == ["file:read", "file:write"], child
    assert child["capabilities_denied"] == [] and child["denial_reasons"] == {}, child
    assert child["restrictions"] == narrow, child
    assert child["agent_id"] != parent["agent_id"]

    pc, cc = claims_of(parent["agent_token"]), claims_of(child["agent_token"])
    assert cc["act"]["sub"] == parent["agent_id"], cc
    assert act_chain(child["agent_token"]) == [parent["agent_id"]], cc
    assert cc["agent_id"] == child["agent_id"] and cc["sub"] == operator.id, cc
    assert cc["capabilities"] == ["file:read", "file:write"] and cc["restrictions"] == narrow, cc
    # Its expiry is no later than its parent's, even though its estimate asks for more.
    assert cc["exp"] <= pc["exp"], (cc["exp"], pc["exp"])
    assert child["expires_in"] <= parent["expires_in"], (child["expires_in"], parent["expires_in"])

    world.allowed(child["agent_token"], "file:write", {"path": "/project/src/components/Button.tsx"})
    d = world.decision(world.verify_self(child["agent_token"], "file:write", {"path": "/project/src/app.ts"}))
    assert d["allowed"] is False and d["reason"] == "path_not_allowed", d
    d = world.decision(world.verify_self(child["agent_token"], "git:commit", {"branch": "feature/ui-x"}))
    assert d["allowed"] is False, d  # not delegated
    d = world.decision(world.verify_self(child["agent_token"], "file:write",
                                         {"path": "/project/src/components/Button.tsx", "size": "2MB"}))
    assert d["allowed"] is False and d["reason"] == "size_exceeds_limit", d
    # The parent is unchanged.
    world.allowed(parent["agent_token"], "file:write", {"path": "/project/src/app.ts"})

    grandchild = world.child(child["agent_token"], ["file:read"],
                             restrictions={"file_paths": ["/project/src/components/forms/**"]})
    gc = claims_of(grandchild["agent_token"])
    assert act_chain(grandchild["agent_token"]) == [child["agent_id"], parent["agent_id"]], gc
    assert gc["exp"] <= cc["exp"], (gc, cc)
    assert grandchild["restrictions"]["git_branches"] == ["feature/ui-*"], grandchild
    world.allowed(grandchild["agent_token"], "file:read", {"path": "/project/src/components/forms/a.tsx"})


def test_delegation_is_audited(world, operator):
    parent = world.mint(operator)
    r = world.delegate(parent["agent_token"], ["file:read"])
    child = r.json()["data"]
    assert r.status_code == 200, r.text[:300]
    row = world.audit_event(r, "agent_delegate")
    assert row["outcome"] == "granted", row
    assert row["user_id"] == operator.id, row
    assert row["details"].get("agent_id") == child["agent_id"], row
    assert row["details"].get("parent_agent_id") == parent["agent_id"], row


# ----------------------------------------------------------------------------- revocation under load


def test_revoking_a_parent_refuses_every_descendant_while_verifies_run(world, operator, archon_bin):
    # The lineage to revoke: parent -> child -> grandchild (and a second child).
    parent = world.mint(operator)
    child = world.child(parent["agent_token"], ["file:read", "file:write"],
                        restrictions={"file_paths": ["/project/src/lib/**"]})
    grandchild = world.child(child["agent_token"], ["file:read"])
    sibling = world.child(parent["agent_token"], ["git:commit"])
    doomed = {"parent": parent, "child": child, "grandchild": grandchild, "second child": sibling}
    probe = {"parent": ("file:read", {"path": "/project/src/lib/a.ts"}),
             "child": ("file:read", {"path": "/project/src/lib/a.ts"}),
             "grandchild": ("file:read", {"path": "/project/src/lib/a.ts"}),
             "second child": ("git:commit", {"branch": "feature/x"})}
    # Tokens that are NOT revoked: another root of the same user and its own child.
    other = world.mint(operator)
    other_child = world.child(other["agent_token"], ["file:read"])
    survivors = [other["agent_token"], other_child["agent_token"]]

    for name, data in doomed.items():
        world.allowed(data["agent_token"], *probe[name])

    stop = threading.Event()
    counts = [0] * LOAD_THREADS
    failures: list[str] = []

    def load(i: int):
        v = FastVerifier(world.server, survivors[i % len(survivors)], "file:read",
                         {"path": "/project/src/app.ts"})
        try:
            while not stop.is_set():
                res = v.once()
                if res.status != 200 or res.allowed is not True:
                    failures.append(f"thread {i}: {res}")
                    if len(failures) > 20:
                        return
                counts[i] += 1
        except Exception as e:  # noqa: BLE001 - reported below
            failures.append(f"thread {i}: {type(e).__name__}: {e}")
        finally:
            v.close()

    threads = [threading.Thread(target=load, args=(i,), daemon=True) for i in range(LOAD_THREADS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    try:
        time.sleep(LOAD_SECONDS_BEFORE)
        before = sum(counts)
        r = world.revoke(operator, parent["agent_id"])
        assert r.status_code == 204, f"DELETE parent: {r.status_code} {r.text[:300]}"
        # The very next verify of each descendant is refused.
        for name in ("grandchild", "child", "second child", "parent"):
            refused_now(world, doomed[name]["agent_token"], *probe[name])
        during = sum(counts) - before
        time.sleep(LOAD_SECONDS_AFTER)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    elapsed = time.monotonic() - t0
    total = sum(counts)
    rate = total / elapsed

    assert not failures, f"verifies of unrevoked tokens failed beside the revocation: {failures[:5]}"
    assert during > 0, "the load was not running while the parent was revoked"
    # Nor can a revoked descendant mint a grandchild of its own.
    assert world.delegate(child["agent_token"], ["file:read"]).status_code in (401, 403)
    # The unrevoked lineage still works after the load, too.
    for tok in survivors:
        world.allowed(tok, "file:read", {"path": "/project/src/app.ts"})

    sanitized = binary_is_sanitized(archon_bin)
    note = (f"agent verify load beside the revocation: {total} verifies in {elapsed:.2f} s = {rate:.0f}/s "
            f"on {LOAD_THREADS} keep-alive connections ({'ASan debug build' if sanitized else 'unsanitized build'}; "
            f"target {TARGET_RATE:.0f}/s)")
    print(note)
    if sanitized:
        if rate < TARGET_RATE:
            warnings.warn(note + ": below target; asserted on correctness only on a sanitized build")
    else:
        assert rate >= TARGET_RATE, note


def test_revoked_lineage_leaves_the_listing(world):
    user = world.user("agent_operator")
    parent = world.mint(user)
    child = world.child(parent["agent_token"], ["file:read"])
    keep = world.mint(user)
    assert world.revoke(user, parent["agent_id"]).status_code == 204
    ids = {t["agent_id"] for t in world.list_tokens(user)}
    assert keep["agent_id"] in ids, ids
    assert parent["agent_id"] not in ids and child["agent_id"] not in ids, ids
    # Revoking again: already gone is not an error the client must handle specially, but must not
    # bring anything back.
    world.revoke(user, parent["agent_id"])
    refused_now(world, child["agent_token"], "file:read", {"path": "/project/src/app.ts"})


# ----------------------------------------------------------------------------- listing


def test_listing_shows_lineage(world):
    user = world.user("agent_operator")
    parent = world.mint(user)
    child = world.child(parent["agent_token"], ["file:read", "git:commit"])
    grandchild = world.child(child["agent_token"], ["file:read"])
    listed = {t["agent_id"]: t for t in world.list_tokens(user)}
    assert set(listed) == {parent["agent_id"], child["agent_id"], grandchild["agent_id"]}, listed
    expect = {parent["agent_id"]: (None, 0, SPEC_GRANTED),
              child["agent_id"]: (parent["agent_id"], 1, ["file:read", "git:commit"]),
              grandchild["agent_id"]: (child["agent_id"], 2, ["file:read"])}
    for agent_id, (parent_id, depth, caps) in expect.items():
        t = listed[agent_id]
        assert t["parent_agent_id"] == parent_id, t
        assert t["root_agent_id"] == parent["agent_id"], t
        assert t["depth"] == depth, t
        assert t["agent_type"] == SPEC_TYPE, t
        assert t["capabilities"] == caps, t
        assert t["restrictions"] == SPEC_RESTRICTIONS, t
        assert t["session_id"] == user.session_id, t


def test_another_user_s_agent_id_is_404(world):
    owner = world.user("agent_operator")
    intruder = world.user("agent_operator")
    data = world.mint(owner)
    child = world.child(data["agent_token"], ["file:read"])
    for victim in (data["agent_id"], child["agent_id"]):
        assert_error(world.revoke(intruder, victim), 404, "RESOURCE_NOT_FOUND")
    assert_error(world.revoke(intruder, "agt_doesnotexist000000000"), 404, "RESOURCE_NOT_FOUND")
    assert {t["agent_id"] for t in world.list_tokens(intruder)} == set()
    assert {t["agent_id"] for t in world.list_tokens(owner)} == {data["agent_id"], child["agent_id"]}
    world.allowed(data["agent_token"], "file:read", {"path": "/project/src/app.ts"})
    world.allowed(child["agent_token"], "file:read", {"path": "/project/src/app.ts"})


def test_listing_needs_a_user(world, operator):
    data = world.mint(operator)
    assert world.client.get("/api/v2/auth/agents/tokens").status_code == 401
    assert world.client.get("/api/v2/auth/agents/tokens", token=data["agent_token"]).status_code == 401


# ----------------------------------------------------------------------------- sessions


def test_logout_refuses_the_session_s_agent_tokens(world):
    user = world.user("agent_operator")
    access2, _, session2 = session_login(world.client, user)
    assert session2 != user.session_id
    mine = world.mint(user)
    mine_child = world.child(mine["agent_token"], ["file:read"])
    other = world.mint(access2)
    assert claims_of(mine["agent_token"]).get("session_id") == user.session_id
    for tok in (mine["agent_token"], mine_child["agent_token"], other["agent_token"]):
        world.allowed(tok, "file:read", {"path": "/project/src/app.ts"})

    r = world.logout(user)
    assert r.status_code == 200, r.text[:300]
    for tok in (mine["agent_token"], mine_child["agent_token"]):
        refused_now(world, tok, "file:read", {"path": "/project/src/app.ts"})
    assert world.delegate(mine["agent_token"], ["file:read"]).status_code == 401
    # The other session's agent token lives on.
    world.allowed(other["agent_token"], "file:read", {"path": "/project/src/app.ts"})
    assert world.authenticate(access2, SPEC_TYPE, ["file:read"], SPEC_TASK).status_code == 200
