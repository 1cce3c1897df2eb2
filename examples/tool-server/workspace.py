"""A demo workspace for the tool server: a git working copy (the agent's ``/project``) cloned
from a bare repository that stands for the project's remote, with a first commit on ``main``."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Tuple

FILES = {
    "src/app.ts": "export function app(): string {\n  return 'hello';\n}\n",
    "package.json": '{\n  "name": "demo-project",\n  "version": "1.0.0",\n  "dependencies": {}\n}\n',
    ".env": "DATABASE_PASSWORD=not-for-agents\n",
    "README.md": "# Demo project\n",
}


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env=git_env())
    if proc.returncode != 0:
        raise RuntimeError(f"git {args[0]} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def git_env() -> dict[str, str]:
    import os
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    # No user or system git config may change what the tool server does.
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
                "GIT_TERMINAL_PROMPT": "0"})
    return env


def create_demo_workspace(base: Path) -> Tuple[Path, Path]:
    """(working copy, bare remote) under ``base``."""
    remote, project = base / "remote.git", base / "project"
    base.mkdir(parents=True, exist_ok=True)
    git(base, "init", "--bare", "--initial-branch=main", str(remote))
    git(base, "init", "--initial-branch=main", str(project))
    for rel, text in FILES.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    git(project, "-c", "user.name=Project Owner", "-c", "user.email=owner@example.com",
        "add", "-A")
    git(project, "-c", "user.name=Project Owner", "-c", "user.email=owner@example.com",
        "commit", "-q", "-m", "Initial commit")
    git(project, "remote", "add", "origin", str(remote))
    git(project, "push", "-q", "origin", "main")
    return project, remote
