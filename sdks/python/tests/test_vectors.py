"""The shared restriction vectors (sdks/testdata/restriction-vectors.json), every group."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

from archon_auth_client.agents.inclusion import branch_pattern_within, narrow, path_pattern_within
from archon_auth_client.agents.restrictions import RestrictionsError, decide, parse_restrictions

VECTORS = Path(__file__).resolve().parents[2] / "testdata" / "restriction-vectors.json"


def _cases(kind: str) -> List[Any]:
    data = json.loads(VECTORS.read_text())
    assert data["version"] == 1
    out = [pytest.param(c, id=c["id"]) for g in data["groups"] if g["kind"] == kind for c in g["cases"]]
    assert out, f"no {kind} vectors"
    return out


def _decision(inp: Dict[str, Any]) -> str:
    resource = dict(inp.get("resource", {}))
    if "path_hex" in resource:
        resource["path"] = bytes.fromhex(resource.pop("path_hex"))
    try:
        parsed = parse_restrictions(inp["restrictions"])
    except RestrictionsError:
        return "restrictions_invalid"
    return decide(parsed, resource)


@pytest.mark.parametrize("case", _cases("decision"))
def test_decision(case: Dict[str, Any]) -> None:
    reason = _decision(case["input"])
    assert reason == case["expected"]["reason"], case.get("note")
    assert (reason == "allowed") is case["expected"]["allowed"]


@pytest.mark.parametrize("case", _cases("within"))
def test_within(case: Dict[str, Any]) -> None:
    inp = case["input"]
    within = path_pattern_within if inp["list"] == "file_paths" else branch_pattern_within
    assert within(inp["child"], inp["parent"]) is case["expected"]["allowed"], case.get("note")


@pytest.mark.parametrize("case", _cases("narrow"))
def test_narrow(case: Dict[str, Any]) -> None:
    inp, exp = case["input"], case["expected"]
    try:
        child = narrow(inp["parent"], inp["requested"])
    except RestrictionsError:
        assert exp["allowed"] is False, case.get("note")
        return
    assert exp["allowed"] is True, f"accepted, expected {exp.get('error')}"
    assert child == exp["restrictions"]
