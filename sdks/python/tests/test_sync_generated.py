"""The sync client is generated from the async one (tools/gen_sync.py): the committed file must
be what the generator writes now."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_sync_client_is_generated_from_the_async_one() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_sync.py"), "--check"])
    assert proc.returncode == 0, "sync_client.py is stale: run python tools/gen_sync.py"


def test_sync_client_has_every_public_method() -> None:
    from archon_auth_client import ArchonAuthClient, SyncArchonAuthClient

    public = {n for n in dir(ArchonAuthClient) if not n.startswith("_")} - {"aclose"}
    assert public - {n for n in dir(SyncArchonAuthClient)} == set()
