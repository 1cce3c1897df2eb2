"""Issue 5, "What it must show": refused, with a reason and an audit row.

Asking for more than the agent type or the user allows; a role that runs no agent type; an unknown
agent type; a child asking for more than its parent (capabilities, restrictions, depth); a
self-signed token with forged capabilities; path traversal (`..`, `%2e%2e`, ...); `refs/heads/main`
and `main ` where only `feature/*` is allowed.
"""
import json

import pytest

from agent_support import (SPEC_GRANTED, SPEC_RESTRICTIONS, SPEC_TYPE, claims_of,
                           forged_agent_token, header_of_token, start_world)
from support import assert_error
from token_support import b64u, b64u_decode


@pytest.fixture(scope="module")
def world(module_start_server, archon_bin):
    w = start_world(module_start_server, archon_bin)
    yield w
    w.close()


@pytest.fixture(scope="module")
def operator(world):
    return world.user("agent_operator")


@pytest.fixture(scope="module")
def spec_token(world, operator):
    """The spec example's token: file:read, file:write, git:commit; /project/src/**, feature/*, 10MB."""
    data = world.mint(operator)
    assert data["capabilities_granted"] == SPEC_GRANTED, data
    return data


# ----------------------------------------------------------------------------- authenticate


def test_more_than_the_agent_type_allows(world, operator):
    r = world.authenticate(operator, "code_reviewer", ["file:read", "file:write", "git:commit", "file:execute"])
    data = r.json()["data"]
    assert r.status_code == 200, r.text[:500]
    assert data["capabilities_granted"] == ["file:read"], data
    assert data["capabilities_denied"] == ["file:write", "git:commit", "file:execute"], data
    assert data["denial_reasons"] == {"file:write": "not_allowed_for_agent_type",
                                      "git:commit": "not_allowed_for_agent_type",
                                      "file:execute": "unknown_capability"}, data
    assert claims_of(data["agent_token"])["capabilities"] == ["file:read"]
    row = world.audit_event(r, "agent_authenticate")
    assert row["user_id"] == operator.id, row
    assert row["details"]["agent_id"] == data["agent_id"], row
    assert row["details"]["denied"] == data["denial_reasons"], row
    # And the token cannot be used for what was denied.
    r = world.verify_tool(data["agent_token"], "file:write", {"path": "/project/src/app.ts"})
    d = world.decision(r)
    assert d["allowed"] is False and d["reason"] not in ("", "allowed"), d
    row = world.audit_event(r, "agent_verify")
    assert row["outcome"] == "denied" and row["details"]["capability"] == "file:write", row


def test_more_than_the_user_allows(start_server, archon_bin):
    """A narrowed ceiling for agent_operator: capabilities above it are not_permitted_for_user;
    a type the role no longer grants is 403."""
    w = start_world(start_server, archon_bin)
    try:
        op = w.user("agent_operator")
        out = w.set_grants("agent_operator", [{"agent_type": "@common", "capabilities": ["file:read", "git:commit"]}])
        assert out["grants"] == [{"agent_type": "@common", "capabilities": ["file:read", "git:commit"]}], out
        r = w.authenticate(op)
        data = r.json()["data"]
        assert r.status_code == 200, r.text[:500]
        assert data["capabilities_granted"] == ["file:read", "git:commit"], data
        assert data["denial_reasons"] == {"file:write": "not_permitted_for_user",
                                          "npm:install": "requires_approval"}, data
        assert data["capabilities_denied"] == ["file:write", "npm:install"], data
        row = w.audit_event(r, "agent_authenticate")
        assert row["details"]["denied"] == data["denial_reasons"], row

        # The role now grants only code_reviewer: code_implementer is refused outright.
        w.set_grants("agent_operator", [{"agent_type": "code_reviewer"}])
        r = w.authenticate(op)
        body = assert_error(r, 403, "AGENT_UNAUTHORIZED")
        assert body["error"]["details"].get("agent_type") == SPEC_TYPE, body
        row = w.audit_event(r, "agent_authenticate")
        assert row["outcome"] == "denied" and row["user_id"] == op.id, row
        assert w.authenticate(op, "code_reviewer", ["file:read"]).status_code == 200
    finally:
        w.close()


def test_role_user_may_not_run_any_agent(world):
    u = world.user("user")
    r = world.authenticate(u)
    body = assert_error(r, 403, "AGENT_UNAUTHORIZED")
    assert body["error"]["details"].get("agent_type") == SPEC_TYPE, body
    row = world.audit_event(r, "agent_authenticate")
    assert row["outcome"] == "denied", row
    assert row["user_id"] == u.id and row["details"].get("agent_type") == SPEC_TYPE, row


def test_unknown_agent_type_is_400(world, operator):
    r = world.authenticate(operator, "code_implementor")
    body = assert_error(r, 400, "AGENT_TYPE_UNKNOWN")
    assert "agent_type" in body["error"]["details"], body


def test_unknown_agent_type_is_audited(world, operator):
    r = world.authenticate(operator, "code_implementor")
    assert_error(r, 400, "AGENT_TYPE_UNKNOWN")
    row = world.audit_event(r, "agent_authenticate")
    assert row["user_id"] == operator.id and row["outcome"] != "granted", row


# ----------------------------------------------------------------------------- delegation


@pytest.mark.parametrize("caps, agent_type, refused_cap", [
    (["file:read", "npm:install"], SPEC_TYPE, "npm:install"),        # denied to the parent
    (["file:read", "file:create"], SPEC_TYPE, "file:create"),        # the type allows it, the parent lacks it
    (["file:write"], "code_reviewer", "file:write"),                 # the parent holds it, the child type may not
])
def test_child_asking_for_more_than_its_parent(world, spec_token, caps, agent_type, refused_cap):
    r = world.delegate(spec_token["agent_token"], caps, agent_type)
    body = assert_error(r, 403, "AGENT_DELEGATION_REFUSED")
    assert refused_cap in json.dumps(body["error"]["details"]), \
        f"details do not name {refused_cap}: {body['error']['details']}"
    row = world.audit_event(r, "agent_delegate")
    assert row["outcome"] == "refused", row
    assert row["actor"] == spec_token["agent_id"], row
    assert refused_cap in json.dumps(row["details"]), row


WIDER = {
    "parent dir": {"file_paths": ["/project/**"]},
    "sibling dir by prefix glob": {"file_paths": ["/project/src*/**"]},
    "any top-level dir": {"file_paths": ["/project/*/app.ts"]},
    "root": {"file_paths": ["/**"]},
    "one allowed one not": {"file_paths": ["/project/src/lib/**", "/project/.env"]},
    "any branch": {"git_branches": ["*"]},
    "nested feature branches": {"git_branches": ["feature/**"]},
    "main": {"git_branches": ["main"]},
    "feature prefix glob": {"git_branches": ["feature*"]},
    "bigger size": {"max_file_size": "11MB"},
    "bigger size in bytes": {"max_file_size": 10 * 1024 * 1024 + 1},
}


@pytest.mark.parametrize("restrictions", list(WIDER.values()), ids=list(WIDER))
def test_child_asking_for_wider_restrictions_is_refused(world, spec_token, restrictions):
    r = world.delegate(spec_token["agent_token"], ["file:read"], restrictions=restrictions)
    body = assert_error(r, 403, "AGENT_DELEGATION_REFUSED")
    row = world.audit_event(r, "agent_delegate")
    assert row["outcome"] == "refused", row
    assert row["actor"] == spec_token["agent_id"], row
    assert body["error"]["details"].get("reason"), body


NARROWER = {
    "subdir": ({"file_paths": ["/project/src/lib/**"]},
               {"/project/src/lib/a/b.ts": True, "/project/src/app.ts": False}),
    "typescript anywhere in src": ({"file_paths": ["/project/src/**/*.ts"]},
                                   {"/project/src/a/b.ts": True, "/project/src/a/b.js": False,
                                    "/project/lib/b.ts": False}),
    "one level": ({"file_paths": ["/project/src/*.ts"]},
                  {"/project/src/app.ts": True, "/project/src/a/b.ts": False}),
    "one file": ({"file_paths": ["/project/src/app.ts"]},
                 {"/project/src/app.ts": True, "/project/src/app.tsx": False}),
    "question mark": ({"file_paths": ["/project/src/v?.ts"]},
                      {"/project/src/v1.ts": True, "/project/src/v10.ts": False, "/project/src/v/.ts": False}),
}


@pytest.mark.parametrize("restrictions, probes", list(NARROWER.values()), ids=list(NARROWER))
def test_child_globs_match_only_what_the_parent_s_match(world, spec_token, restrictions, probes):
    child = world.child(spec_token["agent_token"], ["file:read"], restrictions=restrictions)
    assert child["restrictions"]["file_paths"] == restrictions["file_paths"], child
    assert child["restrictions"]["git_branches"] == SPEC_RESTRICTIONS["git_branches"], child
    assert child["restrictions"]["max_file_size"] == SPEC_RESTRICTIONS["max_file_size"], child
    for path, allowed in probes.items():
        d = world.decision(world.verify_self(child["agent_token"], "file:read", {"path": path}))
        assert d["allowed"] is allowed, f"{restrictions} on {path}: {d}"


def test_depth_beyond_three_is_refused(world, operator):
    token = world.mint(operator)["agent_token"]
    for depth in (1, 2, 3):
        data = world.child(token, ["file:read"])
        token = data["agent_token"]
        assert claims_of(token).get("depth") == depth, claims_of(token)
    r = world.delegate(token, ["file:read"])
    body = assert_error(r, 403, "AGENT_DELEGATION_REFUSED")
    assert body["error"]["details"].get("reason"), body
    row = world.audit_event(r, "agent_delegate")
    assert row["outcome"] == "refused", row
    assert row["actor"] == claims_of(token)["agent_id"], row


# ----------------------------------------------------------------------------- forged tokens


def _forgeries(real: str) -> dict:
    hdr = header_of_token(real)
    h, p, s = real.split(".")
    tampered = json.loads(b64u_decode(p))
    tampered["capabilities"] = tampered["capabilities"] + ["file:delete", "git:push"]
    tampered["restrictions"] = {"file_paths": ["/**"], "git_branches": ["*", "**"]}
    return {
        "own key, same kid": forged_agent_token(real),
        "own key, another kid": forged_agent_token(real, kid="agent-20991231-attackerkey0"),
        "own key, same kid, new agent_id": forged_agent_token(real, agent_id="agt_forged00000000000000"),
        "real signature, tampered payload": f"{h}.{b64u(json.dumps(tampered).encode())}.{s}",
        "alg none": f"{b64u(json.dumps(dict(hdr, alg='none')).encode())}.{b64u(json.dumps(tampered).encode())}.",
    }


@pytest.mark.parametrize("kind", ["own key, same kid", "own key, another kid", "own key, same kid, new agent_id",
                                  "real signature, tampered payload", "alg none"])
def test_self_signed_token_with_forged_capabilities(world, spec_token, kind):
    forged = _forgeries(spec_token["agent_token"])[kind]
    resource = {"path": "/etc/passwd"}
    # As a tool server asking about it: a refusal, with a reason, audited.
    r = world.verify_tool(forged, "file:delete", resource)
    d = world.decision(r)
    assert d["allowed"] is False, d
    assert d["reason"] == "token_invalid", d
    row = world.audit_event(r, "agent_verify")
    assert row["outcome"] == "denied", row
    assert row["details"]["reason"] == "token_invalid" and row["details"]["capability"] == "file:delete", row
    # As its own Bearer (self-verify, delegate): not a credential at all.
    r = world.verify_self(forged, "file:delete", resource)
    assert_error(r, 401, "AUTH_TOKEN_INVALID")
    assert r.headers.get("WWW-Authenticate"), r.headers
    assert_error(world.delegate(forged, ["file:read"]), 401, "AUTH_TOKEN_INVALID")
    # The real token it was made from is untouched.
    world.allowed(spec_token["agent_token"], "file:read", {"path": "/project/src/app.ts"})


# ----------------------------------------------------------------------------- paths


BAD_PATHS = {
    "dotdot": "/project/src/../../etc/passwd",
    "dotdot back into src": "/project/src/../src/app.ts",
    "percent dots": "/project/src/%2e%2e/%2e%2e/etc/passwd",
    "percent dots upper": "/project/src/%2E%2E/%2E%2E/etc/passwd",
    "percent slash": "/project/src/..%2f..%2fetc/passwd",
    "percent in name": "/project/src/app%2ets",
    "double percent": "/project/src/%252e%252e/x",
    "backslash": "/project/src/..\\..\\etc\\passwd",
    "backslash separator": "/project/src\\app.ts",
    "nul": "/project/src/app.ts\u0000.png",
    "empty segment": "/project/src//app.ts",
    "dot segment": "/project/src/./app.ts",
    "trailing slash": "/project/src/",
    "relative": "project/src/app.ts",
    "control char": "/project/src/app\n.ts",
}


@pytest.mark.parametrize("path", list(BAD_PATHS.values()), ids=list(BAD_PATHS))
def test_path_tricks_are_refused(world, spec_token, path):
    r = world.verify_tool(spec_token["agent_token"], "file:read", {"path": path})
    d = world.decision(r)
    assert d["allowed"] is False, f"{path!r}: {d}"
    assert d["reason"] in ("invalid_path", "path_not_allowed"), f"{path!r}: {d}"
    row = world.audit_event(r, "agent_verify")
    assert row["outcome"] == "denied", row
    assert row["details"]["reason"] == d["reason"], row
    assert row["details"]["resource"] == {"path": path}, row
    # The same answer when the agent asks about itself.
    d2 = world.decision(world.verify_self(spec_token["agent_token"], "file:read", {"path": path}))
    assert d2 == d, (d, d2)


def test_the_brief_s_two_paths_are_invalid_not_just_outside(world, spec_token):
    """`..` and `%2e%2e` are refused as such (invalid_path), not normalized and then matched."""
    for path in ("/project/src/../../etc/passwd", "/project/src/%2e%2e/%2e%2e/etc/passwd",
                 "/project/src/../src/app.ts"):
        d = world.decision(world.verify_tool(spec_token["agent_token"], "file:write", {"path": path}))
        assert d == dict(d, allowed=False, reason="invalid_path"), f"{path}: {d}"


# ----------------------------------------------------------------------------- branches


@pytest.mark.parametrize("branch, reasons", [
    ("refs/heads/main", {"branch_not_allowed"}),        # the prefix is understood: it is main
    ("main ", {"invalid_branch"}),                      # git refuses the space
    ("main", {"branch_not_allowed"}),
    ("feature/x ", {"invalid_branch"}),
    (" feature/x", {"invalid_branch"}),
    ("refs/heads/feature/x ", {"invalid_branch"}),
    ("feature/../main", {"invalid_branch"}),
    ("feature/x.lock", {"invalid_branch"}),
    ("feature/x/y", {"branch_not_allowed"}),            # '*' does not cross '/'
    ("refs/remotes/origin/feature/x", {"invalid_branch", "branch_not_allowed"}),
    ("refs/heads/refs/heads/feature/x", {"invalid_branch", "branch_not_allowed"}),
    ("feature/x\u0000", {"invalid_branch"}),
    ("feature/x~1", {"invalid_branch"}),
    ("feature/*", {"invalid_branch"}),                  # a name, not a pattern
    ("FEATURE/x", {"branch_not_allowed"}),
])
def test_branches_where_only_feature_star_is_allowed(world, spec_token, branch, reasons):
    r = world.verify_tool(spec_token["agent_token"], "git:commit", {"branch": branch})
    d = world.decision(r)
    assert d["allowed"] is False, f"{branch!r}: {d}"
    assert d["reason"] in reasons, f"{branch!r}: reason {d['reason']!r}, expected one of {reasons}"
    row = world.audit_event(r, "agent_verify")
    assert row["outcome"] == "denied", row
    assert row["details"] == {"capability": "git:commit", "resource": {"branch": branch},
                              "reason": d["reason"]}, row


@pytest.mark.parametrize("branch", ["feature/x", "refs/heads/feature/x", "feature/login-2.0"])
def test_feature_branches_are_allowed(world, spec_token, branch):
    world.allowed(spec_token["agent_token"], "git:commit", {"branch": branch})
