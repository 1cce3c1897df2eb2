from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from archon_testing import ArchonServer  # noqa: E402


@pytest.fixture(scope="session")
def archon() -> Iterator[ArchonServer]:
    srv = ArchonServer.start()
    yield srv
    problems = srv.stop()
    assert not problems, problems
