"""The multi-instance topology of tests/cluster, all on loopback, all in one run directory:

    PostgreSQL 15 (initdb/pg_ctl, trust auth)   Redis 7 (redis-server, no persistence)
                 \\                                /
      archon-auth #1      archon-auth #2      archon-auth #3     (same KEK, same database)
                 \\               |               /
                        nginx (round robin)

Every process is started here, recorded in RUN_DIR/pids for the watchdog (watchdog.py), and
stopped by Cluster.close(); an atexit hook and the watchdog kill whatever a dead run left.

Durability choice for PostgreSQL: fsync=off (and full_page_writes=off) but synchronous_commit at
its default (on). A commit then returns only after its WAL is written to the kernel, so it
survives any death of the PostgreSQL processes: the restart test's `pg_ctl stop -m fast` (which
writes a shutdown checkpoint anyway) and even `-m immediate` (ARCHON_CLUSTER_PG_STOP_MODE), a
crash followed by WAL recovery. fsync only protects against losing the kernel's page cache (an OS
crash or power loss), which no test simulates. synchronous_commit=off, on the contrary, could drop
acknowledged commits on an immediate stop, and the restart test checks that none is lost.
"""
from __future__ import annotations

import atexit
import base64
import itertools
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "api"))  # support.py, identity_support.py

SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "ThreadSanitizer")
STARTUP_TIMEOUT = 60.0
PG_BIN = Path(os.environ.get("ARCHON_PG_BINDIR", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# Redis in the instances' config. On by default; ARCHON_CLUSTER_REDIS=0 leaves the `redis:`
# section out (for a binary that does not accept it yet). Redis itself runs either way.
USE_REDIS = os.environ.get("ARCHON_CLUSTER_REDIS", "1") != "0"
# How the restart test stops PostgreSQL: fast (the default: sessions are ended, a shutdown
# checkpoint is written) or immediate (a crash as far as clients and WAL recovery can tell).
PG_STOP_MODE = os.environ.get("ARCHON_CLUSTER_PG_STOP_MODE", "fast")


def missing_prerequisites() -> list[str]:
    out = []
    for path, pkg in ((PG_BIN / "initdb", "postgresql-15"), (PG_BIN / "pg_ctl", "postgresql-15"),
                      (Path(REDIS_SERVER), "redis-server"), (Path(NGINX), "nginx-light")):
        if not os.access(path, os.X_OK):
            out.append(f"{path} (apt-get install {pkg})")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            out.append("a 'postgres' system user (PostgreSQL refuses to run as root)")
    return out

_HIGH = "1000000/second"
# The spec's limits except these: setup and load traffic (registrations, admin reads, /health
# polls) all come from loopback. authentication.login is NOT here: it keeps 5/minute per
# address and 10/minute per account, which test_rate_limit checks across instances.
RELAXED_RATE_LIMITS = {
    "authentication": {"register": {"per_ip": _HIGH, "global": _HIGH},
                       "password_reset": {"per_email": _HIGH, "per_ip": _HIGH}},
    "api_access": {"authenticated": {"per_user": _HIGH, "burst": 1000000},
                   "agent": {"per_agent": _HIGH, "burst": 1000000},
                   "admin": {"per_user": _HIGH, "burst": 1000000}},
    "public": {"health_check": {"per_ip": _HIGH}, "documentation": {"per_ip": _HIGH}},
}


def log(msg: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05, proc=None):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: process exited with {proc.returncode}")
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f}s")
        time.sleep(interval)


def clean_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHON_AUTH_")}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    env.update({k: str(v) for k, v in (extra or {}).items()})
    return env


def tail(path: Path, n: int = 3000) -> str:
    try:
        return path.read_bytes()[-n:].decode("utf-8", "replace")
    except FileNotFoundError:
        return "(missing)"


class RunDir:
    """The run's temporary directory and its list of started processes."""

    def __init__(self):
        self.path = Path(tempfile.mkdtemp(prefix="archon-cluster-"))
        os.chmod(self.path, 0o755)  # the postgres user must reach pg/ inside it
        self.pids_file = self.path / "pids"
        self.pids_file.touch()
        self._lock = threading.Lock()

    def record(self, pid: int, kind: str) -> None:
        """Lists a process for the watchdog, with its start time (so a recycled pid is never
        mistaken for it)."""
        try:
            with open(f"/proc/{pid}/stat") as f:
                ticks = f.read().rsplit(")", 1)[1].split()[19]
        except OSError:
            ticks = "0"  # already gone
        with self._lock, open(self.pids_file, "a") as f:
            f.write(f"{pid} {ticks} {kind}\n")

    def __truediv__(self, other):
        return self.path / other


# ----------------------------------------------------------------------------- PostgreSQL


class Postgres:
    def __init__(self, run: RunDir):
        self.run = run
        self.dir = run / "pg"
        self.data = self.dir / "data"
        self.dir.mkdir()
        self.port = 0
        self.uid = self.gid = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            pw = pwd.getpwnam("postgres")
            self.uid, self.gid = pw.pw_uid, pw.pw_gid
            os.chown(self.dir, self.uid, self.gid)

    def _cmd(self, *args, timeout: float = 60) -> subprocess.CompletedProcess:
        kw = {}
        if self.uid is not None:
            kw = {"user": self.uid, "group": self.gid, "extra_groups": []}
        with open(self.dir / "commands.log", "ab") as out:
            proc = subprocess.run([str(a) for a in args], stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                                  cwd=self.dir, timeout=timeout, **kw)
        if proc.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, args))} failed ({proc.returncode}):\n"
                                 f"{tail(self.dir / 'commands.log')}\nserver.log:\n{tail(self.dir / 'server.log')}")
        return proc

    def init(self) -> None:
        self._cmd(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync", "--no-instructions")
        with open(self.data / "postgresql.conf", "a") as f:
            f.write(f"listen_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                    "fsync = off\nfull_page_writes = off\nmax_connections = 200\nshared_buffers = 32MB\n")
        for attempt in range(5):  # another process may take the free port first
            self.port = free_port()
            try:
                self.start()
                break
            except AssertionError:
                if attempt == 4:
                    raise
        self._cmd(PG_BIN / "createdb", "-h", self.dir, "-p", self.port, "-U", "postgres", "archon")

    def start(self) -> None:
        self._cmd(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.dir / "server.log", "-w", "-t", "60",
                  "-o", f"-p {self.port}", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._cmd(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "30", "stop")

    def postmaster_pid(self) -> int | None:
        try:
            first = (self.data / "postmaster.pid").read_text().splitlines()[0].strip()
            return int(first)
        except (OSError, IndexError, ValueError):
            return None

    def url(self, db: str = "archon") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"


# ----------------------------------------------------------------------------- Redis


class Redis:
    def __init__(self, run: RunDir):
        self.run = run
        self.dir = run / "redis"
        self.dir.mkdir()
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self, port: int | None = None) -> None:
        self.port = port or self.port or free_port()
        self.starts += 1
        argv = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.dir), "--daemonize", "no",
                "--logfile", str(self.dir / f"redis.{self.starts}.log")]
        with open(self.dir / f"stderr.{self.starts}.log", "wb") as err:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                         start_new_session=True)
        self.run.record(self.proc.pid, "redis")
        wait_until(self.ping, 15, f"redis-server on port {self.port}", proc=self.proc)

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """kill -9: what a crash looks like to clients."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def restart_hard(self) -> None:
        self.kill()
        self.start(self.port)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


# ----------------------------------------------------------------------------- archon-auth


class Instance:
    """One `archon-auth serve` on a fixed port with its own data dir; restartable."""

    def __init__(self, cluster: "Cluster", index: int):
        self.cluster = cluster
        self.index = index
        self.name = f"archon{index}"
        self.workdir = cluster.run / self.name
        self.data_dir = self.workdir / "data"
        self.data_dir.mkdir(parents=True)
        self.port = free_port()
        self.host = "127.0.0.1"
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.stderr_path: Path | None = None
        self.starts = 0
        # (stderr path, return code, expected codes) of every run, checked at teardown.
        self.runs: list[dict] = []

    @property
    def argv(self) -> list[str]:
        return [str(self.cluster.archon_bin), "serve", "--config", str(self.cluster.config_path),
                "--data-dir", str(self.data_dir), "--listen", f"127.0.0.1:{self.port}"]

    def start(self) -> None:
        assert not self.alive(), f"{self.name} already running"
        self.starts += 1
        self.stderr_path = self.workdir / f"stderr.{self.starts}.log"
        with open(self.stderr_path, "wb") as err, open(self.workdir / f"stdout.{self.starts}.log", "wb") as out:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                         cwd=self.workdir, env=self.cluster.instance_env(),
                                         start_new_session=True)
        self.cluster.run.record(self.proc.pid, self.name)
        self.runs.append({"stderr": self.stderr_path, "proc": self.proc, "expected": {0}})
        t0 = time.monotonic()
        try:
            wait_until(self._listening, STARTUP_TIMEOUT, f"{self.name} logging 'listening'", proc=self.proc)
        except AssertionError as e:
            raise AssertionError(f"{e}\nargv: {self.argv}\nstderr:\n{tail(self.stderr_path, 4000)}") from None
        log(f"{self.name} listening on {self.base_url} (pid {self.proc.pid}, {time.monotonic() - t0:.1f}s)")

    def _listening(self) -> bool:
        for line in self.stderr_text().splitlines():
            if line.startswith("{") and '"listening"' in line:
                try:
                    if json.loads(line).get("msg") == "listening":
                        return True
                except ValueError:
                    pass
        return False

    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_bytes().decode("utf-8", "replace") if self.stderr_path else ""
        except FileNotFoundError:
            return ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no drain, no goodbye."""
        assert self.alive(), f"{self.name} is not running"
        self.runs[-1]["expected"] = {-signal.SIGKILL}
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        if not self.alive():
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.runs[-1]["problem"] = f"did not exit within {timeout}s of SIGTERM; killed"

    def problems(self) -> list[str]:
        out = []
        for i, r in enumerate(self.runs, 1):
            rc = r["proc"].poll()
            if r.get("problem"):
                out.append(f"{self.name} run {i}: {r['problem']}")
            if rc is not None and rc not in r["expected"]:
                out.append(f"{self.name} run {i}: exited with {rc} (expected {sorted(r['expected'])})\n"
                           f"{tail(r['stderr'], 2000)}")
            text = r["stderr"].read_bytes().decode("utf-8", "replace") if r["stderr"].exists() else ""
            for marker in SANITIZER_MARKERS:
                if marker in text:
                    k = text.index(marker)
                    out.append(f"{self.name} run {i}: stderr contains {marker!r}:\n{text[max(0, k - 300):k + 3000]}")
                    break
        return out

    def __repr__(self) -> str:
        return f"Instance({self.name}, {self.base_url})"


# ----------------------------------------------------------------------------- nginx


class Nginx:
    def __init__(self, run: RunDir, upstream_ports: list[int]):
        self.run = run
        self.dir = run / "nginx"
        self.dir.mkdir()
        self.port = free_port()
        self.host = "127.0.0.1"
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.data_dir = None
        self.proc: subprocess.Popen | None = None
        self.upstream_ports = upstream_ports

    def conf(self) -> str:
        d = self.dir
        servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=2s;" for p in self.upstream_ports)
        user = "user root;\n" if os.geteuid() == 0 else ""
        # master_process off: one process, so nothing is orphaned if it is killed.
        return f"""# written by tests/cluster/cluster_harness.py
{user}daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log {d}/access.log;
  client_body_temp_path {d}/client_body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  upstream archon {{
{servers}
  }}
  server {{
    listen 127.0.0.1:{self.port};
    location / {{
      proxy_pass http://archon;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries 3;
      proxy_next_upstream_timeout 10s;
      proxy_connect_timeout 1s;
      proxy_send_timeout 30s;
      proxy_read_timeout 30s;
      add_header X-Upstream $upstream_addr always;
    }}
  }}
}}
"""

    def start(self) -> None:
        conf = self.dir / "nginx.conf"
        conf.write_text(self.conf())
        with open(self.dir / "stdout.log", "wb") as out:
            self.proc = subprocess.Popen([NGINX, "-p", str(self.dir), "-e", str(self.dir / "error.log"),
                                          "-c", str(conf)], stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.run.record(self.proc.pid, "nginx")
        try:
            wait_until(lambda: port_open(self.port), 15, "nginx listening", proc=self.proc)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{tail(self.dir / 'error.log')}\n{tail(self.dir / 'stdout.log')}") from None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful shutdown
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


# ----------------------------------------------------------------------------- the cluster


class Cluster:
    def __init__(self, archon_bin: Path, n_instances: int = 3):
        self.archon_bin = archon_bin
        self.run = RunDir()
        self.watchdog = self._start_watchdog()
        self._closed = False
        atexit.register(self.hard_kill)
        self.kek = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
        self.pg = Postgres(self.run)
        self.redis = Redis(self.run)
        self.config_path = self.run / "config.yaml"
        self.instances = [Instance(self, i + 1) for i in range(n_instances)]
        self.nginx = Nginx(self.run, [i.port for i in self.instances])
        self._ips = itertools.count()
        self.cli_dir = self.run / "cli"
        self.cli_dir.mkdir()

    # -- bring-up
    def start(self) -> None:
        t0 = time.monotonic()
        self.pg.init()
        log(f"postgresql on 127.0.0.1:{self.pg.port} ({time.monotonic() - t0:.1f}s)")
        self.redis.start()
        log(f"redis on 127.0.0.1:{self.redis.port}")
        self.config_path.write_text(yaml.safe_dump(self.config(), sort_keys=False))
        check = subprocess.run([str(self.archon_bin), "config", "check", str(self.config_path)], capture_output=True,
                               text=True, env=clean_env(), timeout=60)
        assert check.returncode == 0, (
            f"`archon-auth config check` rejects the cluster config (set ARCHON_CLUSTER_REDIS=0 for a binary "
            f"without the redis section):\n{check.stdout}{check.stderr}\n{self.config_path.read_text()}")
        # The first start migrates the database and creates the signing keys; the others find them.
        self.instances[0].start()
        for inst in self.instances[1:]:
            inst.start()
        self.nginx.start()
        log(f"nginx on {self.nginx.base_url}; cluster up in {time.monotonic() - t0:.1f}s "
            f"(redis in config: {USE_REDIS})")

    def config(self) -> dict:
        cfg = {
            "server": {"trusted_proxies": ["127.0.0.1/32"]},
            "identity": {"require_email_verification": False},
            "store": {"pool_min": 2, "pool_max": 16},
            "rate_limits": RELAXED_RATE_LIMITS,
            # Clients reach the cluster through nginx: that URL is the issuer of every instance's
            # tokens (docs/deploy.md), so a token from one instance verifies at the others.
            "tokens": {"public_url": self.nginx.base_url},
            # test_60_webhooks: the receiver is on loopback; a short timeout makes the delivery
            # lease (timeout_ms/1000 + 30 s) 31 s, so the kill test sees it expire.
            "webhooks": {"retry_schedule_seconds": [1, 1], "timeout_ms": 1000, "connect_timeout_ms": 1000,
                         "allow_networks": ["127.0.0.0/8"]},
        }
        if USE_REDIS:
            cfg["redis"] = {"url": self.redis.url}
        return cfg

    def instance_env(self) -> dict:
        return clean_env({"ARCHON_AUTH_KEK": self.kek, "ARCHON_AUTH_DATABASE_URL": self.pg.url()})

    def cli(self, *args, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        """`archon-auth ARGS` with the instances' environment (same database, same KEK)."""
        argv = [str(self.archon_bin), *map(str, args)]
        proc = subprocess.run(argv, input=input, capture_output=True, text=True, env=self.instance_env(),
                              cwd=self.cli_dir, timeout=timeout, errors="replace")
        for marker in SANITIZER_MARKERS:
            assert marker not in proc.stderr, f"{argv}: stderr contains {marker!r}:\n{proc.stderr[-3000:]}"
        return proc

    def next_ip(self) -> str:
        """A loopback source address not used before in this run (127.0.x.y): the login limit
        is 5 a minute per client address, so every test that logs in uses fresh ones."""
        n = next(self._ips)
        return f"127.0.{10 + n // 250}.{1 + n % 250}"

    def ensure_all_up(self) -> None:
        """Restarts whatever a previous test left down (an instance, Redis, PostgreSQL)."""
        if self.pg.postmaster_pid() is None:
            self.pg.start()
        if not self.redis.ping():
            self.redis.restart_hard()
        for inst in self.instances:
            if not inst.alive():
                inst.start()

    # -- teardown
    def _start_watchdog(self) -> subprocess.Popen:
        with open(f"/proc/{os.getpid()}/stat") as f:
            ticks = f.read().rsplit(")", 1)[1].split()[19]
        return subprocess.Popen([sys.executable, str(HERE / "watchdog.py"), str(os.getpid()), ticks, str(self.run.path)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, close_fds=True)

    def close(self) -> list[str]:
        """Stops everything in order; returns the problems seen (sanitizer reports, bad exits)."""
        if self._closed:
            return []
        problems = []
        self.nginx.stop()
        for inst in self.instances:
            inst.stop()
        for inst in self.instances:
            problems += inst.problems()
        self.redis.stop()
        try:
            self.pg.stop("fast")
        except Exception as e:  # noqa: BLE001 - still clean up
            problems.append(f"postgresql stop: {e}")
        self._closed = True
        keep = os.environ.get("ARCHON_CLUSTER_KEEP") == "1" or problems
        if keep:
            log(f"run directory kept: {self.run.path}")
            # The watchdog deletes the run dir when this process ends: tell it to stop now.
            self.watchdog.terminate()
        else:
            self.watchdog.terminate()
            shutil.rmtree(self.run.path, ignore_errors=True)
        try:
            self.watchdog.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        return problems

    def hard_kill(self) -> None:
        """atexit: nothing of ours survives the test process, whatever happened."""
        if self._closed:
            return
        for p in [self.nginx.proc, self.redis.proc, *(i.proc for i in self.instances)]:
            if p is not None and p.poll() is None:
                p.kill()
        pm = self.pg.postmaster_pid()
        if pm:
            try:
                os.kill(pm, signal.SIGQUIT)
            except OSError:
                pass
