#!/usr/bin/env python3
"""Build step: writes the common-password list that registration and password changes refuse
(embedded as the asset "passwords/common.txt", read by archon::identity::CommonPasswords).

Sources, merged:
  - Debian's john-data /usr/share/john/password.lst (Openwall, public domain; ~3,500 entries),
  - the password frequency list of npm's @zxcvbn-ts/language-common (MIT; ~49,000 entries,
    installed under tools/node_modules by scripts/setup.sh),
  - src/identity/extra_common_passwords.txt: long, common patterns the two lists lack (with a
    12-character minimum only long entries can ever match).

Output: UTF-8, one password per line, ASCII letters lowercased (the server folds only ASCII
letters before comparing, so the two sides must agree), unique, sorted by bytes.

usage: build_password_list.py OUT.txt [--john PATH] [--zxcvbn PATH] [--extra PATH]
"""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_JOHN = "/usr/share/john/password.lst"
DEFAULT_ZXCVBN = os.path.join(ROOT, "tools/node_modules/@zxcvbn-ts/language-common/src/passwords.json")
DEFAULT_EXTRA = os.path.join(ROOT, "src/identity/extra_common_passwords.txt")

ASCII_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")


def lines_of(path):
    with open(path, "rb") as f:
        for raw in f.read().split(b"\n"):
            yield raw[:-1] if raw.endswith(b"\r") else raw


def from_john(path):
    # '#!comment:' lines are the file's header; every other line is a password (even one
    # starting with '#').
    return [line for line in lines_of(path) if not line.startswith(b"#!comment:")]


def from_zxcvbn(path):
    with open(path, "rb") as f:
        entries = json.load(f)
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        sys.exit(f"build_password_list: {path} is not a JSON array of strings")
    return [e.encode("utf-8") for e in entries]


def from_extra(path):
    return [line for line in lines_of(path) if not line.startswith(b"#")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--john", default=DEFAULT_JOHN)
    parser.add_argument("--zxcvbn", default=DEFAULT_ZXCVBN)
    parser.add_argument("--extra", default=DEFAULT_EXTRA)
    args = parser.parse_args()

    for path, hint in ((args.john, "apt-get install john-data"),
                       (args.zxcvbn, "cd tools && npm ci"),
                       (args.extra, "part of the source tree")):
        if not os.path.isfile(path):
            sys.exit(f"build_password_list: missing {path} ({hint}; scripts/setup.sh does both)")

    merged = set()
    for entry in from_john(args.john) + from_zxcvbn(args.zxcvbn) + from_extra(args.extra):
        if not entry or b"\n" in entry or b"\r" in entry:
            continue
        try:
            entry.decode("utf-8")
        except UnicodeDecodeError:
            continue  # the server refuses invalid UTF-8 before it looks at this list
        merged.add(entry.translate(ASCII_LOWER))

    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"".join(entry + b"\n" for entry in sorted(merged)))
    os.replace(tmp, args.out)
    print(f"build_password_list: {len(merged)} passwords -> {args.out}")


if __name__ == "__main__":
    main()
