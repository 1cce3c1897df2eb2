"""Starting the real archon-auth binary for the SDK's and the examples' tests, and making the
actors they need (admin, agent operators, a service client) with its CLI. No part of the server
is imitated: every test talks HTTP to `$ARCHON_AUTH_BIN serve`."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

REPO = Path(__file__).resolve().parents[3]
_HIGH = "1000000/second"
# tests/api/conftest.py's RELAXED_RATE_LIMITS: every test comes from 127.0.0.1.
RELAXED_RATE_LIMITS: Dict[str, Any] = {
    "authentication": {"login": {"per_ip": _HIGH, "per_user": _HIGH},
                       "register": {"per_ip": _HIGH, "global": _HIGH},
                       "password_reset": {"per_email": _HIGH, "per_ip": _HIGH}},
    "api_access": {"authenticated": {"per_user": _HIGH, "burst": 1000000},
                   "agent": {"per_agent": _HIGH, "burst": 1000000},
                   "admin": {"per_user": _HIGH, "burst": 1000000}},
    "public": {"health_check": {"per_ip": _HIGH}, "documentation": {"per_ip": _HIGH}},
}
# The cheapest Argon2id cost the server accepts: the tests test the SDK, not the hash.
TEST_CONFIG: Dict[str, Any] = {
    "rate_limits": RELAXED_RATE_LIMITS,
    "identity": {"argon2_memory_kib": 8192, "argon2_iterations": 1},
}
SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")
PASSWORD = "violet anchor 92 quietly mosaic"


def archon_bin() -> Path:
    env = os.environ.get("ARCHON_AUTH_BIN")
    path = Path(env) if env else REPO / "build" / "debug" / "archon-auth"
    if not path.is_file():
        raise RuntimeError(f"archon-auth binary not found at {path} (set ARCHON_AUTH_BIN)")
    return path


def cli_env() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHON_AUTH_")}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    return env


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


@dataclass
class Actor:
    email: str
    password: str
    name: str
    role: str


@dataclass
class ArchonServer:
    """A running `archon-auth serve` on a free port with its own data dir."""

    workdir: Path
    data_dir: Path
    config_path: Path
    proc: subprocess.Popen[bytes]
    stderr_path: Path
    base_url: str = ""
    _service: Optional[tuple[str, str]] = None
    actors: List[Actor] = field(default_factory=list)

    @classmethod
    def start(cls, config: Optional[Dict[str, Any]] = None) -> "ArchonServer":
        workdir = Path(tempfile.mkdtemp(prefix="archon-py-"))
        data_dir = workdir / "data"
        cfg = workdir / "config.yaml"
        cfg.write_text(yaml.safe_dump(config or TEST_CONFIG, sort_keys=False))
        stderr_path = workdir / "stderr.log"
        argv = [str(archon_bin()), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir),
                "--config", str(cfg)]
        with open(stderr_path, "wb") as err:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=err, cwd=workdir, env=cli_env())
        srv = cls(workdir, data_dir, cfg, proc, stderr_path)
        srv._wait_listening()
        return srv

    def _wait_listening(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.stderr_path.read_text(errors="replace").splitlines():
                if line.startswith("{") and '"listening"' in line:
                    obj = json.loads(line)
                    if obj.get("msg") == "listening":
                        self.base_url = "http://" + obj["address"]
                        return
            if self.proc.poll() is not None:
                raise RuntimeError(f"archon-auth exited {self.proc.returncode}:\n{self.stderr_text()[-3000:]}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("archon-auth did not log 'listening' in time")

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stop(self) -> List[str]:
        """Stops the server; returns problems (sanitizer reports, bad exit)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                return ["did not exit within 20 s of SIGTERM"]
        text = self.stderr_text()
        problems = [f"stderr has {m!r}: {text[text.index(m) - 200:text.index(m) + 2000]}"
                    for m in SANITIZER_MARKERS if m in text]
        if self.proc.returncode != 0:
            problems.append(f"exit code {self.proc.returncode}")
        return problems

    # -- the CLI
    def _cli(self, args: List[str], stdin: Optional[str] = None) -> str:
        argv = [str(archon_bin()), *args, "--data-dir", str(self.data_dir), "--config", str(self.config_path)]
        proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=cli_env(),
                              timeout=60)
        assert not any(m in proc.stderr for m in SANITIZER_MARKERS), proc.stderr[-3000:]
        assert proc.returncode == 0, f"{args[:2]} exited {proc.returncode}: {proc.stderr[-2000:]}"
        return proc.stdout

    def create_user(self, role: str = "agent_operator", prefix: Optional[str] = None,
                    password: str = PASSWORD, name: Optional[str] = None) -> Actor:
        actor = Actor(unique_email(prefix or role.replace("_", "-")), password,
                      name or f"Test {role}", role)
        self._cli(["users", "create", "--email", actor.email, "--name", actor.name, "--role", role],
                  stdin=password)
        self.actors.append(actor)
        return actor

    @property
    def service(self) -> tuple[str, str]:
        """(client_id, client_secret) of a service client: what a tool server holds."""
        if self._service is None:
            obj = json.loads(self._cli(["clients", "create", "--name", "tool-server"]))
            self._service = (obj["client_id"], obj["client_secret"])
        return self._service

    def mail_token(self, address: str, kind: str = "Verification", timeout: float = 10.0) -> str:
        pattern = re.compile(kind + r" token:\s*(\S+)")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = []
            for p in sorted((self.data_dir / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
                text = p.read_text(errors="replace")
                if address.lower() in text.lower():
                    found += pattern.findall(text)
            if found:
                return str(found[-1])
            time.sleep(0.1)
        raise AssertionError(f"no {kind} token mailed to {address}")


async def audit_rows(admin: Any, event: str, max_pages: int = 20) -> List[Dict[str, Any]]:
    """Every audit row of `event`, newest first (read as an admin through the SDK)."""
    out: List[Dict[str, Any]] = []
    for page in range(1, max_pages + 1):
        got = await admin.get_audit_events(event=event, limit=100, page=page)
        out.extend(got["items"])
        if not got["pagination"].get("has_next"):
            break
    return out
