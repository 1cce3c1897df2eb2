"""Watchdog for tests/cluster: started in its own session by the cluster fixture, it waits for
the pytest process to end and then kills whatever the run left behind, so a crashed or killed
test run never leaves PostgreSQL, Redis, nginx or archon-auth running.

Usage: watchdog.py OWNER_PID OWNER_START_TICKS RUN_DIR

RUN_DIR/pids lists the processes the harness started, one `PID START_TICKS KIND` a line
(appended as they start). A listed process is killed only if a process with that pid and that
start time still exists, so a recycled pid of an unrelated process is never touched (command
lines cannot tell: redis-server rewrites its own). PostgreSQL is found through
RUN_DIR/pg/data/postmaster.pid and gets SIGQUIT (immediate shutdown; its children follow) if its
command line names RUN_DIR. Then RUN_DIR is deleted. SIGTERM (sent by a clean teardown) just ends
the watchdog.
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import time


def start_ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("latin-1")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):  # dead, only not yet reaped
        return None
    return int(fields[19])  # field 22, starttime, counted after the parenthesised name


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def listed(run_dir: str) -> list[tuple[int, int]]:
    out = []
    try:
        with open(os.path.join(run_dir, "pids")) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
                    out.append((int(parts[0]), int(parts[1])))
    except OSError:
        pass
    return out


def postmaster_pid(run_dir: str) -> int | None:
    try:
        with open(os.path.join(run_dir, "pg", "data", "postmaster.pid")) as f:
            first = f.readline().strip()
        return int(first) if first.isdigit() else None
    except OSError:
        return None


def clean_up(run_dir: str) -> None:
    pm = postmaster_pid(run_dir)
    if pm and alive(pm) and run_dir in cmdline(pm):
        try:
            os.kill(pm, signal.SIGQUIT)
        except OSError:
            pass
    for pid, ticks in listed(run_dir):
        if start_ticks(pid) == ticks:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    if pm:
        for _ in range(50):
            if not alive(pm):
                break
            time.sleep(0.1)
        if alive(pm) and run_dir in cmdline(pm):
            try:
                os.kill(pm, signal.SIGKILL)
            except OSError:
                pass
    shutil.rmtree(run_dir, ignore_errors=True)


def main() -> int:
    owner, owner_ticks, run_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on the run is the owner's business
    while start_ticks(owner) == owner_ticks:
        time.sleep(0.5)
    clean_up(run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
