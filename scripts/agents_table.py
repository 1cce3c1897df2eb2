#!/usr/bin/env python3
"""Generates the Markdown tables of docs/agents.md from the agent catalog (config/agents.yaml).

    scripts/agents_table.py                 print both tables to stdout
    scripts/agents_table.py --write [DOC]   rewrite the generated regions of DOC (default docs/agents.md)
    scripts/agents_table.py --check [DOC]   exit 1 when DOC's generated regions are stale

A generated region lies between the lines `<!-- agents_table:NAME begin -->` and
`<!-- agents_table:NAME end -->`, NAME being `capabilities` or `types`. The catalog file is read
with --catalog (default config/agents.yaml); the server's own parser is the authority on its
validity, this script only renders it.
"""
import argparse
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def codes(items):
    return ", ".join(f"`{cell(i)}`" for i in items) if items else "none"


def capabilities_table(catalog):
    types = catalog["agent_types"]
    rows = ["| Capability | Meaning | Held by | Requires approval in |", "|---|---|---|---|"]
    for name, description in catalog["capabilities"].items():
        holders = [t for t, d in types.items() if name in d["capabilities"]]
        approval = [t for t in holders if name in (types[t].get("requires_approval") or [])]
        held = f"{len(holders)} type" + ("" if len(holders) == 1 else "s")
        rows.append(f"| `{name}` | {cell(description)} | {held} | {codes(approval) if approval else '-'} |")
    return "\n".join(rows)


def types_table(catalog):
    rows = [
        "| Agent type | Description | Capabilities | Requires approval | Default restrictions | Max lifetime | Common |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, t in catalog["agent_types"].items():
        r = t["default_restrictions"]
        restrictions = (
            f"paths: {codes(r['file_paths'])}<br>branches: {codes(r['git_branches'])}"
            f"<br>max size: `{cell(r['max_file_size'])}`"
        )
        approval = t.get("requires_approval") or []
        rows.append(
            f"| `{name}` | {cell(t['description'])} | {codes(t['capabilities'])} | "
            f"{codes(approval) if approval else '-'} | {restrictions} | "
            f"{t['max_token_lifetime_seconds']} s | {'yes' if t.get('common', False) else 'no'} |"
        )
    return "\n".join(rows)


def regions(catalog):
    return {"capabilities": capabilities_table(catalog), "types": types_table(catalog)}


def render(doc, tables):
    for name, table in tables.items():
        pattern = re.compile(
            rf"(<!-- agents_table:{name} begin -->\n).*?(<!-- agents_table:{name} end -->)", re.DOTALL
        )
        if not pattern.search(doc):
            sys.exit(f"agents_table.py: no '{name}' region in the document")
        doc = pattern.sub(lambda m: m.group(1) + table + "\n" + m.group(2), doc, count=1)
    return doc


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--catalog", default=os.path.join(ROOT, "config", "agents.yaml"))
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--write", nargs="?", const=os.path.join(ROOT, "docs", "agents.md"), metavar="DOC")
    mode.add_argument("--check", nargs="?", const=os.path.join(ROOT, "docs", "agents.md"), metavar="DOC")
    args = ap.parse_args()

    with open(args.catalog, encoding="utf-8") as f:
        tables = regions(yaml.safe_load(f))

    if not args.write and not args.check:
        print(tables["capabilities"] + "\n\n" + tables["types"])
        return 0
    path = args.write or args.check
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    new = render(doc, tables)
    if args.check:
        if new != doc:
            print(f"{path}: the agent tables are stale; run scripts/agents_table.py --write", file=sys.stderr)
            return 1
        return 0
    if new != doc:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
