"""Fixtures for the black-box API tests: they start the real archon-auth binary on a free
port with a temporary data directory and watch it for crashes and sanitizer reports.

Fixtures (other test files rely on this exact interface):
- archon_bin (session): pathlib.Path of the binary ($ARCHON_AUTH_BIN, else build/debug/archon-auth).
- start_server (function): factory start_server(config=None, args=(), env=None) -> Server.
- server (module): one server with the default config.

The store: ARCHON_TEST_STORE=sqlite (the default) or postgres selects the server's backend. In
postgres mode a session-wide throwaway PostgreSQL server is started on first use and archon_bin
is tests/api/pg_backend/archon-auth, a wrapper that gives every data dir its own database and
execs the real binary (store_support.py tells how); servers get `store: {pool_min: 2}` unless
the test configures `store` itself or brings its own config file. Tests whose subject is the
SQLite file itself are marked @pytest.mark.sqlite_only and skipped there.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for `import support` in any import mode

import store_support  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0
SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "ThreadSanitizer")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "sqlite_only(reason): the test's subject is the SQLite store itself (its file under "
                   "the data dir); skipped when ARCHON_TEST_STORE=postgres")
    if store_support.STORE not in ("sqlite", "postgres"):
        raise pytest.UsageError(f"ARCHON_TEST_STORE={store_support.STORE!r}: must be sqlite or postgres")


def pytest_report_header(config):
    return f"archon-auth store: {store_support.STORE} (ARCHON_TEST_STORE)"


def pytest_collection_modifyitems(items):
    # No test may hang the suite: a hang is a failure with a traceback, not a stuck CI run.
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(90))
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None and store_support.POSTGRES:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "about the SQLite file")
            item.add_marker(pytest.mark.skip(reason=f"sqlite_only: {reason}"))


_HIGH = "1000000/second"
# The spec's rate limits (5 logins a minute per address...) would stop most tests, which all
# come from 127.0.0.1; servers get these unless a test sets rate_limits itself or passes
# spec_rate_limits=True (tests/api/test_rate_limits.py does).
RELAXED_RATE_LIMITS = {
    "authentication": {"login": {"per_ip": _HIGH, "per_user": _HIGH},
                       "register": {"per_ip": _HIGH, "global": _HIGH},
                       "password_reset": {"per_email": _HIGH, "per_ip": _HIGH}},
    "api_access": {"authenticated": {"per_user": _HIGH, "burst": 1000000},
                   "agent": {"per_agent": _HIGH, "burst": 1000000},
                   "admin": {"per_user": _HIGH, "burst": 1000000}},
    "public": {"health_check": {"per_ip": _HIGH}, "documentation": {"per_ip": _HIGH}},
}


# In postgres mode (see the module docstring); driver and URL come from the wrapper.
PG_STORE_CONFIG = {"pool_min": 2}


def clean_env(extra: dict | None = None) -> dict:
    """The test process's environment without any ARCHON_AUTH_* variable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHON_AUTH_")}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    if extra:
        env.update({k: str(v) for k, v in extra.items()})
    return env


class Server:
    """A running `archon-auth serve`."""

    def __init__(self, proc: subprocess.Popen, stderr_path: Path, data_dir: Path, workdir: Path,
                 argv: list[str]):
        self.proc = proc
        self.stderr_path = stderr_path
        self.data_dir = data_dir
        self.workdir = workdir
        self.argv = argv
        self.host = ""
        self.port = 0
        self.base_url = ""
        self.returncode: int | None = None
        # Exit codes teardown accepts; a test that expects another one changes this.
        self.expected_returncodes: set[int] = {0}
        self.problems: list[str] = []

    # -- stderr
    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_lines(self) -> list[dict]:
        """The JSON lines of stderr so far (other lines are skipped)."""
        out = []
        for line in self.stderr_text().splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
        return out

    def wait_for_log(self, predicate, timeout: float = 5.0) -> dict | None:
        """The first JSON log line matching predicate, polling until timeout."""
        deadline = time.monotonic() + timeout
        while True:
            for obj in self.log_lines():
                if predicate(obj):
                    return obj
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)

    # -- lifecycle
    def _wait_listening(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            for obj in self.log_lines():
                if obj.get("msg") == "listening" and isinstance(obj.get("address"), str):
                    host, _, port = obj["address"].rpartition(":")
                    self.host = host.strip("[]")
                    self.port = int(port)
                    url_host = f"[{self.host}]" if ":" in self.host else self.host
                    self.base_url = f"http://{url_host}:{self.port}"
                    return
            if self.proc.poll() is not None:
                self.returncode = self.proc.returncode
                raise AssertionError(
                    f"archon-auth exited with {self.proc.returncode} before listening.\n"
                    f"argv: {self.argv}\nstderr:\n{self.stderr_text()[-4000:]}")
            time.sleep(0.05)
        self.stop(signal.SIGKILL, timeout=5)
        raise AssertionError(
            f"archon-auth did not log a 'listening' line with an address within {STARTUP_TIMEOUT:.0f}s.\n"
            f"argv: {self.argv}\nstderr:\n{self.stderr_text()[-4000:]}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout: float = 15) -> int:
        """Sends `sig` and waits up to `timeout` s; a server still running then is killed (and
        that is recorded as a problem). Returns the exit code (negative: killed by a signal)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                self.problems.append(
                    f"did not exit within {timeout}s of signal {signal.Signals(sig).name}; killed")
        self.returncode = self.proc.returncode
        return self.returncode

    def check(self) -> list[str]:
        """Problems seen on this server: unexpected exit code, sanitizer reports."""
        problems = list(self.problems)
        if self.returncode is not None and self.returncode not in self.expected_returncodes:
            problems.append(f"exited with code {self.returncode} (expected {sorted(self.expected_returncodes)})")
        if store_support.POSTGRES and (self.data_dir / store_support.SQLITE_FILE).exists():
            problems.append(f"{self.data_dir / store_support.SQLITE_FILE} exists: the server ran on SQLite "
                            f"although ARCHON_TEST_STORE=postgres (is the pg_backend wrapper in use?)")
        text = self.stderr_text()
        for marker in SANITIZER_MARKERS:
            if marker in text:
                i = text.index(marker)
                problems.append(f"stderr contains {marker!r}:\n{text[max(0, i - 300):i + 3000]}")
                break
        return problems

    def __repr__(self) -> str:
        return f"Server({self.base_url}, pid={self.proc.pid})"


class ServerFactory:
    def __init__(self, archon_bin: Path, tmp: Path):
        self.archon_bin = archon_bin
        self.tmp = tmp
        self.servers: list[Server] = []

    def start(self, config: dict | None = None, args=(), env: dict | None = None, *,
              default_listen: bool = True, spec_rate_limits: bool = False) -> Server:
        """Starts `archon-auth serve` (cwd: a fresh temp dir; ARCHON_AUTH_* from the test
        process's environment removed, `env` added). Adds `--listen 127.0.0.1:0` unless args has
        --listen, env sets ARCHON_AUTH_LISTEN, or default_listen is False; adds
        `--data-dir <tmp>` unless args has --data-dir or env sets ARCHON_AUTH_DATA_DIR.
        Rate limits are RELAXED_RATE_LIMITS unless spec_rate_limits, the config sets
        rate_limits, or the config file comes from args/env."""
        n = len(self.servers)
        external_config = "--config" in [str(a) for a in args] or (env and "ARCHON_AUTH_CONFIG" in env)
        if not spec_rate_limits and not external_config and not (config and "rate_limits" in config):
            config = {**(config or {}), "rate_limits": RELAXED_RATE_LIMITS}
        if store_support.POSTGRES and not external_config and not (config and "store" in config):
            config = {**(config or {}), "store": PG_STORE_CONFIG}  # small pools: many servers share one PostgreSQL
        workdir = self.tmp / f"server{n}"
        workdir.mkdir(parents=True, exist_ok=True)
        args = [str(a) for a in args]
        argv = [str(self.archon_bin), "serve"]
        if config is not None:
            cfg_path = workdir / "config.yaml"
            cfg_path.write_text(yaml.safe_dump(config, sort_keys=False))
            argv += ["--config", str(cfg_path)]
        data_dir = workdir / "data"
        if "--data-dir" in args:
            data_dir = Path(args[args.index("--data-dir") + 1])
        elif env and "ARCHON_AUTH_DATA_DIR" in env:
            data_dir = Path(env["ARCHON_AUTH_DATA_DIR"])
        else:
            argv += ["--data-dir", str(data_dir)]
        if (default_listen and "--listen" not in args
                and not (env and "ARCHON_AUTH_LISTEN" in env)):
            argv += ["--listen", "127.0.0.1:0"]
        argv += args
        stderr_path = workdir / "stderr.log"
        with open(stderr_path, "wb") as err, open(workdir / "stdout.log", "wb") as out:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    cwd=workdir, env=clean_env(env))
        srv = Server(proc, stderr_path, data_dir, workdir, argv)
        self.servers.append(srv)
        srv._wait_listening()
        return srv

    def close(self) -> list[str]:
        problems = []
        for srv in self.servers:
            if srv.proc.poll() is None:
                srv.stop()
            else:
                srv.returncode = srv.proc.returncode
            for p in srv.check():
                problems.append(f"{srv.argv}: {p}")
        return problems


@pytest.fixture(scope="session")
def pg_server():
    """postgres mode: the session's PostgreSQL server (None in sqlite mode). Its location goes
    into ARCHON_TEST_* variables of this process, which every child inherits."""
    if not store_support.POSTGRES:
        yield None
        return
    try:
        srv = store_support.PgSessionServer()
    except Exception as e:  # noqa: BLE001
        pytest.fail(f"ARCHON_TEST_STORE=postgres: cannot start the test PostgreSQL server: {e}", pytrace=False)
    os.environ["ARCHON_TEST_PG_URL"] = srv.url
    os.environ["ARCHON_TEST_PG_STATE"] = str(srv.state)
    os.environ["ARCHON_TEST_PG_BINDIR"] = str(srv.bindir)
    try:
        yield srv
    finally:
        _PG_SUMMARY.append(srv.summary())
        srv.stop()


_PG_SUMMARY: list[str] = []


def pytest_terminal_summary(terminalreporter):
    for line in _PG_SUMMARY:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def archon_bin(pg_server) -> Path:
    path = Path(os.environ.get("ARCHON_AUTH_BIN") or REPO / "build" / "debug" / "archon-auth").absolute()
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(f"archon-auth binary not found or not executable at {path} "
                    f"(build it with `cmake --preset debug && cmake --build --preset debug`, "
                    f"or set ARCHON_AUTH_BIN)", pytrace=False)
    if pg_server is not None:
        os.environ["ARCHON_TEST_REAL_BIN"] = str(path)
        return store_support.WRAPPER
    return path


def _drop_pg_databases(root: Path) -> None:
    if store_support.POSTGRES:
        store_support.drop_databases_under(root)


@pytest.fixture
def start_server(archon_bin, tmp_path):
    factory = ServerFactory(archon_bin, tmp_path)
    yield factory.start
    problems = factory.close()
    _drop_pg_databases(tmp_path)
    if problems:
        pytest.fail("server problems:\n" + "\n\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def module_start_server(archon_bin, tmp_path_factory):
    """Like start_server, for servers shared by the tests of one module."""
    root = tmp_path_factory.mktemp("module-servers")
    factory = ServerFactory(archon_bin, root)
    yield factory.start
    problems = factory.close()
    _drop_pg_databases(root)
    if problems:
        pytest.fail("server problems:\n" + "\n\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def server(module_start_server):
    return module_start_server()


@pytest.fixture
def run_cli(archon_bin, tmp_path):
    """run_cli(*args, env=None, timeout=30) -> CompletedProcess (text), cwd = a temp dir."""
    def run(*args, env: dict | None = None, timeout: float = 30, cwd: Path | None = None):
        proc = subprocess.run([str(archon_bin), *map(str, args)], capture_output=True, text=True,
                              env=clean_env(env), cwd=cwd or tmp_path, timeout=timeout,
                              stdin=subprocess.DEVNULL, errors="replace")
        for marker in SANITIZER_MARKERS:
            assert marker not in proc.stderr, \
                f"`archon-auth {' '.join(map(str, args))}`: stderr contains {marker!r}:\n{proc.stderr[-3000:]}"
        return proc
    yield run
    _drop_pg_databases(tmp_path)

