"""An independent, literal reading of docs/agent-restrictions.md, used by build_vectors.py to
re-derive every decision case before writing the vectors (so a typo in a table fails there)."""
from functools import lru_cache

MAX = (1 << 53) - 1


def _valid_text(s, maxb):
    b = s.encode("utf-8", "surrogatepass") if isinstance(s, str) else s
    if not b or len(b) > maxb:
        return None
    try:
        t = b.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in t):
        return None
    return t


def ref_path(s, wild):
    t = _valid_text(s, 1024 if wild else 4096)
    if t is None or "\\" in t or "%" in t or not t.startswith("/"):
        return None
    if t == "/":
        return []
    segs = t[1:].split("/")
    if any(g in ("", ".", "..") for g in segs):
        return None
    if wild and any("**" in g and g != "**" for g in segs):
        return None
    return segs


def ref_branch(s, wild):
    if not isinstance(s, str):
        return None
    if s.startswith("refs/heads/"):
        s = s[11:]
    t = _valid_text(s, 255)
    if t is None or any(c in t for c in " ~^:\\[") or (not wild and any(c in t for c in "*?")):
        return None
    if t.startswith("refs/") or t in ("HEAD", "@") or ".." in t or "@{" in t:
        return None
    if t[0] in "-/" or t[-1] in "/." or "//" in t:
        return None
    comps = t.split("/")
    if any(c.startswith(".") or c.endswith(".lock") for c in comps):
        return None
    if wild and any("**" in c and c != "**" for c in comps):
        return None
    return comps


def ref_match(P, S):  # the docs' recursion, memoized
    @lru_cache(maxsize=None)
    def seg(p, s):
        if not p:
            return not s
        if p[0] == "*":
            return seg(p[1:], s) or (bool(s) and seg(p, s[1:]))
        if p[0] == "?":
            return bool(s) and seg(p[1:], s[1:])
        return bool(s) and p[0] == s[0] and seg(p[1:], s[1:])

    @lru_cache(maxsize=None)
    def m(i, j):
        if i == len(P):
            return j == len(S)
        if P[i] == "**":
            return m(i + 1, j) or (j < len(S) and m(i, j + 1))
        return j < len(S) and seg(P[i], S[j]) and m(i + 1, j + 1)

    return m(0, 0)


def ref_size(v):
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return v if 0 <= v <= MAX else None
    if not isinstance(v, str):
        return None
    i = 0
    while i < len(v) and "0" <= v[i] <= "9":
        i += 1
    digits, unit = v[:i], v[i:].upper()
    if not digits or (len(digits) > 1 and digits[0] == "0"):
        return None
    mult = {"B": 1, "KB": 1024, "MB": 1 << 20, "GB": 1 << 30}.get(unit)
    if mult is None or int(digits) * mult > MAX:
        return None
    return int(digits) * mult


def ref_restrictions(r):
    lists = {"file_paths": [], "git_branches": []}
    limit = None
    for k, v in r.items():
        if k in lists:
            if not isinstance(v, list) or len(v) > 64 or any(not isinstance(e, str) for e in v):
                return None
            if sum(len(e.encode()) for e in v) > 4096:
                return None
            check = (lambda e: ref_path(e, True)) if k == "file_paths" else (lambda e: ref_branch(e, True))
            parsed = [check(e) for e in v]
            if any(p is None for p in parsed):
                return None
            lists[k] = parsed
        elif k == "max_file_size":
            limit = ref_size(v)
            if limit is None:
                return None
        else:
            return None
    return lists, limit


def reference_decision(restrictions, resource):
    parsed = ref_restrictions(restrictions)
    if parsed is None:
        return "restrictions_invalid"
    lists, limit = parsed
    raw_path = bytes.fromhex(resource["path_hex"]) if "path_hex" in resource else resource.get("path")
    if raw_path is not None:
        segs = ref_path(raw_path, False)
        if segs is None:
            return "invalid_path"
        if not any(ref_match(tuple(p), tuple(segs)) for p in lists["file_paths"]):
            return "path_not_allowed"
    if "branch" in resource:
        comps = ref_branch(resource["branch"], False)
        if comps is None:
            return "invalid_branch"
        if not any(ref_match(tuple(p), tuple(comps)) for p in lists["git_branches"]):
            return "branch_not_allowed"
    if "size" in resource and limit is not None and ref_size(resource["size"]) > limit:
        return "size_exceeds_limit"
    return "allowed"
