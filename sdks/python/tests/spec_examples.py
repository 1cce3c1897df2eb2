"""Runs a verbatim copy of one of the spec's example programs against the real server: the only
changes are the literal base_url and credentials, replaced in a temporary copy."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

SPEC_BASE_URL = "'https://api.archon.ai/v2'"


def run_spec_example(source: Path, replacements: Dict[str, str], tmp: Path,
                     env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
    text = source.read_text()
    for old, new in replacements.items():
        assert old in text, f"{old!r} is not in {source.name}: is it still the spec's code?"
        text = text.replace(old, new)
    copy = tmp / source.name
    copy.write_text(text)
    # A fresh interpreter with the installed package: cwd is the temp dir, so nothing from the
    # source tree can be imported by accident.
    run_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run_env.update(env or {})
    # test.sh points ARCHON_SPEC_PYTHON at a fresh venv holding only `pip install sdks/python`.
    python = os.environ.get("ARCHON_SPEC_PYTHON") or sys.executable
    return subprocess.run([python, str(copy)], capture_output=True, text=True, cwd=tmp,
                          env=run_env, timeout=60)
