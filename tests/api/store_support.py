"""Which store the black-box tests run the server on, and test access to that store.

ARCHON_TEST_STORE selects the backend: `sqlite` (the default: the embedded store, a file under
each server's data dir) or `postgres`. In postgres mode the session starts one throwaway
PostgreSQL server (PgSessionServer) and the tests run the binary through the wrapper
tests/api/pg_backend/archon-auth, which gives every data dir its OWN database on that server
(the name is derived from the data dir's real path, see pg_dbname) and execs the real binary
with ARCHON_AUTH_DATABASE_URL pointing at it. Tests that must look into the store (the sealed
signing keys) go through signing_key_rows / store_dump, which read either backend.

The wrapper is configured through ARCHON_TEST_* variables (the harness strips ARCHON_AUTH_*
from every child's environment, so they could not carry this):
- ARCHON_TEST_REAL_BIN: the real archon-auth binary
- ARCHON_TEST_PG_URL: postgresql://postgres@127.0.0.1:PORT (no database)
- ARCHON_TEST_PG_STATE: a directory of "<dbname>.dir" markers (content: the data dir) for the
  databases created so far, their lock files, and spares/: empty databases made ahead of time
  by Housekeeper; the wrapper claims one (an atomic mv of its file) and renames it, which is
  far quicker than CREATE DATABASE (~0.2 s: a copy of template1) on a server's critical path.
"""
from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
from pathlib import Path

STORE = (os.environ.get("ARCHON_TEST_STORE") or "sqlite").strip().lower()
if STORE in ("pg", "postgresql"):
    STORE = "postgres"
POSTGRES = STORE == "postgres"

WRAPPER = Path(__file__).resolve().parent / "pg_backend" / "archon-auth"
SQLITE_FILE = "archon-auth.db"

# How long a mail the outbox worker claimed stays claimed: on PostgreSQL the claim is a lease
# (SqlMailOutbox::kLeaseSeconds, so several instances send each mail once), and a mail claimed by
# a server that was killed before delivering it goes out only when the lease ends. SQLite has
# no lease: such a mail is due again at the next start.
OUTBOX_LEASE_SECONDS = 60 if POSTGRES else 0


def real_binary(path) -> Path:
    """The archon-auth binary behind `path`: the real one when `path` is the wrapper (for tests
    that look at the binary itself, e.g. whether it carries ASan)."""
    path = Path(path)
    if path.resolve() == WRAPPER and os.environ.get("ARCHON_TEST_REAL_BIN"):
        return Path(os.environ["ARCHON_TEST_REAL_BIN"])
    return path


def pg_dbname(data_dir) -> str:
    """The database the wrapper gives a data dir; must match pg_backend/archon-auth. A relative
    data_dir counts from this process's cwd (the wrapper: from the command's): pass absolute ones."""
    real = os.path.realpath(os.path.join(os.getcwd(), str(data_dir)))
    return "archon_" + hashlib.sha1(real.encode()).hexdigest()[:24]


def _pg_bindir() -> Path:
    if os.environ.get("ARCHON_PG_BINDIR"):
        return Path(os.environ["ARCHON_PG_BINDIR"])
    best, best_version = None, 0
    root = Path("/usr/lib/postgresql")
    for d in root.iterdir() if root.is_dir() else []:
        try:
            version = int(d.name.split(".")[0])
        except ValueError:
            continue
        if version > best_version and (d / "bin" / "postgres").exists():
            best, best_version = d / "bin", version
    if best is None:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql: "
                           "install postgresql-15 (scripts/setup.sh does) or set ARCHON_PG_BINDIR")
    return best


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgSessionServer:
    """A throwaway PostgreSQL server for one test session: initdb into a fresh temp dir (trust
    authentication, loopback only, a free port, durability off), stopped and deleted by stop().
    As root every server command runs as the `postgres` system user (PostgreSQL refuses root).
    A watchdog in its own session stops the server and deletes the directory if the test
    process dies without calling stop()."""

    MAX_CONNECTIONS = 1000

    def __init__(self):
        self.bindir = _pg_bindir()
        self.user = None
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root needs an unprivileged 'postgres' user for the "
                                   "test PostgreSQL server") from None
            self.user = pw
        self.dir = Path(tempfile.mkdtemp(prefix="archon-api-pg-"))
        self.state = self.dir / "state"  # the wrapper's markers (written by the test user)
        (self.state / "spares").mkdir(parents=True)
        self.housekeeper: Housekeeper | None = None
        self.port = 0
        self.watchdog: subprocess.Popen | None = None
        if self.user:
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
            os.chmod(self.dir, 0o755)
        try:
            self._start_watchdog()
            self._run([self.bindir / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
                       "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"], "initdb")
            with open(Path(self.data) / "postgresql.conf", "a") as conf:
                conf.write(f"listen_addresses = '127.0.0.1'\n"
                           f"unix_socket_directories = '{self.dir}'\n"
                           f"fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                           f"max_connections = {self.MAX_CONNECTIONS}\nshared_buffers = 64MB\n"
                           f"max_wal_size = 1GB\ncheckpoint_timeout = 30min\n"
                           f"log_min_messages = warning\n")
            for attempt in range(1, 6):  # another process may take the free port first
                self.port = _free_port()
                try:
                    self._run([self.bindir / "pg_ctl", "-D", self.data, "-l", self.dir / "server.log",
                               "-w", "-t", "60", "-o", f"-p {self.port}", "start"], "pg_ctl start")
                    break
                except RuntimeError:
                    if attempt == 5:
                        raise
            self.housekeeper = Housekeeper(self)
        except BaseException:
            self.stop()
            raise

    @property
    def data(self) -> str:
        return str(self.dir / "data")

    @property
    def url(self) -> str:
        """The server, no database: the wrapper appends /<dbname>."""
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def _run(self, argv, what: str) -> None:
        kwargs = {}
        if self.user:
            kwargs = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        log = self.dir / "commands.log"
        with open(log, "ab") as out:
            proc = subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
                                  cwd="/", timeout=120, **kwargs)
        if proc.returncode != 0:
            server_log = self.dir / "server.log"
            raise RuntimeError(f"{what} failed ({proc.returncode}):\n{log.read_text(errors='replace')[-2000:]}\n"
                               f"server.log:\n{server_log.read_text(errors='replace')[-2000:] if server_log.exists() else ''}")

    def _start_watchdog(self) -> None:
        script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
                  f"P=$(head -n1 '{self.data}/postmaster.pid' 2>/dev/null); "
                  f"if [ -n \"$P\" ]; then kill -QUIT \"$P\" 2>/dev/null; "
                  f"for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 \"$P\" 2>/dev/null || break; sleep 0.2; done; fi; "
                  f"rm -rf '{self.dir}'")
        self.watchdog = subprocess.Popen(["/bin/sh", "-c", script], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)

    def summary(self) -> str:
        """For the end of the run: how many databases the run made."""
        if not self.housekeeper:
            return ""
        left = len(list(self.state.glob("*.dir")))
        hk = self.housekeeper
        return (f"PostgreSQL {self.url}: {hk.dropped + left} databases for data dirs "
                f"({hk.dropped} dropped during the run), {hk.made} spares made")

    def stop(self) -> None:
        if self.housekeeper:
            self.housekeeper.stop()
        if (Path(self.data) / "postmaster.pid").exists():
            try:
                self._run([self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"], "pg_ctl stop")
            except Exception:
                pass
        if self.watchdog and self.watchdog.poll() is None:
            self.watchdog.send_signal(signal.SIGTERM)
            self.watchdog.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class Housekeeper:
    """A thread that keeps `spares` empty databases ready in <state>/spares (one file each,
    made only once its CREATE DATABASE has committed), so the wrapper's first use of a data dir
    costs a rename instead of a CREATE DATABASE, and drops the databases of finished tests
    (drop_databases_under) off the tests' critical path: DROP DATABASE waits up to 5 s for the
    backends of a server that has just exited to go away."""

    def __init__(self, server: PgSessionServer, spares: int = 3):
        self.server = server
        self.spares = spares
        self.dir = server.state / "spares"
        self.made = 0     # spares made
        self.dropped = 0  # databases of finished tests dropped
        self._drops: list[str] = []  # roots whose databases go
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-housekeeper", daemon=True)
        self._thread.start()
        global _housekeeper
        _housekeeper = self

    def drop_under(self, root: str) -> None:
        with self._lock:
            self._drops.append(root)
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self._step()
            except Exception:  # noqa: BLE001 - best effort: the wrapper copes without spares
                worked = False
                self._stop.wait(1)
            if not worked:
                self._wake.wait(0.05)
                self._wake.clear()

    def _step(self) -> bool:
        worked = False
        if len(os.listdir(self.dir)) < self.spares:
            worked = True
            self._make_spare()
        with self._lock:
            roots, self._drops = self._drops, []
        if roots:
            worked = True
            self.dropped += _drop_now(roots, str(self.server.state), self.server.url)
        return worked

    def _make_spare(self) -> None:
        self.made += 1
        name = f"archon_spare_{self.made}"
        proc = subprocess.run([str(self.server.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                               "-d", f"{self.server.url}/postgres", "-c", f'CREATE DATABASE "{name}"'],
                              capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:  # the wrapper creates its databases itself meanwhile
            self._stop.wait(1)
            return
        (self.dir / name).touch()

    def stop(self) -> None:
        global _housekeeper
        if _housekeeper is self:
            _housekeeper = None
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)


_housekeeper: Housekeeper | None = None


# ----------------------------------------------------------------------------- queries


def _pg_tool(name: str) -> str:
    bindir = os.environ.get("ARCHON_TEST_PG_BINDIR")
    return os.path.join(bindir, name) if bindir else name


def _psql(dbname: str, sql: str, *, check: bool = True) -> subprocess.CompletedProcess:
    url = os.environ["ARCHON_TEST_PG_URL"]
    proc = subprocess.run([_pg_tool("psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", f"{url}/{dbname}", "-c", sql],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise AssertionError(f"psql on {dbname} failed ({proc.returncode}): {proc.stderr.strip()}\nSQL: {sql}")
    return proc


def pg_database_exists(data_dir) -> bool:
    name = pg_dbname(data_dir)
    return _psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'").stdout.strip() == "1"


def _pg_rows(data_dir, sql: str) -> list[dict]:
    """The rows of `sql` in data_dir's database as dicts (bytea columns as '\\x<hex>' strings);
    [] if the database or the table does not exist."""
    if not pg_database_exists(data_dir):
        return []
    proc = _psql(pg_dbname(data_dir), f"SELECT coalesce(json_agg(t), '[]') FROM ({sql}) t", check=False)
    if proc.returncode != 0:
        if "does not exist" in proc.stderr:  # the server never migrated this database
            return []
        raise AssertionError(f"psql failed: {proc.stderr.strip()}\nSQL: {sql}")
    return json.loads(proc.stdout)


def _bytea(value: str) -> bytes:
    assert value.startswith("\\x"), f"not a hex bytea: {value[:20]!r}"
    return bytes.fromhex(value[2:])


KEY_COLUMNS = ("kid", "kind", "alg", "public_jwk", "sealed_private", "created_at", "activates_at")


def signing_key_rows(data_dir) -> list[tuple]:
    """Every row of signing_keys as (kid, kind, alg, public_jwk, sealed_private (bytes),
    created_at, activates_at), by activation then creation (then insertion); [] if the store
    does not exist yet."""
    data_dir = Path(data_dir)
    if POSTGRES:
        rows = _pg_rows(data_dir, f"SELECT {', '.join(KEY_COLUMNS)} FROM signing_keys "
                                  f"ORDER BY activates_at, created_at, inserted")
        return [tuple(_bytea(r[c]) if c == "sealed_private" else r[c] for c in KEY_COLUMNS) for r in rows]
    path = data_dir / SQLITE_FILE
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        rows = db.execute(f"SELECT {', '.join(KEY_COLUMNS)} FROM signing_keys "
                          f"ORDER BY activates_at, created_at").fetchall()
    finally:
        db.close()
    return [tuple(bytes(v) if isinstance(v, (bytes, memoryview)) else v for v in r) for r in rows]


def store_dump(data_dir) -> bytes:
    """Everything the store holds, for "is this secret stored in clear" checks: the SQLite
    files' bytes, or a pg_dump of the data dir's database (bytea appears hex-encoded there, so
    callers should look for a needle's hex form too: see contains_in_clear)."""
    data_dir = Path(data_dir)
    if POSTGRES:
        url = os.environ["ARCHON_TEST_PG_URL"]
        proc = subprocess.run([_pg_tool("pg_dump"), "--no-owner", "-d", f"{url}/{pg_dbname(data_dir)}"],
                              capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")
        return proc.stdout
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob(SQLITE_FILE + "*")))


def contains_in_clear(dump: bytes, needle: bytes) -> bool:
    return needle in dump or needle.hex().encode() in dump.lower()


# ----------------------------------------------------------------------------- cleanup


def drop_databases_under(root) -> None:
    """Drops the databases the wrapper made for data dirs under `root`, whose servers have
    stopped, so a long run does not pile up hundreds of databases (~7 MB each): in the
    background when the session's Housekeeper runs. A database still in use (a server outside
    `root` on it) stays: DROP DATABASE refuses, and that is ignored."""
    root = os.path.realpath(str(root))
    if _housekeeper is not None:
        _housekeeper.drop_under(root)
    elif os.environ.get("ARCHON_TEST_PG_STATE") and os.environ.get("ARCHON_TEST_PG_URL"):
        _drop_now([root], os.environ["ARCHON_TEST_PG_STATE"], os.environ["ARCHON_TEST_PG_URL"])


def _drop_now(roots: list[str], state: str, url: str) -> int:
    """Returns how many databases went."""
    if not os.path.isdir(state):
        return 0
    prefixes = tuple(r.rstrip("/") + "/" for r in roots)
    doomed = []
    for marker in Path(state).glob("*.dir"):
        try:
            data_dir = marker.read_text()
        except OSError:
            continue
        if (data_dir.rstrip("/") + "/").startswith(prefixes):
            doomed.append(marker)
    if not doomed:
        return 0
    # psql without ON_ERROR_STOP goes on after a refusal; the last query tells what is left.
    sql = "".join(f'DROP DATABASE IF EXISTS "{m.stem}";\n' for m in doomed) + "SELECT datname FROM pg_database;\n"
    proc = subprocess.run([_pg_tool("psql"), "-X", "-q", "-At", "-d", f"{url}/postgres", "-f", "-"],
                          input=sql, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        return 0
    remaining = set(proc.stdout.split())
    gone = [m for m in doomed if m.stem not in remaining]
    for m in gone:  # its lock file stays: a wrapper may hold it right now
        m.unlink(missing_ok=True)
    return len(gone)
