from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[2] / "sdks" / "python" / "tests"), str(HERE.parent)]

from archon_testing import ArchonServer  # noqa: E402


@pytest.fixture(scope="session")
def archon() -> Iterator[ArchonServer]:
    srv = ArchonServer.start()
    yield srv
    problems = srv.stop()
    assert not problems, problems
