"""The two store backends of bench/run, selected by --store: SqliteStore (the data dir's file, read
and written with sqlite3) and PostgresStore (a throwaway PostgreSQL server started for the run,
read and written with psql). Each writes the bulk seeding SQL in its own dialect, runs the
harness's queries, and sets the server's environment for its store.

Kept apart from the harness (bench/run): the backends are the only code that knows a store's SQL,
client and lifecycle. Python 3 standard library only.
"""
import os
import pwd
import shutil
import signal
import subprocess
import time

from processes import HarnessError, die_with_parent, free_port, log, run

# --store postgres: the server binaries of the throwaway PostgreSQL (initdb, postgres, pg_isready).
PG_BIN = os.environ.get("ARCHON_PG_BINDIR", "/usr/lib/postgresql/15/bin")


# ---------------------------------------------------------------- the store under the server
# The harness reads and writes the server's database directly in three places: the bulk seeding
# of users and roles (seed_store), the durable-row counts around the audit scenarios
# (audit_counts) and the seeded password hash (measure.HashTimer). Each backend runs them with its own
# command-line client: sqlite3 on the data dir's file, psql on the throwaway PostgreSQL server.
class SqliteStore:
    name = "sqlite"
    tool = "sqlite3"

    def __init__(self, bench):
        self.db = os.path.join(bench.data_dir, "archon-auth.db")

    def describe(self):
        return self.db

    def server_env(self, env):
        # the embedded store: a PostgreSQL URL left in the environment would select PostgreSQL
        env.pop("ARCHON_AUTH_DATABASE_URL", None)
        return env

    def seed_users_sql(self, n, seed_user_id, now):
        return f"""
.bail on
PRAGMA foreign_keys = ON;
BEGIN;
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n})
INSERT INTO users (id, email, email_normalized, name, password_hash, email_verified, is_active,
                   marketing_consent, terms_accepted_at, preferences, created_at, updated_at)
SELECT printf('user_00000000-0000-4000-8000-%012d', i), printf('user%d@bench.local', i),
       printf('user%d@bench.local', i), printf('Bench User %d', i),
       (SELECT password_hash FROM users WHERE id = '{seed_user_id}'), 1, 1, 0, {now}, '{{}}', {now}, {now}
FROM seq;
INSERT INTO user_roles (user_id, role_id)
SELECT id, 1 FROM users WHERE id LIKE 'user_00000000-0000-4000-8000-%';
-- agent_operator for everyone (the seed user too): may mint tokens of the common agent types
INSERT OR IGNORE INTO user_roles (user_id, role_id) SELECT id, 2 FROM users;
COMMIT;
SELECT count(*) FROM users;
"""

    def script(self, sql, what):
        """Runs a multi-statement script (stops at the first error); returns its stdout."""
        return run(["sqlite3", self.db], what, input=sql).stdout

    def query(self, sql, what, check=True):
        """One or more queries; rows on stdout, columns separated by '|'."""
        return run(["sqlite3", "-batch", self.db, sql], what, check=check)

    def info(self):
        return None


class PostgresStore:
    """A throwaway PostgreSQL server for one run: initdb into WORK/pg (trust authentication,
    loopback only, a free port, its unix socket in WORK/pg), `postgres` started in the foreground
    through the harness's process registry (so stop_all() ends it, SIGINT: a fast shutdown, on
    success, failure or Ctrl-C), one database created for the server. As root every server
    command runs as the `postgres` system user (PostgreSQL refuses to run as root). Commits are
    durable: fsync = on and synchronous_commit = on (PostgreSQL's defaults, spelled out)."""
    name = "postgres"
    tool = "psql"
    dbname = "archon_bench"

    def __init__(self, bench):
        self.bench = bench
        self.dir = bench.path("pg")
        self.data = os.path.join(self.dir, "data")
        self.port = None
        self.proc = None
        self.uid = self.gid = None
        self.settings = None

    @staticmethod
    def missing():
        out = []
        for tool in ("initdb", "postgres", "pg_isready"):
            if not os.access(os.path.join(PG_BIN, tool), os.X_OK):
                out.append(f"{PG_BIN}/{tool} (apt-get install postgresql-15, or set ARCHON_PG_BINDIR)")
        if not shutil.which("psql"):
            out.append("psql (apt-get install postgresql-client)")
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                out.append("a 'postgres' system user (PostgreSQL refuses to run as root)")
        return out

    def _as_server_user(self):
        kw = {"env": {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, "cwd": self.dir}
        if self.uid is not None:
            kw.update(user=self.uid, group=self.gid, extra_groups=[])
        return kw

    def start(self):
        os.makedirs(self.dir)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            self.uid, self.gid = pw.pw_uid, pw.pw_gid
            os.chmod(self.bench.work, 0o711)  # the postgres user must reach WORK/pg (no listing)
            os.chown(self.dir, self.uid, self.gid)
        os.chmod(self.dir, 0o700)
        t0 = time.monotonic()
        with open(os.path.join(self.dir, "initdb.log"), "w") as out:
            r = subprocess.run([os.path.join(PG_BIN, "initdb"), "-D", self.data, "-A", "trust", "-U", "postgres",
                                "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"],
                               stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, timeout=120,
                               **self._as_server_user())
        if r.returncode != 0:
            raise HarnessError(f"initdb failed ({r.returncode}):\n{self._tail('initdb.log')}")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("# bench/run: loopback only; durable commits (what the bench measures)\n"
                    f"listen_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                    "fsync = on\nsynchronous_commit = on\nfull_page_writes = on\n"
                    "max_connections = 200\n")
        for attempt in range(5):  # another process may take the free port first
            self.port = free_port()
            if self._start_server():
                break
            if attempt == 4:
                raise HarnessError(f"postgres did not start:\n{self._tail('server.log')}")
            log(f"postgres did not start on port {self.port}, retrying on another")
        self.psql_admin = self._psql_argv("postgres")
        run([*self.psql_admin, "-c", f"CREATE DATABASE {self.dbname}"], "CREATE DATABASE")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/{self.dbname}"
        self.psql = self._psql_argv(self.dbname)
        rows = self.query("SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'fsync', "
                          "'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'max_connections', "
                          "'shared_buffers', 'commit_delay') ORDER BY name", "read the PostgreSQL settings").stdout
        self.settings = dict(line.split("|", 1) for line in rows.splitlines() if "|" in line)
        if self.settings.get("fsync") != "on" or self.settings.get("synchronous_commit") != "on":
            raise HarnessError(f"PostgreSQL is not durable: {self.settings}")
        log(f"postgres {self.settings.get('server_version')} pid {self.proc.pid} on 127.0.0.1:{self.port} "
            f"({time.monotonic() - t0:.1f}s; fsync on, synchronous_commit on)")

    def _start_server(self):
        """postgres in the foreground, a child in the registry; True once it accepts connections."""
        log_path = os.path.join(self.dir, "server.log")
        out = open(log_path, "a")
        try:
            self.proc = self.bench.procs.start(
                "postgres", [os.path.join(PG_BIN, "postgres"), "-D", self.data, "-p", str(self.port)],
                stop_signal=signal.SIGINT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent, **self._as_server_user())
        finally:
            out.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.bench.procs.stop(self.proc)
                return False
            r = subprocess.run([os.path.join(PG_BIN, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port),
                                "-d", "postgres", "-U", "postgres"], capture_output=True)
            if r.returncode == 0:
                return True
            time.sleep(0.1)
        self.bench.procs.stop(self.proc)
        return False

    def _psql_argv(self, db):
        # -X: no ~/.psqlrc; -A -t: unaligned rows, no headers, columns separated by '|'
        return ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-d", f"postgresql://postgres@127.0.0.1:{self.port}/{db}?connect_timeout=10"]

    def _tail(self, name, n=3000):
        try:
            with open(os.path.join(self.dir, name), "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return "(missing)"

    def describe(self):
        return f"database {self.dbname} on 127.0.0.1:{self.port}"

    def server_env(self, env):
        env["ARCHON_AUTH_DATABASE_URL"] = self.url
        return env

    def seed_users_sql(self, n, seed_user_id, now):
        return f"""
BEGIN;
INSERT INTO users (id, email, email_normalized, name, password_hash, email_verified, is_active,
                   marketing_consent, terms_accepted_at, preferences, created_at, updated_at)
SELECT 'user_00000000-0000-4000-8000-' || lpad(i::text, 12, '0'), 'user' || i || '@bench.local',
       'user' || i || '@bench.local', 'Bench User ' || i,
       (SELECT password_hash FROM users WHERE id = '{seed_user_id}'), true, true, false, {now}, '{{}}', {now}, {now}
FROM generate_series(1, {n}) AS i;
INSERT INTO user_roles (user_id, role_id)
SELECT id, 1 FROM users WHERE id LIKE 'user_00000000-0000-4000-8000-%';
-- agent_operator for everyone (the seed user too): may mint tokens of the common agent types
INSERT INTO user_roles (user_id, role_id) SELECT id, 2 FROM users ON CONFLICT DO NOTHING;
COMMIT;
-- planner statistics for the bulk-loaded tables now, not whenever autovacuum gets to them
ANALYZE users;
ANALYZE user_roles;
SELECT count(*) FROM users;
"""

    def script(self, sql, what):
        return run(self.psql, what, input=sql).stdout

    def query(self, sql, what, check=True):
        # on stdin, so every statement's rows are printed (psql -c may print only the last one's)
        return run(self.psql, what, input=sql, check=check)

    def info(self):
        s = self.settings or {}
        cfg = self.bench.args
        return {"server_version": s.get("server_version"), "fsync": s.get("fsync"),
                "synchronous_commit": s.get("synchronous_commit"), "full_page_writes": s.get("full_page_writes"),
                "wal_sync_method": s.get("wal_sync_method"), "commit_delay": s.get("commit_delay"),
                "max_connections": s.get("max_connections"), "shared_buffers_8k_pages": s.get("shared_buffers"),
                "pool_min": cfg.pool_min, "pool_max": cfg.pool_max, "worker_threads": cfg.worker_threads,
                "note": "throwaway server on loopback, data dir in the bench work dir; every commit waits "
                        "for its WAL flush (fsync on, synchronous_commit on): durable commits are what the "
                        "bench measures"}


STORES = {"sqlite": SqliteStore, "postgres": PostgresStore}
