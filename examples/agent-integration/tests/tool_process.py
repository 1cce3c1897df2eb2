"""The tool server as its own process, started as the README says."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from archon_testing import ArchonServer

EXAMPLES = Path(__file__).resolve().parents[2]


class ToolServer:
    """`python examples/tool-server/tool_server.py --demo DIR` as its own process."""

    def __init__(self, archon: ArchonServer, base: Path) -> None:
        cid, secret = archon.service
        env = dict(os.environ, ARCHON_URL=archon.base_url, ARCHON_CLIENT_ID=cid,
                   ARCHON_CLIENT_SECRET=secret)
        self.log_path = base / "tool-server.log"
        self.project, self.remote = base / "demo" / "project", base / "demo" / "remote.git"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, str(EXAMPLES / "tool-server" / "tool_server.py"),
                                          "--demo", str(base / "demo")], env=env, stdout=subprocess.PIPE,
                                         stderr=log, stdin=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        m = re.search(r"listening on (http://\S+)", line)
        if not m:
            self.proc.kill()
            raise AssertionError(f"tool server did not start: {line!r} {self.log_path.read_text()}")
        self.url = m.group(1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
