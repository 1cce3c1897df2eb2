"""Delegation narrowing (docs/agent-restrictions.md, "Delegation"): whether a child pattern is
provably within a parent pattern, and the child restrictions a delegation request yields. The rule
is sound and conservative: "within" is true only when it is proved."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Mapping

from .restrictions import (ParsedRestrictions, RestrictionsError, Text, _text, branch_pattern_problem,
                           format_size, normalize_branch, parse_restrictions, path_pattern_problem)

STAR_SEG = "**"
_ANY_ONE = frozenset({"*", "?*", "*?"})


def _arrange_segment(seg: str, fixed_first: bool, child: bool) -> str:
    """Each run of ``*``/``?`` becomes its ``?``s and one ``*`` (``?``s first when fixed_first)."""
    if seg == STAR_SEG:
        return seg
    out: List[str] = []
    i = 0
    while i < len(seg):
        if seg[i] in "*?":
            j = i
            while j < len(seg) and seg[j] in "*?":
                j += 1
            run = seg[i:j]
            q = "?" * run.count("?")
            star = "*" if "*" in run else ""
            out.append(q + star if fixed_first else star + q)
            i = j
        else:
            out.append(seg[i])
            i += 1
    s = "".join(out)
    if child and s == "*":  # segments are never empty: a child `*` is one or more code points
        s = "?*" if fixed_first else "*?"
    return s


def _arrange(segs: List[str], fixed_first: bool, child: bool) -> tuple[str, ...]:
    segs = [_arrange_segment(s, fixed_first, child) for s in segs]
    out: List[str] = []
    i = 0
    while i < len(segs):
        if segs[i] == STAR_SEG or segs[i] in _ANY_ONE:
            j = i
            while j < len(segs) and (segs[j] == STAR_SEG or segs[j] in _ANY_ONE):
                j += 1
            run = segs[i:j]
            if STAR_SEG in run:
                singles = [s for s in run if s != STAR_SEG]
                out.extend(singles + [STAR_SEG] if fixed_first else [STAR_SEG] + singles)
            else:
                out.extend(run)
            i = j
        else:
            out.append(segs[i])
            i += 1
    return tuple(out)


@lru_cache(maxsize=4096)
def _seg_within(c: str, p: str) -> bool:
    """Everything child segment ``c`` matches, parent segment ``p`` matches (over code points)."""
    n, m = len(c), len(p)
    w = [[False] * (m + 1) for _ in range(n + 1)]
    w[n][m] = True
    for i in range(n, -1, -1):
        for j in range(m - 1, -1, -1):
            if p[j] == "*":
                w[i][j] = w[i][j + 1] or (i < n and w[i + 1][j])
            elif i < n and c[i] != "*":
                covers = p[j] == "?" or (c[i] == p[j] and c[i] != "?")
                w[i][j] = covers and w[i + 1][j + 1]
    return w[0][0]


def _segs_within(c: tuple[str, ...], p: tuple[str, ...]) -> bool:
    n, m = len(c), len(p)
    w = [[False] * (m + 1) for _ in range(n + 1)]
    w[n][m] = True
    for i in range(n, -1, -1):
        for j in range(m - 1, -1, -1):
            if p[j] == STAR_SEG:
                w[i][j] = w[i][j + 1] or (i < n and w[i + 1][j])
            elif i < n and c[i] != STAR_SEG:
                w[i][j] = w[i + 1][j + 1] and _seg_within(c[i], p[j])
    return w[0][0]


def _within(child: List[str], parent: List[str]) -> bool:
    return any(_segs_within(_arrange(child, o, True), _arrange(parent, o, False)) for o in (True, False))


def _path_segs(s: str) -> List[str]:
    return [] if s == "/" else s[1:].split("/")


def path_pattern_within(child: Text, parent: Text) -> bool:
    if path_pattern_problem(child) is not None or path_pattern_problem(parent) is not None:
        return False
    c, p = _text(child), _text(parent)
    assert c is not None and p is not None
    return _within(_path_segs(c), _path_segs(p))


def branch_pattern_within(child: Text, parent: Text) -> bool:
    if branch_pattern_problem(child) is not None or branch_pattern_problem(parent) is not None:
        return False
    c, p = normalize_branch(child), normalize_branch(parent)
    assert c is not None and p is not None
    return _within(c.split("/"), p.split("/"))


def narrow(parent: Mapping[str, Any], requested: Mapping[str, Any]) -> Dict[str, Any]:
    """The child's restrictions claim for a delegation request, as the server writes it; raises
    RestrictionsError naming the first offending entry when the request is wider or malformed."""
    try:
        par = parse_restrictions(parent)
    except RestrictionsError as exc:
        raise RestrictionsError(f"parent restrictions: {exc}") from None
    req = parse_restrictions(requested)
    paths = _narrow_list(req.file_paths, par.file_paths, "file_paths", path_pattern_within)
    branches = _narrow_list(req.git_branches, par.git_branches, "git_branches", branch_pattern_within)
    size = par.max_file_size
    if req.max_file_size is not None:
        if size is not None and req.max_file_size > size:
            raise RestrictionsError("max_file_size is larger than the parent's")
        size = req.max_file_size
    out: Dict[str, Any] = {"file_paths": list(paths), "git_branches": list(branches)}
    if size is not None:
        out["max_file_size"] = format_size(size)
    return out


def _narrow_list(req: tuple[str, ...], par: tuple[str, ...], key: str, within: Any) -> tuple[str, ...]:
    if not req:
        return par  # an empty or absent list inherits the parent's
    for i, entry in enumerate(req):
        if not any(within(entry, p) for p in par):  # within one single parent entry
            raise RestrictionsError(f"{key}[{i}] is not within the parent's {key}")
    return req


__all__ = ["ParsedRestrictions", "branch_pattern_within", "narrow", "path_pattern_within"]
