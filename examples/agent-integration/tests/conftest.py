from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1]
sys.path[:0] = [str(EXAMPLES.parent / "sdks" / "python" / "tests"), str(HERE), str(HERE.parent),
                str(EXAMPLES / "tool-server")]

from archon_testing import ArchonServer  # noqa: E402
from tool_process import ToolServer  # noqa: E402


@pytest.fixture(scope="session")
def archon() -> Iterator[ArchonServer]:
    srv = ArchonServer.start()
    yield srv
    problems = srv.stop()
    assert not problems, problems


@pytest.fixture
def tool_server(archon: ArchonServer, tmp_path: Path) -> Iterator[ToolServer]:
    ts = ToolServer(archon, tmp_path)
    yield ts
    ts.stop()
