"""The same decision vectors asked of the real server: for every vector whose restrictions a
code_implementer token can carry (its own, or narrower ones obtained by delegation), the verify
endpoint's reason must equal the vector's and this SDK's offline decision."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from archon_auth_client import ArchonAuthClient, ArchonAuthError, AuthConfig
from archon_auth_client.agents import RestrictionsError, decide, format_size, parse_restrictions
from archon_testing import ArchonServer

VECTORS = Path(__file__).resolve().parents[2] / "testdata" / "restriction-vectors.json"
CAPS = ["file:write", "git:commit"]


def _normalized(restrictions: Any) -> Optional[Dict[str, Any]]:
    """The claim the server would write for these restrictions, or None if they do not parse."""
    try:
        p = parse_restrictions(restrictions)
    except RestrictionsError:
        return None
    out: Dict[str, Any] = {"file_paths": list(p.file_paths), "git_branches": list(p.git_branches)}
    if p.max_file_size is not None:
        out["max_file_size"] = format_size(p.max_file_size)
    return out


async def test_server_agrees_with_the_vectors(archon: ArchonServer) -> None:
    cases = [c for g in json.loads(VECTORS.read_text())["groups"] if g["kind"] == "decision"
             for c in g["cases"] if "path_hex" not in c["input"].get("resource", {})]
    user = archon.create_user("agent_operator")
    async with ArchonAuthClient(AuthConfig(archon.base_url)) as client:
        await client.login({"email": user.email, "password": user.password})
        root = await client.authenticate_agent("code_implementer", CAPS, {"estimated_duration": 3600})
        tokens: Dict[str, str] = {json.dumps(root["restrictions"], sort_keys=True): root["agent_token"]}
        checked: List[str] = []
        mismatches: List[Tuple[str, str, str]] = []
        for case in cases:
            want = _normalized(case["input"]["restrictions"])
            if want is None or not want["file_paths"] or not want["git_branches"]:
                continue  # unparsable or empty lists: no token can carry them
            key = json.dumps(want, sort_keys=True)
            if key not in tokens:
                try:
                    child = await client.delegate_agent(root["agent_token"], "code_implementer", CAPS,
                                                        case["input"]["restrictions"])
                except ArchonAuthError:
                    continue  # wider than code_implementer's: not reachable by delegation
                if json.dumps(child["restrictions"], sort_keys=True) != key:
                    mismatches.append((case["id"], "child restrictions", json.dumps(child["restrictions"])))
                    continue
                tokens[key] = child["agent_token"]
            resource = case["input"]["resource"]
            try:
                d = await client.verify_capability("file:write", resource, agent_token=tokens[key])
                got = d["reason"]
            except ArchonAuthError as exc:
                got = f"HTTP {exc.status} {exc.code}"
            expected = case["expected"]["reason"]
            offline = decide(case["input"]["restrictions"], resource)
            if not (got == expected == offline):
                mismatches.append((case["id"], f"server {got}", f"expected {expected}, sdk {offline}"))
            checked.append(case["id"])
    assert not mismatches, mismatches
    print(f"{len(checked)} of {len(cases)} decision vectors checked against the server")
    assert len(checked) >= 100, f"only {len(checked)} vectors reachable"


async def test_server_narrows_as_the_vectors_say(archon: ArchonServer) -> None:
    """The narrow vectors whose parent is code_implementer's restrictions, as real delegations."""
    user = archon.create_user("agent_operator")
    async with ArchonAuthClient(AuthConfig(archon.base_url)) as client:
        await client.login({"email": user.email, "password": user.password})
        root = await client.authenticate_agent("code_implementer", CAPS, {"estimated_duration": 3600})
        cases = [c for g in json.loads(VECTORS.read_text())["groups"] if g["kind"] == "narrow"
                 for c in g["cases"] if c["input"]["parent"] == root["restrictions"]]
        assert len(cases) >= 5
        for case in cases:
            exp = case["expected"]
            try:
                child = await client.delegate_agent(root["agent_token"], "code_implementer", CAPS,
                                                    case["input"]["requested"])
            except ArchonAuthError as exc:
                assert exp["allowed"] is False, (case["id"], exc.code, exc.details)
                assert exc.code == "AGENT_DELEGATION_REFUSED"
                continue
            assert exp["allowed"] is True, (case["id"], child["restrictions"])
            assert child["restrictions"] == exp["restrictions"], case["id"]
