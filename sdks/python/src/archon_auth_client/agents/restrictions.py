"""The restriction rules of docs/agent-restrictions.md: valid paths, path and branch patterns,
sizes, the strict parser of a ``restrictions`` claim and the decision for one action. Pure
functions, no I/O; the shared vector file (sdks/testdata/restriction-vectors.json) is their test.

Texts may be given as ``str`` or ``bytes`` (bytes are decoded as strict UTF-8, which refuses
overlong forms, surrogates and code points above U+10FFFF). Matching is over code points."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Union

Text = Union[str, bytes]

MAX_PATH_BYTES = 4096
MAX_PATH_PATTERN_BYTES = 1024
MAX_BRANCH_BYTES = 255
MAX_ENTRIES = 64
MAX_LIST_BYTES = 4096
MAX_SIZE = 2**53 - 1
_SIZE_RE = re.compile(r"(0|[1-9][0-9]*)(b|kb|mb|gb)", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}
_BRANCH_FORBIDDEN = frozenset(" ~^:\\[")
HEADS = "refs/heads/"


class RestrictionsError(ValueError):
    """A restrictions object (or one entry) that the strict parser refuses; the message names
    the key (``file_paths[2]: ...``) and never quotes a value."""


def _text(value: Text) -> Optional[str]:
    """The text as str, or None when it is not valid UTF-8 (bytes, or a str with surrogates)."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            return None
    try:
        value.encode("utf-8", errors="strict")
    except UnicodeEncodeError:
        return None
    return value


def _has_control(s: str) -> bool:
    return any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in s)


def _text_problem(s: Optional[str], kind: str, limit: int) -> Optional[str]:
    """What paths and branches share: valid UTF-8, 1 to `limit` bytes, no control character."""
    if s is None:
        return f"{kind} is not valid UTF-8"
    n = len(s.encode("utf-8"))
    if n == 0:
        return f"{kind} is empty"
    if n > limit:
        return f"{kind} is longer than {limit} bytes"
    if _has_control(s):
        return f"{kind} contains a control character"
    return None


def _path_problem(value: Text, limit: int, pattern: bool) -> Optional[str]:
    s = _text(value)
    kind = "path pattern" if pattern else "path"
    problem = _text_problem(s, kind, limit)
    if problem is not None or s is None:
        return problem
    if "\\" in s:
        return f"{kind} contains a backslash"
    if "%" in s:
        return f"{kind} contains '%' (percent-encoding is refused)"
    if not s.startswith("/"):
        return f"{kind} is not absolute"
    if s == "/":
        return None
    if s.endswith("/"):
        return f"{kind} ends with '/'"
    for seg in s[1:].split("/"):
        if seg == "":
            return f"{kind} contains an empty segment"
        if seg in (".", ".."):
            return f"{kind} contains a '{seg}' segment"
        if pattern and "**" in seg and seg != "**":
            return f"{kind} uses '**' inside a segment"
    return None


def path_valid(path: Text) -> bool:
    return _path_problem(path, MAX_PATH_BYTES, False) is None


def path_pattern_problem(pattern: Text) -> Optional[str]:
    return _path_problem(pattern, MAX_PATH_PATTERN_BYTES, True)


def _segments(s: str) -> List[str]:
    return [] if s == "/" else s[1:].split("/")


def _seg_match(p: str, s: str) -> bool:
    """``*`` and ``?`` within one segment: the greedy wildcard algorithm (linear backtracking)."""
    pi = si = 0
    star, mark = -1, 0
    while si < len(s):
        if pi < len(p) and p[pi] == "*":
            star, mark = pi, si
            pi += 1
        elif pi < len(p) and (p[pi] == "?" or p[pi] == s[si]):
            pi += 1
            si += 1
        elif star >= 0:
            pi = star + 1
            mark += 1
            si = mark
        else:
            return False
    while pi < len(p) and p[pi] == "*":
        pi += 1
    return pi == len(p)


def _segs_match(pat: List[str], segs: List[str]) -> bool:
    """The same algorithm one level up: ``**`` absorbs whole segments."""
    pi = si = 0
    star, mark = -1, 0
    while si < len(segs):
        if pi < len(pat) and pat[pi] == "**":
            star, mark = pi, si
            pi += 1
        elif pi < len(pat) and _seg_match(pat[pi], segs[si]):
            pi += 1
            si += 1
        elif star >= 0:
            pi = star + 1
            mark += 1
            si = mark
        else:
            return False
    while pi < len(pat) and pat[pi] == "**":
        pi += 1
    return pi == len(pat)


def path_matches(pattern: Text, path: Text) -> bool:
    """Whether a path pattern matches a path; an invalid pattern or path matches nothing."""
    if path_pattern_problem(pattern) is not None or not path_valid(path):
        return False
    p, s = _text(pattern), _text(path)
    assert p is not None and s is not None
    return _segs_match(_segments(p), _segments(s))


# ----------------------------------------------------------------- branches


def normalize_branch(name: Text) -> Optional[str]:
    """The name without one leading ``refs/heads/``; None when not valid UTF-8."""
    s = _text(name)
    if s is None:
        return None
    return s[len(HEADS):] if s.startswith(HEADS) else s


def _branch_problem(value: Text, pattern: bool) -> Optional[str]:
    s = normalize_branch(value)
    kind = "branch pattern" if pattern else "branch"
    problem = _text_problem(s, kind, MAX_BRANCH_BYTES)
    if problem is not None or s is None:
        return problem
    if " " in s:
        return f"{kind} contains a space"
    bad = _BRANCH_FORBIDDEN if pattern else _BRANCH_FORBIDDEN | {"*", "?"}
    if any(c in bad for c in s):
        return f"{kind} contains a character git forbids"
    if s.startswith("refs/"):
        return f"{kind} starts with refs/"
    if s in ("HEAD", "@"):
        return f"{kind} is HEAD or @"
    if ".." in s or "@{" in s:
        return f"{kind} contains '..' or '@{{'"
    if s.startswith(("-", "/")) or s.endswith(("/", ".")) or "//" in s:
        return f"{kind} has a bad start, end or '//'"
    for comp in s.split("/"):
        if comp.startswith(".") or comp.endswith(".lock"):
            return f"{kind} has a component starting with '.' or ending with '.lock'"
        if pattern and "**" in comp and comp != "**":
            return f"{kind} uses '**' inside a component"
    return None


def branch_valid(name: Text) -> bool:
    return _branch_problem(name, False) is None


def branch_pattern_problem(pattern: Text) -> Optional[str]:
    return _branch_problem(pattern, True)


def branch_matches(pattern: Text, name: Text) -> bool:
    if branch_pattern_problem(pattern) is not None or not branch_valid(name):
        return False
    p, s = normalize_branch(pattern), normalize_branch(name)
    assert p is not None and s is not None
    return _segs_match(p.split("/"), s.split("/"))


# ----------------------------------------------------------------- sizes


def parse_size(value: Any) -> int:
    """Bytes of a size string (``"10MB"`` = 10485760, binary units) or of an integer."""
    if isinstance(value, bool):
        raise RestrictionsError("size must be a size string or an integer")
    if isinstance(value, int):
        if 0 <= value <= MAX_SIZE:
            return value
        raise RestrictionsError("size is out of range")
    if not isinstance(value, str):
        raise RestrictionsError("size must be a size string or an integer")
    m = _SIZE_RE.fullmatch(value)
    if m is None:
        raise RestrictionsError("size must be <digits><unit>, the unit B, KB, MB or GB (1KB = 1024 bytes)")
    n = int(m.group(1)) * _UNITS[m.group(2).lower()]
    if n > MAX_SIZE:
        raise RestrictionsError("size is larger than 2^53 - 1 bytes")
    return n


def format_size(n: int) -> str:
    """The largest exact unit: 10485760 -> "10MB", 1536 -> "1536B", 0 -> "0B"."""
    for unit, mult in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n and n % mult == 0:
            return f"{n // mult}{unit}"
    return f"{n}B"


# ----------------------------------------------------------------- the object and the decision


@dataclass(frozen=True)
class ParsedRestrictions:
    file_paths: tuple[str, ...] = ()
    git_branches: tuple[str, ...] = ()
    max_file_size: Optional[int] = None


def _parse_list(obj: Mapping[str, Any], key: str, branch: bool) -> tuple[str, ...]:
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise RestrictionsError(f"{key}: expected a list of strings")
    if len(value) > MAX_ENTRIES:
        raise RestrictionsError(f"{key}: more than {MAX_ENTRIES} entries")
    out: List[str] = []
    total = 0
    for i, entry in enumerate(value):
        if not isinstance(entry, str):
            raise RestrictionsError(f"{key}[{i}]: expected a string")
        problem = branch_pattern_problem(entry) if branch else path_pattern_problem(entry)
        if problem is not None:
            raise RestrictionsError(f"{key}[{i}]: {problem}")
        total += len(entry.encode("utf-8"))
        norm = normalize_branch(entry) if branch else entry
        assert norm is not None
        if norm not in out:
            out.append(norm)
    if total > MAX_LIST_BYTES:
        raise RestrictionsError(f"{key}: more than {MAX_LIST_BYTES} bytes of patterns")
    return tuple(out)


def parse_restrictions(obj: Any) -> ParsedRestrictions:
    """The strict parser: any problem refuses the whole object (RestrictionsError)."""
    if not isinstance(obj, Mapping):
        raise RestrictionsError("restrictions: expected an object")
    for key in obj:
        if key not in ("file_paths", "git_branches", "max_file_size"):
            shown = key if isinstance(key, str) and len(key) <= 32 and key.isascii() and key.isprintable() else None
            raise RestrictionsError(f"unknown key '{shown}'" if shown else "unknown key")
    size = None
    if "max_file_size" in obj:
        try:
            size = parse_size(obj["max_file_size"])
        except RestrictionsError as exc:
            raise RestrictionsError(f"max_file_size: {exc}") from None
    return ParsedRestrictions(_parse_list(obj, "file_paths", False),
                              _parse_list(obj, "git_branches", True), size)


def decide(restrictions: Union[ParsedRestrictions, Mapping[str, Any]],
           resource: Optional[Mapping[str, Any]]) -> str:
    """The reason for one action: ``allowed`` or the first failed step (path, branch, size).
    Raises RestrictionsError when the restrictions do not parse or ``resource.size`` is not a size."""
    r = restrictions if isinstance(restrictions, ParsedRestrictions) else parse_restrictions(restrictions)
    resource = resource or {}
    path = resource.get("path")
    if path is not None:
        if not isinstance(path, (str, bytes)) or not path_valid(path):
            return "invalid_path"
        if not any(path_matches(p, path) for p in r.file_paths):
            return "path_not_allowed"
    branch = resource.get("branch")
    if branch is not None:
        if not isinstance(branch, (str, bytes)) or not branch_valid(branch):
            return "invalid_branch"
        if not any(branch_matches(p, branch) for p in r.git_branches):
            return "branch_not_allowed"
    size = resource.get("size")
    if size is not None and r.max_file_size is not None and parse_size(size) > r.max_file_size:
        return "size_exceeds_limit"
    return "allowed"
