#!/usr/bin/env python3
"""Writes restriction-vectors.json from the tables below (the JSON file is what tests read).

Every expectation here is written by hand from docs/agent-restrictions.md and checked against the
reference in src/agents/restrictions.cpp. Before writing, each decision case is re-derived by an
independent reader of the docs (reference_reading.py, a literal transcription of the page), so
a typo in a table fails here instead of in four test suites.

Usage: python3 build_vectors.py            # rewrite restriction-vectors.json
       python3 build_vectors.py --check    # exit 1 if the file differs from the tables
"""
import json
import sys
from pathlib import Path

from reference_reading import reference_decision

IMPL = {"file_paths": ["/project/src/**"], "git_branches": ["feature/*"], "max_file_size": "10MB"}
AUDITOR = {"file_paths": ["/project/**"], "git_branches": ["*", "*/*"], "max_file_size": "50MB"}
NONE = {"file_paths": [], "git_branches": []}


def paths_only(*patterns):
    return {"file_paths": list(patterns), "git_branches": []}


def branches_only(*patterns):
    return {"file_paths": [], "git_branches": list(patterns)}


MB10 = 10 * 1024 * 1024
MAX = (1 << 53) - 1

# ---- decision cases: (restrictions, resource, reason, note) -------------------------------------------
PATHS = [
    # The spec's example and the docs' table for /project/src/**.
    (IMPL, {"path": "/project/src/app.ts"}, "allowed", "the spec's example"),
    (IMPL, {"path": "/project/src/app.go"}, "allowed", "the example tool server's allowed write"),
    (IMPL, {"path": "/project/.env"}, "path_not_allowed", "the spec's example"),
    (IMPL, {"path": "/project/src"}, "allowed", "'**' matches zero segments: the directory itself"),
    (IMPL, {"path": "/project/src/a/b.ts"}, "allowed", "'**' matches several segments"),
    (IMPL, {"path": "/project/src/.env"}, "allowed", "no dotfile exception"),
    (IMPL, {"path": "/project/srcx/a"}, "path_not_allowed", "a prefix is not a segment"),
    (IMPL, {"path": "/project/sr"}, "path_not_allowed", ""),
    (IMPL, {"path": "/project"}, "path_not_allowed", "the parent directory"),
    (IMPL, {"path": "/"}, "path_not_allowed", "the root"),
    (IMPL, {"path": "/Project/src/app.ts"}, "path_not_allowed", "case-sensitive"),
    # Traversal and encodings: refused, never resolved or decoded.
    (IMPL, {"path": "/project/src/../../etc/passwd"}, "invalid_path", "'..' is refused, not resolved"),
    (IMPL, {"path": "/project/src/.."}, "invalid_path", "a trailing '..' segment"),
    (IMPL, {"path": "/project/src/./app.ts"}, "invalid_path", "a '.' segment"),
    (IMPL, {"path": "/project/src/."}, "invalid_path", "a trailing '.' segment"),
    (IMPL, {"path": "%2e%2e"}, "invalid_path", "the spec's example: percent-encoded, and not absolute"),
    (IMPL, {"path": "/project/src/%2e%2e/%2e%2e/etc/passwd"}, "invalid_path", "percent-encoding is refused"),
    (IMPL, {"path": "/project/src/%2E%2E/x"}, "invalid_path", "upper-case percent-encoding"),
    (IMPL, {"path": "/project/src/a%2fb"}, "invalid_path", "an encoded '/'"),
    (IMPL, {"path": "/project/src/100%"}, "invalid_path", "a lone '%'"),
    (IMPL, {"path": "/project/src/%252e%252e/x"}, "invalid_path", "double encoding"),
    (IMPL, {"path": "/project/src\\..\\..\\etc\\passwd"}, "invalid_path", "backslashes"),
    (IMPL, {"path": "/project/src/a\\b.ts"}, "invalid_path", "one backslash inside a name"),
    (IMPL, {"path": "\\project\\src\\app.ts"}, "invalid_path", "a Windows-style path"),
    (IMPL, {"path": "/project/src/a.ts\u0000.png"}, "invalid_path", "NUL inside the path"),
    (IMPL, {"path": "/project/src/a.ts\u0000"}, "invalid_path", "a trailing NUL"),
    (IMPL, {"path": "/project/src/a\nb"}, "invalid_path", "a line feed"),
    (IMPL, {"path": "/project/src/a\tb"}, "invalid_path", "a tab"),
    (IMPL, {"path": "/project/src/a\u001b[31m"}, "invalid_path", "an escape sequence"),
    (IMPL, {"path": "/project/src/a\u007f"}, "invalid_path", "DEL"),
    (IMPL, {"path": "/project/src/a\u0085"}, "invalid_path", "C1 control U+0085 (NEL)"),
    (IMPL, {"path": "/project/src/a\u009f"}, "invalid_path", "C1 control U+009F"),
    (IMPL, {"path": "/project/src//app.ts"}, "invalid_path", "an empty segment"),
    (IMPL, {"path": "//project/src/app.ts"}, "invalid_path", "a leading '//'"),
    (IMPL, {"path": "/project/src/"}, "invalid_path", "a trailing '/' is refused, not stripped"),
    (IMPL, {"path": "/project/src/app.ts/"}, "invalid_path", "a trailing '/' after a file name"),
    (IMPL, {"path": "project/src/app.ts"}, "invalid_path", "not absolute"),
    (IMPL, {"path": "./project/src/app.ts"}, "invalid_path", "relative with './'"),
    (IMPL, {"path": "~/project/src/app.ts"}, "invalid_path", "'~' is not expanded"),
    (IMPL, {"path": " /project/src/app.ts"}, "invalid_path", "a leading space: not absolute"),
    (IMPL, {"path": ""}, "invalid_path", "empty"),
    # Any other code point is an ordinary character of a segment.
    (IMPL, {"path": "/project/src/app.ts "}, "allowed", "a trailing space is part of the name"),
    (IMPL, {"path": "/project/src/..."}, "allowed", "'...' is an ordinary name"),
    (IMPL, {"path": "/project/src/.."+"a"}, "allowed", "'..a' is an ordinary name"),
    (IMPL, {"path": "/project/src/*?[x]{y}"}, "allowed", "wildcards in a path are ordinary characters"),
    (IMPL, {"path": "/project/src/caf\u00e9.ts"}, "allowed", "non-ASCII name"),
    (IMPL, {"path": "/project/src/\U0001F600.ts"}, "allowed", "a 4-byte code point"),
    (IMPL, {"path": "/project/src\uff0f..\uff0f..\uff0fetc\uff0fpasswd"}, "path_not_allowed",
     "fullwidth solidus U+FF0F is not '/': one segment 'src/../..' that is not 'src'"),
    (IMPL, {"path": "/project/src/\uff0e\uff0e/\uff0e\uff0e/etc/passwd"}, "allowed",
     "fullwidth full stops U+FF0E are not '.': ordinary names under /project/src"),
    (IMPL, {"path": "/project/src/\u2024\u2024/x"}, "allowed", "U+2024 ONE DOT LEADER twice is not '..'"),
    (IMPL, {"path": "/project/src\u2215..\u2215.env"}, "path_not_allowed", "U+2215 DIVISION SLASH is not '/'"),
    (IMPL, {"path": "/project/\u0455rc/app.ts"}, "path_not_allowed", "Cyrillic U+0455 looks like 's'"),
    (IMPL, {"path": "/project/src/cafe\u0301.ts"}, "allowed", "decomposed e-acute: bytes are compared, no normalization"),
    (paths_only("/project/src/caf\u00e9.ts"), {"path": "/project/src/cafe\u0301.ts"}, "path_not_allowed",
     "no Unicode normalization: NFC pattern, NFD path"),
    (IMPL, {"path": "/project/src/\u00a0"}, "allowed", "NO-BREAK SPACE is not a control character"),
    (IMPL, {"path": "/project/src/a\u202eb"}, "allowed", "RIGHT-TO-LEFT OVERRIDE is format (Cf), not control (Cc)"),
    # Wildcards of the pattern.
    (paths_only("/project/**/test_*.py"), {"path": "/project/test_a.py"}, "allowed", "'**' matches zero segments"),
    (paths_only("/project/**/test_*.py"), {"path": "/project/a/b/test_x.py"}, "allowed", ""),
    (paths_only("/project/**/test_*.py"), {"path": "/project/a/test_.py"}, "allowed", "'*' matches zero code points"),
    (paths_only("/project/**/test_*.py"), {"path": "/project/a/test_x.pyc"}, "path_not_allowed", ""),
    (paths_only("/project/**/test_*.py"), {"path": "/project/a/xtest_a.py"}, "path_not_allowed", ""),
    (paths_only("/project/**/test_*.py"), {"path": "/project/test_a/b.py"}, "path_not_allowed", "'*' does not cross '/'"),
    (paths_only("/project/src/*.ts"), {"path": "/project/src/app.ts"}, "allowed", ""),
    (paths_only("/project/src/*.ts"), {"path": "/project/src/.ts"}, "allowed", "'*' matches a leading dot"),
    (paths_only("/project/src/*.ts"), {"path": "/project/src/a/b.ts"}, "path_not_allowed", ""),
    (paths_only("/project/*"), {"path": "/project/.env"}, "allowed", "no dotfile exception for '*'"),
    (paths_only("/a/?"), {"path": "/a/b"}, "allowed", ""),
    (paths_only("/a/?"), {"path": "/a/\u00e9"}, "allowed", "'?' is one code point (2 bytes here)"),
    (paths_only("/a/??"), {"path": "/a/\u00e9"}, "path_not_allowed", "'??' needs two code points"),
    (paths_only("/a/?b"), {"path": "/a/\U0001F600b"}, "allowed", "'?' matches a 4-byte code point"),
    (paths_only("/a/?"), {"path": "/a/bc"}, "path_not_allowed", ""),
    (paths_only("/a/?"), {"path": "/a"}, "path_not_allowed", ""),
    (paths_only("/*"), {"path": "/a"}, "allowed", ""),
    (paths_only("/*"), {"path": "/"}, "path_not_allowed", "segments are never empty"),
    (paths_only("/*"), {"path": "/a/b"}, "path_not_allowed", ""),
    (paths_only("/**"), {"path": "/"}, "allowed", ""),
    (paths_only("/**"), {"path": "/a/b/c"}, "allowed", ""),
    (paths_only("/"), {"path": "/"}, "allowed", "the pattern '/' matches only the root"),
    (paths_only("/"), {"path": "/a"}, "path_not_allowed", ""),
    (paths_only("/a/**/b/**/c"), {"path": "/a/b/c"}, "allowed", ""),
    (paths_only("/a/**/b/**/c"), {"path": "/a/x/b/y/z/c"}, "allowed", ""),
    (paths_only("/a/**/b/**/c"), {"path": "/a/c"}, "path_not_allowed", ""),
    (paths_only("/a/*/**"), {"path": "/a"}, "path_not_allowed", ""),
    (paths_only("/a/*/**"), {"path": "/a/x"}, "allowed", ""),
    (paths_only("/a/**/**/b"), {"path": "/a/b"}, "allowed", ""),
    (paths_only("/a/[ab]"), {"path": "/a/[ab]"}, "allowed", "no bracket expressions"),
    (paths_only("/a/[ab]"), {"path": "/a/a"}, "path_not_allowed", "no bracket expressions"),
    (paths_only("/a/{b,c}"), {"path": "/a/b"}, "path_not_allowed", "no brace expansion"),
    (paths_only("/Project/**"), {"path": "/Project/x"}, "allowed", ""),
    (paths_only("/Project/**"), {"path": "/project/x"}, "path_not_allowed", "case-sensitive"),
    (paths_only("/a/*b*c"), {"path": "/a/xbybzc"}, "allowed", ""),
    (paths_only("/a/*b*c"), {"path": "/a/xbcb"}, "path_not_allowed", ""),
    (paths_only("/a/*a*a*a*b"), {"path": "/a/" + "a" * 42}, "path_not_allowed", "backtracking-heavy, must stay cheap"),
    (paths_only("/a/~"), {"path": "/a/~"}, "allowed", "'~' is literal"),
    # Lists: any entry may allow; an empty list denies.
    (NONE, {"path": "/project/src/a"}, "path_not_allowed", "an empty file_paths denies every path"),
    ({"git_branches": []}, {"path": "/project/src/a"}, "path_not_allowed", "a missing file_paths is empty"),
    (paths_only("/project/docs/**", "/project/**/*.md", "/project/src/**"), {"path": "/project/README.md"}, "allowed",
     "the second entry matches"),
    (paths_only("/project/docs/**", "/project/**/*.md", "/project/src/**"), {"path": "/project/docs/x.png"}, "allowed", ""),
    (paths_only("/project/docs/**", "/project/**/*.md", "/project/src/**"), {"path": "/project/Makefile"},
     "path_not_allowed", "no entry matches"),
    (AUDITOR, {"path": "/project/.env"}, "allowed", "security_auditor reads the whole project"),
    # Lengths are in bytes.
    (IMPL, {"path": "/project/src/" + "a" * (4096 - 13)}, "allowed", "exactly 4096 bytes"),
    (IMPL, {"path": "/project/src/" + "a" * (4097 - 13)}, "invalid_path", "4097 bytes"),
    (IMPL, {"path": "/project/src/" + "\u00e9" * 2042}, "invalid_path",
     "2055 code points but 4097 bytes: the limit counts bytes"),
    (IMPL, {"path": "/project/src" + "/a" * 2042}, "allowed", "4096 bytes of one-letter segments"),
    (paths_only("/**" + "/a" * 509 + "/b"), {"path": "/a" * 2048}, "path_not_allowed",
     "longest path against a 1024-byte pattern built to backtrack; must stay cheap"),
    # Appended later (ids above stay stable).
    (IMPL, {"path": "C:/project/src/app.ts"}, "invalid_path", "a Windows drive letter: not absolute"),
    (IMPL, {"path": "C:\\project\\src\\app.ts"}, "invalid_path", "a Windows path with backslashes"),
    (IMPL, {"path": "/project/src/app.ts::$DATA"}, "allowed",
     "an NTFS stream suffix is just characters of a name: the rules are lexical"),
    (IMPL, {"path": "/project/src/app.ts%00"}, "invalid_path", "an encoded NUL"),
    (IMPL, {"path": "/project/src/\u00ad.env"}, "allowed", "SOFT HYPHEN is format (Cf), not control"),
    (IMPL, {"path": "/project/src/\ufeffapp.ts"}, "allowed", "a byte order mark inside a name is an ordinary code point"),
    (IMPL, {"path": "/project/src/.git/config"}, "allowed", "names starting with '.' are ordinary"),
    (IMPL, {"path": "/project/src/a\rb"}, "invalid_path", "a carriage return"),
]

INVALID_UTF8 = [  # hex of raw bytes: texts that no JSON string can carry
    ("/project/src/a\xff", "a stray 0xFF byte"),
    ("/project/src/a\xc3", "a truncated 2-byte sequence"),
    ("/project/src/\xc0\xae\xc0\xae/x", "overlong '.' twice (\\xc0\\xae): refused, never decoded to '..'"),
    ("/project/src/a\xc0\xaf", "overlong '/'"),
    ("/project/src/a\xe0\x80\xae", "3-byte overlong '.'"),
    ("/project/src/a\xed\xa0\x80", "a UTF-16 surrogate (U+D800) in UTF-8"),
    ("/project/src/a\xf4\x90\x80\x80", "above U+10FFFF"),
    ("/project/src/a\x80", "a lone continuation byte"),
]

BRANCHES = [
    (IMPL, {"branch": "feature/login"}, "allowed", ""),
    (IMPL, {"branch": "refs/heads/feature/login"}, "allowed", "refs/heads/ is removed once"),
    (IMPL, {"branch": "refs/heads/main"}, "branch_not_allowed", "the spec's example"),
    (IMPL, {"branch": "main"}, "branch_not_allowed", ""),
    (IMPL, {"branch": "main "}, "invalid_branch", "the spec's example: trailing space"),
    (IMPL, {"branch": " main"}, "invalid_branch", "leading space"),
    (IMPL, {"branch": "feature/a/b"}, "branch_not_allowed", "'*' stays inside one component"),
    (IMPL, {"branch": "feature"}, "branch_not_allowed", ""),
    (IMPL, {"branch": "features/x"}, "branch_not_allowed", ""),
    (IMPL, {"branch": "Feature/x"}, "branch_not_allowed", "case-sensitive"),
    (IMPL, {"branch": "feature/x.lock"}, "invalid_branch", "a component ending with .lock"),
    (IMPL, {"branch": "feature/.x"}, "invalid_branch", "a component starting with '.'"),
    (IMPL, {"branch": "feature/x."}, "invalid_branch", "ends with '.'"),
    (IMPL, {"branch": "feature/x/"}, "invalid_branch", "ends with '/'"),
    (IMPL, {"branch": "feature//x"}, "invalid_branch", "contains '//'"),
    (IMPL, {"branch": "/feature/x"}, "invalid_branch", "starts with '/'"),
    (IMPL, {"branch": "feature/../main"}, "invalid_branch", "contains '..'"),
    (IMPL, {"branch": "feature/a..b"}, "invalid_branch", "contains '..' inside a component"),
    (IMPL, {"branch": "feature/x@{1}"}, "invalid_branch", "contains '@{'"),
    (IMPL, {"branch": "feature/x~1"}, "invalid_branch", "'~'"),
    (IMPL, {"branch": "feature/x^"}, "invalid_branch", "'^'"),
    (IMPL, {"branch": "feature/a:b"}, "invalid_branch", "':'"),
    (IMPL, {"branch": "feature\\x"}, "invalid_branch", "backslash"),
    (IMPL, {"branch": "feature/[x]"}, "invalid_branch", "'['"),
    (IMPL, {"branch": "feature/*"}, "invalid_branch", "'*' in a branch name"),
    (IMPL, {"branch": "feature/?"}, "invalid_branch", "'?' in a branch name"),
    (IMPL, {"branch": "feature/x\u0000"}, "invalid_branch", "NUL"),
    (IMPL, {"branch": "feature/a\tb"}, "invalid_branch", "tab"),
    (IMPL, {"branch": "feature/a\u007f"}, "invalid_branch", "DEL"),
    (IMPL, {"branch": "feature/a\u0085"}, "invalid_branch", "C1 control U+0085"),
    (IMPL, {"branch": "-feature/x"}, "invalid_branch", "starts with '-'"),
    (IMPL, {"branch": "refs/heads/-x"}, "invalid_branch", "starts with '-' after refs/heads/"),
    (IMPL, {"branch": ""}, "invalid_branch", "empty"),
    (IMPL, {"branch": "refs/heads/"}, "invalid_branch", "empty after refs/heads/"),
    (IMPL, {"branch": "refs/heads/refs/heads/feature/x"}, "invalid_branch", "refs/heads/ is removed only once"),
    (IMPL, {"branch": "refs/tags/v1"}, "invalid_branch", "a tag is not a branch"),
    (IMPL, {"branch": "refs/remotes/origin/feature/x"}, "invalid_branch", "a remote-tracking ref is not a branch"),
    (IMPL, {"branch": "HEAD"}, "invalid_branch", "'HEAD'"),
    (IMPL, {"branch": "refs/heads/HEAD"}, "invalid_branch", "'HEAD' after refs/heads/"),
    (IMPL, {"branch": "@"}, "invalid_branch", "'@'"),
    (IMPL, {"branch": "Refs/heads/feature/x"}, "branch_not_allowed",
     "the prefix is case-sensitive: 'Refs/heads/feature/x' is a valid 4-component name"),
    (IMPL, {"branch": "feature\u2215x"}, "branch_not_allowed", "U+2215 DIVISION SLASH is not '/': one component"),
    (IMPL, {"branch": "feature\uff0fx"}, "branch_not_allowed", "fullwidth solidus is not '/'"),
    (IMPL, {"branch": "feature/caf\u00e9"}, "allowed", "non-ASCII component"),
    (IMPL, {"branch": "feature/x.lockx"}, "allowed", "'.lockx' is not '.lock'"),
    (IMPL, {"branch": "feature/user@host"}, "allowed", "'@' alone is fine"),
    (IMPL, {"branch": "feature/" + "a" * 247}, "allowed", "exactly 255 bytes"),
    (IMPL, {"branch": "refs/heads/feature/" + "a" * 247}, "allowed", "255 bytes after refs/heads/"),
    (IMPL, {"branch": "feature/" + "a" * 248}, "invalid_branch", "256 bytes"),
    (branches_only("feature/**"), {"branch": "feature"}, "allowed", "'**' matches zero components"),
    (branches_only("feature/**"), {"branch": "feature/a/b"}, "allowed", ""),
    (branches_only("feature/**"), {"branch": "main"}, "branch_not_allowed", ""),
    (branches_only("*"), {"branch": "main"}, "allowed", ""),
    (branches_only("*"), {"branch": "feature/x"}, "branch_not_allowed", ""),
    (AUDITOR, {"branch": "feature/x"}, "allowed", "'*' and '*/*': one or two components"),
    (AUDITOR, {"branch": "a/b/c"}, "branch_not_allowed", "three components"),
    (AUDITOR, {"branch": "main\u00a0"}, "allowed", "NO-BREAK SPACE is not a space or a control character"),
    (branches_only("**/wip"), {"branch": "wip"}, "allowed", ""),
    (branches_only("**/wip"), {"branch": "a/b/wip"}, "allowed", ""),
    (branches_only("**/wip"), {"branch": "wip/x"}, "branch_not_allowed", ""),
    (branches_only("release-?.?"), {"branch": "release-1.2"}, "allowed", ""),
    (branches_only("release-?.?"), {"branch": "release-1.10"}, "branch_not_allowed", ""),
    (branches_only("main"), {"branch": "main"}, "allowed", ""),
    (branches_only("main"), {"branch": "refs/heads/main"}, "allowed", ""),
    (branches_only("main"), {"branch": "Main"}, "branch_not_allowed", ""),
    (branches_only("refs/heads/feature/*"), {"branch": "feature/login"}, "allowed", "a pattern with refs/heads/"),
    (branches_only("feat*"), {"branch": "feature"}, "allowed", ""),
    (NONE, {"branch": "main"}, "branch_not_allowed", "an empty git_branches denies every branch"),
    # Appended later (ids above stay stable).
    (IMPL, {"branch": "feature/%2e%2e"}, "allowed", "'%' is an ordinary character of a branch name: nothing is decoded"),
    (IMPL, {"branch": "feature/login\u200b"}, "allowed", "ZERO WIDTH SPACE is not a space or a control character"),
    (branches_only("main"), {"branch": "main\u200b"}, "branch_not_allowed", "a zero-width look-alike of main"),
    (IMPL, {"branch": "feature/.."}, "invalid_branch", "'..' as a component"),
    (IMPL, {"branch": "feature/x\\"}, "invalid_branch", "a trailing backslash"),
    (IMPL, {"branch": "refs/heads/feature/x "}, "invalid_branch", "a trailing space after refs/heads/"),
]

SIZES = [
    (IMPL, {"size": MB10}, "allowed", "'10MB' is 10,485,760 bytes (binary units); equal is allowed"),
    (IMPL, {"size": MB10 + 1}, "size_exceeds_limit", "the spec's example"),
    (IMPL, {"size": 10_000_000}, "allowed", "10 decimal megabytes fit"),
    (IMPL, {"size": 0}, "allowed", ""),
    (IMPL, {"size": "10MB"}, "allowed", "a size string in the resource"),
    (IMPL, {"size": "10241KB"}, "size_exceeds_limit", "10,486,784 bytes"),
    (IMPL, {"size": "120KB"}, "allowed", "the OpenAPI example"),
    (NONE, {"size": MAX}, "allowed", "no max_file_size: no limit"),
    ({"max_file_size": "0B"}, {"size": 0}, "allowed", ""),
    ({"max_file_size": "0B"}, {"size": 1}, "size_exceeds_limit", ""),
    ({"max_file_size": "1kb"}, {"size": 1024}, "allowed", "units in any letter case"),
    ({"max_file_size": "1Kb"}, {"size": 1025}, "size_exceeds_limit", "a 'b' is never bits"),
    ({"max_file_size": "5b"}, {"size": 5}, "allowed", ""),
    ({"max_file_size": "1GB"}, {"size": 1 << 30}, "allowed", ""),
    ({"max_file_size": "1gb"}, {"size": (1 << 30) + 1}, "size_exceeds_limit", ""),
    ({"max_file_size": "1536B"}, {"size": 1536}, "allowed", ""),
    ({"max_file_size": 1048576}, {"size": 1048577}, "size_exceeds_limit", "an integer number of bytes"),
    ({"max_file_size": 0}, {"size": 0}, "allowed", ""),
    ({"max_file_size": MAX}, {"size": MAX}, "allowed", "2^53 - 1 as an integer"),
    ({"max_file_size": "9007199254740991B"}, {"size": MAX}, "allowed", "2^53 - 1 as a string"),
    ({"max_file_size": "8388607GB"}, {"size": MAX}, "size_exceeds_limit", "8388607GB = 2^53 - 2^30"),
    ({"max_file_size": "8796093022207KB"}, {"size": MAX - 1023}, "allowed", ""),
    # Appended later (ids above stay stable).
    (IMPL, {"size": "10mb"}, "allowed", "a lower-case size string in the resource, equal to the limit"),
    (IMPL, {"size": "1GB"}, "size_exceeds_limit", ""),
]

RESTRICTIONS_INVALID = [  # the claim does not parse: every resource is refused
    ({"max_file_size": "8388608GB"}, {"size": 0}, "2^53 bytes: too large"),
    ({"max_file_size": "9007199254740992B"}, {"size": 0}, "2^53"),
    ({"max_file_size": "18446744073709551616B"}, {"size": 0}, "2^64: must not wrap around"),
    ({"max_file_size": "10 MB"}, {"size": 0}, "a space"),
    ({"max_file_size": " 10MB"}, {"size": 0}, "a leading space"),
    ({"max_file_size": "10MB "}, {"size": 0}, "a trailing space"),
    ({"max_file_size": "1.5MB"}, {"size": 0}, "a fraction"),
    ({"max_file_size": "-1MB"}, {"size": 0}, "a sign"),
    ({"max_file_size": "+1MB"}, {"size": 0}, "a sign"),
    ({"max_file_size": "010MB"}, {"size": 0}, "a leading zero"),
    ({"max_file_size": "00B"}, {"size": 0}, "a leading zero"),
    ({"max_file_size": "10MiB"}, {"size": 0}, "IEC units are refused"),
    ({"max_file_size": "10TB"}, {"size": 0}, "no TB"),
    ({"max_file_size": "10M"}, {"size": 0}, "no bare M"),
    ({"max_file_size": "10"}, {"size": 0}, "a bare number string"),
    ({"max_file_size": "MB"}, {"size": 0}, "no digits"),
    ({"max_file_size": ""}, {"size": 0}, "empty"),
    ({"max_file_size": "1,024B"}, {"size": 0}, "a separator"),
    ({"max_file_size": "0x10B"}, {"size": 0}, "hexadecimal"),
    ({"max_file_size": "\uff11MB"}, {"size": 0}, "a fullwidth digit"),
    ({"max_file_size": -1}, {"size": 0}, "a negative number"),
    ({"max_file_size": 1.5}, {"size": 0}, "a fractional number"),
    ({"max_file_size": 9007199254740992}, {"size": 0}, "2^53 as a number"),
    ({"max_file_size": None}, {"size": 0}, "null"),
    ({"max_file_size": True}, {"size": 0}, "a boolean"),
    ({"file_paths": "/project/src/**"}, {"path": "/project/src/a"}, "a list that is not an array"),
    ({"file_paths": ["/project/src/**", 3]}, {"path": "/project/src/a"}, "an entry that is not a string"),
    ({"git_branches": [None]}, {"branch": "main"}, "a null entry"),
    ({"file_path": ["/project/src/**"]}, {"path": "/project/src/a"}, "an unknown key (typo)"),
    (paths_only("/project/src/../**"), {"path": "/project/src/a"}, "a pattern with '..'"),
    (paths_only("/project/src/**.ts"), {"path": "/project/src/a.ts"}, "'**' not a whole segment"),
    (paths_only("/project/***"), {"path": "/project/a"}, "'***'"),
    (paths_only("/project**/a"), {"path": "/project/a"}, "'**' glued to a name"),
    (paths_only("**"), {"path": "/a"}, "not absolute"),
    (paths_only("/project/src/"), {"path": "/project/src/a"}, "a pattern with a trailing '/'"),
    (paths_only("/project//**"), {"path": "/project/a"}, "a pattern with '//'"),
    (paths_only("/project/\\*"), {"path": "/project/*"}, "no escape character: a backslash is invalid"),
    (paths_only("/project/%2a"), {"path": "/project/a"}, "'%' in a pattern"),
    (paths_only(""), {"path": "/a"}, "an empty pattern"),
    (paths_only("/" + "a" * 1024), {"path": "/a"}, "a pattern of 1025 bytes"),
    (paths_only(*["/a%d" % i for i in range(65)]), {"path": "/a1"}, "65 entries"),
    (paths_only(*["/" + str(i) + "x" * 1000 for i in range(5)]), {"path": "/a"}, "more than 4096 bytes in all"),
    (branches_only("feature/*", "main "), {"branch": "main"}, "a branch pattern with a space"),
    (branches_only("feat**"), {"branch": "feature"}, "'**' not a whole component"),
    (branches_only("refs/tags/*"), {"branch": "main"}, "refs/ other than refs/heads/"),
    (branches_only("*.lock"), {"branch": "a"}, "a component ending with .lock"),
    (branches_only(".*"), {"branch": "a"}, "a component starting with '.'"),
    (branches_only("feature/[ab]"), {"branch": "feature/a"}, "'[' in a branch pattern"),
    (branches_only("a" * 256), {"branch": "a"}, "a branch pattern of 256 bytes"),
]

VALID_SETS = [  # limits reached exactly: the claim parses
    (paths_only("/" + "a" * 1023), {"path": "/" + "a" * 1023}, "allowed", "a pattern of exactly 1024 bytes"),
    (paths_only(*["/a%d" % i for i in range(64)]), {"path": "/a63"}, "allowed", "64 entries, the last matches"),
    (paths_only(*["/" + chr(ord("a") + i) + "x" * 1022 for i in range(4)]), {"path": "/d" + "x" * 1022}, "allowed",
     "4 x 1024 = 4096 bytes in all"),
    ({"git_branches": ["refs/heads/main", "main"], "file_paths": ["/a/**", "/a/**"]}, {"branch": "main"}, "allowed",
     "duplicates after normalization are dropped, not refused"),
    ({}, {}, "allowed", "an empty object: nothing asked, nothing refused"),
    (IMPL, {}, "allowed", "a resource with nothing in it"),
]

ORDER = [
    (IMPL, {"size": 1 << 30}, "size_exceeds_limit", "only the size is given"),
    (IMPL, {"path": "/a/../b", "branch": "main ", "size": 1 << 30}, "invalid_path", "path is checked first"),
    (IMPL, {"path": "/etc/passwd", "branch": "main ", "size": 1 << 30}, "path_not_allowed", ""),
    (IMPL, {"path": "/project/src/a", "branch": "main ", "size": 1 << 30}, "invalid_branch", "then the branch"),
    (IMPL, {"path": "/project/src/a", "branch": "main", "size": 1 << 30}, "branch_not_allowed", ""),
    (IMPL, {"path": "/project/src/a", "branch": "feature/x", "size": 1 << 30}, "size_exceeds_limit", "then the size"),
    (IMPL, {"path": "/project/src/app.ts", "branch": "feature/login", "size": MB10}, "allowed", "all three pass"),
    (paths_only("/project/src/../**"), {"path": "/a/../b"}, "restrictions_invalid",
     "the claim is parsed before the resource is looked at"),
]

# ---- inclusion for delegation: (list, child, parent, within, note) ----------------------------------
WITHIN = [
    ("file_paths", "/project/src/api/**", "/project/src/**", True, "docs table"),
    ("file_paths", "/project/src/*.ts", "/project/src/**", True, "docs table"),
    ("file_paths", "/project/src/a.ts", "/project/src/**", True, "docs table"),
    ("file_paths", "/project/src", "/project/src/**", True, "docs table: '**' matches zero segments"),
    ("file_paths", "/project/src/**", "/project/src/**", True, "reflexive"),
    ("file_paths", "/project/src/**/*.ts", "/project/src/**", True, ""),
    ("file_paths", "/project/src/*/**", "/project/src/**", True, ""),
    ("file_paths", "/project/src/?", "/project/src/**", True, ""),
    ("file_paths", "/project/src/**/**", "/project/src/**", True, ""),
    ("file_paths", "/project/**", "/project/src/**", False, "docs table: wider"),
    ("file_paths", "/project/s*/**", "/project/src/**", False, "docs table"),
    ("file_paths", "/project/*/**", "/project/src/**", False, "docs table"),
    ("file_paths", "/project/src/../x", "/project/src/**", False, "docs table: an invalid child"),
    ("file_paths", "/project/src/../src/a", "/project/src/**", False, "traversal back into the parent is still invalid"),
    ("file_paths", "/project/src/%2e%2e/x", "/project/src/**", False, "an encoded child is invalid"),
    ("file_paths", "/project/src/", "/project/src/**", False, "a trailing '/' makes the child invalid"),
    ("file_paths", "/**", "/project/src/**", False, ""),
    ("file_paths", "/project/.env", "/project/src/**", False, ""),
    ("file_paths", "/project", "/project/src/**", False, ""),
    ("file_paths", "/project/src2/**", "/project/src/**", False, ""),
    ("file_paths", "/project/src\uff0f..\uff0f.env", "/project/src/**", False, "fullwidth solidus: one segment, not 'src'"),
    ("file_paths", "/project/src/**", "/project/src/../src/**", False, "an invalid parent covers nothing"),
    ("file_paths", "/project/docs/*.md", "/project/**/*.md", True, "docs table"),
    ("file_paths", "/project/**/README.md", "/project/**/*.md", True, "docs table"),
    ("file_paths", "/project/a/**/b/*.md", "/project/**/*.md", True, ""),
    ("file_paths", "/project/**", "/project/**/*.md", False, ""),
    ("file_paths", "/project/*.txt", "/project/**/*.md", False, ""),
    ("file_paths", "/project/*.md", "/project/*", True, "docs table"),
    ("file_paths", "/a/**/*", "/a/*/**", True, "docs table: the same set written two ways"),
    ("file_paths", "/a/*/**", "/a/**/*", True, ""),
    ("file_paths", "/a/*/**", "/a/**", True, ""),
    ("file_paths", "/a/**", "/a/*/**", False, "docs table: differs on /a itself"),
    ("file_paths", "/project/?", "/project/*", True, ""),
    ("file_paths", "/project/*", "/project/?*", True, "segments are never empty"),
    ("file_paths", "/project/**", "/project/*", False, ""),
    ("file_paths", "/a/*?x", "/a/*x", True, ""),
    ("file_paths", "/a/*", "/a/*x", False, ""),
    ("file_paths", "/a/*a*", "/a/?*", False, "docs table: true, but not proved, so no"),
    ("file_paths", "/a/*", "/a/??", False, ""),
    ("file_paths", "/a/?*", "/a/??*", False, ""),
    ("file_paths", "/a/??*", "/a/?*", True, ""),
    ("file_paths", "/a/b/c", "/**/c", True, ""),
    ("file_paths", "/a/**", "/**/c", False, ""),
    ("file_paths", "/", "/**", True, ""),
    ("file_paths", "/", "/*", False, ""),
    ("file_paths", "/a/\u00e9", "/a/?", True, "'?' is one code point"),
    ("file_paths", "/Project/src/a", "/project/src/**", False, "case-sensitive"),
    ("git_branches", "feature/login", "feature/*", True, "docs table"),
    ("git_branches", "feature/log*", "feature/*", True, "docs table"),
    ("git_branches", "refs/heads/feature/x", "feature/*", True, "docs table: normalized first"),
    ("git_branches", "feature/x", "refs/heads/feature/*", True, "a parent with refs/heads/"),
    ("git_branches", "feature/**", "feature/*", False, "docs table"),
    ("git_branches", "feature/a/b", "feature/*", False, "docs table"),
    ("git_branches", "*", "feature/*", False, "docs table"),
    ("git_branches", "main", "feature/*", False, "docs table"),
    ("git_branches", "feature", "feature/*", False, ""),
    ("git_branches", "feature/x ", "feature/*", False, "an invalid child (trailing space)"),
    ("git_branches", "feature/*/x", "feature/**", True, ""),
    ("git_branches", "feature", "feature/**", True, ""),
    ("git_branches", "anything/at/all", "**", True, ""),
    ("git_branches", "*/*", "*", False, ""),
    ("git_branches", "main", "*", True, ""),
    ("git_branches", "feature/*", "*/*", True, ""),
    ("git_branches", "release-1.?", "release-*", True, ""),
    ("git_branches", "release-*", "release-1.?", False, ""),
    ("git_branches", "refs/tags/v1", "**", False, "a tag is not a branch, even under '**'"),
]

# ---- narrowing a whole restriction set: (parent, requested, result or None, error, note) ------------
NARROW = [
    (IMPL, {}, IMPL, None, "an empty request inherits everything"),
    (IMPL, {"file_paths": ["/project/src/api/**", "/project/src/a.ts"], "git_branches": ["refs/heads/feature/login"],
            "max_file_size": "1MB"},
     {"file_paths": ["/project/src/api/**", "/project/src/a.ts"], "git_branches": ["feature/login"], "max_file_size": "1MB"},
     None, "a narrower request is taken as written (normalized)"),
    (IMPL, {"git_branches": ["feature/x"]},
     {"file_paths": ["/project/src/**"], "git_branches": ["feature/x"], "max_file_size": "10MB"}, None,
     "fields not requested are inherited"),
    (IMPL, {"file_paths": []}, IMPL, None, "an empty list inherits the parent's"),
    (IMPL, {"max_file_size": "10MB"}, IMPL, None, "an equal size is fine"),
    (IMPL, {"file_paths": ["/project/**"]}, None, "file_paths[0] is not within the parent's file_paths", "wider"),
    (IMPL, {"file_paths": ["/project/src/a", "/project/.env"]}, None,
     "file_paths[1] is not within the parent's file_paths", "the error names the entry"),
    (IMPL, {"git_branches": ["main"]}, None, "git_branches[0] is not within the parent's git_branches", ""),
    (IMPL, {"git_branches": ["feature/**"]}, None, "git_branches[0] is not within the parent's git_branches", ""),
    (IMPL, {"max_file_size": "11MB"}, None, "max_file_size is larger than the parent's", ""),
    (IMPL, {"max_file_size": 10485761}, None, "max_file_size is larger than the parent's", "one byte more"),
    ({"file_paths": ["/a/x/**", "/a/y/**"], "git_branches": ["fix/*", "feature/*"]},
     {"file_paths": ["/a/y/1", "/a/x/**"], "git_branches": ["feature/a", "fix/b"]},
     {"file_paths": ["/a/y/1", "/a/x/**"], "git_branches": ["feature/a", "fix/b"]}, None,
     "each entry within some parent entry"),
    ({"file_paths": ["/a/x/**", "/a/y/**"], "git_branches": []}, {"file_paths": ["/a/?/**"]}, None,
     "file_paths[0] is not within the parent's file_paths", "covered only by the union of two parent entries"),
    (NONE, {"file_paths": ["/a"]}, None, "file_paths[0] is not within the parent's file_paths",
     "an empty parent list covers nothing"),
    (NONE, {"max_file_size": "1GB"}, {"file_paths": [], "git_branches": [], "max_file_size": "1GB"}, None,
     "a parent without a limit accepts any limit"),
]


# ---- assembly --------------------------------------------------------------------------------------------
def decision_group(name, description, rows):
    cases = []
    for i, (restrictions, resource, reason, note) in enumerate(rows, 1):
        got = reference_decision(restrictions, resource)
        if got != reason:
            sys.exit(f"{name} #{i}: table says {reason}, the docs' reading says {got}: {resource}")
        case = {"id": f"{name}/{i:03d}", "input": {"restrictions": restrictions, "resource": resource},
                "expected": {"allowed": reason == "allowed", "reason": reason}}
        if note:
            case["note"] = note
        cases.append(case)
    return {"name": name, "kind": "decision", "description": description, "cases": cases}


def build():
    utf8 = [(IMPL, {"path_hex": p.encode("latin-1").hex()}, "invalid_path", n) for p, n in INVALID_UTF8]
    invalid = [(r, res, "restrictions_invalid", n) for r, res, n in RESTRICTIONS_INVALID]
    groups = [
        decision_group("paths", "A resource path against file_paths patterns.", PATHS),
        decision_group("paths_bytes", "Paths that are not valid UTF-8, given as hex of their raw bytes "
                       "(resource.path_hex). A reader whose path type cannot hold such bytes may skip this group.", utf8),
        decision_group("branches", "A resource branch against git_branches patterns.", BRANCHES),
        decision_group("sizes", "A resource size against max_file_size.", SIZES),
        decision_group("restrictions_invalid", "The restrictions claim does not parse (strict parser), "
                       "so every action is refused with restrictions_invalid.", invalid),
        decision_group("restrictions_limits", "Restriction sets at their limits, which still parse.", VALID_SETS),
        decision_group("order", "Only what the resource gives is checked, in the order path, branch, size.", ORDER),
    ]
    within = []
    for i, (lst, child, parent, ok, note) in enumerate(WITHIN, 1):
        case = {"id": f"within/{i:03d}", "input": {"list": lst, "child": child, "parent": parent},
                "expected": {"allowed": ok}}
        if note:
            case["note"] = note
        within.append(case)
    groups.append({"name": "within", "kind": "within", "description":
                   "Delegation: is the child pattern within the single parent pattern (sound, conservative)?",
                   "cases": within})
    narrow = []
    for i, (parent, requested, result, error, note) in enumerate(NARROW, 1):
        expected = {"allowed": result is not None}
        if result is not None:
            expected["restrictions"] = result
        else:
            expected["error"] = error
        case = {"id": f"narrow/{i:03d}", "input": {"parent": parent, "requested": requested}, "expected": expected}
        if note:
            case["note"] = note
        narrow.append(case)
    groups.append({"name": "narrow", "kind": "narrow", "description":
                   "Delegation of a whole restriction set: the child's restrictions, or the refusal.", "cases": narrow})
    return {"version": 1, "spec": "docs/agent-restrictions.md",
            "reference": "src/agents/restrictions.cpp", "groups": groups}


def render(doc):
    """One case per line: diffs stay readable and any JSON parser reads it."""
    dump = lambda v: json.dumps(v, ensure_ascii=True, separators=(", ", ": "))
    lines = ["{", f' "version": {doc["version"]},', f' "spec": {dump(doc["spec"])},',
             f' "reference": {dump(doc["reference"])},', ' "groups": [']
    for gi, g in enumerate(doc["groups"]):
        lines.append(f'  {{"name": {dump(g["name"])}, "kind": {dump(g["kind"])}, "description": {dump(g["description"])},')
        lines.append('   "cases": [')
        for ci, c in enumerate(g["cases"]):
            lines.append("    " + dump(c) + ("," if ci + 1 < len(g["cases"]) else ""))
        lines.append("  ]}" + ("," if gi + 1 < len(doc["groups"]) else ""))
    lines += [" ]", "}"]
    return "\n".join(lines) + "\n"


def main():
    sys.setrecursionlimit(50000)
    out = Path(__file__).with_name("restriction-vectors.json")
    text = render(build())
    if "--check" in sys.argv:
        if out.read_text() != text:
            sys.exit("restriction-vectors.json differs from build_vectors.py")
        return
    out.write_text(text)
    total = sum(len(g["cases"]) for g in json.loads(text)["groups"])
    print(f"wrote {out.name}: {total} cases")


if __name__ == "__main__":
    main()
