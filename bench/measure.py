"""The instruments of bench/run besides wrk: the server's resident memory (proc_status, sampled
per scenario by RssSampler), the Argon2id hash time (HashTimer: the server's own code, and
libsodium's as a reference) and the fsync floor under every durable commit (fsync_time).

Kept apart from the harness (bench/run), which decides when to measure; these only measure.
Python 3 standard library only.
"""
import ctypes
import ctypes.util
import json
import os
import re
import threading
import time

from processes import HarnessError


def proc_status(pid):
    """VmRSS and VmHWM of pid in bytes (None when gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
    except OSError:
        return None
    out = {}
    for key in ("VmRSS", "VmHWM"):
        m = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
        out[key] = int(m.group(1)) * 1024 if m else None
    return out


class RssSampler(threading.Thread):
    """Samples the server's VmRSS every 100 ms; keeps the maximum per phase (scenario)."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.phase = "idle"
        self.max_by_phase = {}
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.is_set():
            st = proc_status(self.pid)
            if st and st["VmRSS"]:
                cur = self.max_by_phase.get(self.phase, 0)
                self.max_by_phase[self.phase] = max(cur, st["VmRSS"])
            self.stop_event.wait(0.1)


class HashTimer:
    """The Argon2id hash time of the seeded password, sampled by hash_samples() and summed up by
    hash_summary(). run_cli runs `archon-auth ARGV` on the bench's data dir, config and store
    (Bench.run_cli); store reads the seeded hash for libsodium (SqliteStore or PostgresStore)."""

    def __init__(self, run_cli, store, password):
        self.run_cli = run_cli
        self.store = store
        self.password = password
        self._sodium = None
        self._stored_hash = None
        self._hash_info = {}
        self._libsodium_samples = []

    def hash_samples(self, runs):
        """Time the server's own Argon2id verification (`archon-auth passwords benchmark`: the
        same code, the same configured cost, one thread keeping its memory as a busy hashing
        thread does), without the server around it. Called right before and right after
        login_1c, so both see the same machine load. Also times libsodium's
        crypto_pwhash_str_verify on the same cost, as a reference only (the server used it until
        the sixth session)."""
        out = self.run_cli("time Argon2id (passwords benchmark)", "passwords", "benchmark", "--runs", str(runs))
        doc = json.loads(out.stdout)
        self._hash_info = {"implementation": doc["implementation"], "params": doc["params"]}
        self._libsodium_samples += self.libsodium_samples(max(1, runs // 2))
        return list(doc["samples_ms"])

    def libsodium_samples(self, runs):
        if self._sodium is None:
            lib = ctypes.util.find_library("sodium")
            try:
                sodium = ctypes.CDLL(lib) if lib else None
            except OSError:
                sodium = None
            if sodium is None or sodium.sodium_init() < 0:
                self._sodium = False
                return []
            self._sodium = sodium
            self._stored_hash = self.store.query(
                "SELECT password_hash FROM users WHERE email_normalized = 'seed0@bench.local'",
                "read the seed hash").stdout.strip().encode()
        if self._sodium is False:
            return []
        pw = self.password.encode()
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            rc = self._sodium.crypto_pwhash_str_verify(ctypes.c_char_p(self._stored_hash), ctypes.c_char_p(pw),
                                                       ctypes.c_ulonglong(len(pw)))
            times.append((time.perf_counter() - t0) * 1000)
            if rc != 0:
                raise HarnessError("libsodium did not verify the seeded hash with the bench password")
        return times

    def hash_summary(self, samples):
        if not samples:
            return None
        t = sorted(samples)
        summary = {"median_ms": round(t[len(t) // 2], 2), "min_ms": round(t[0], 2), "max_ms": round(t[-1], 2),
                   "runs": len(t), **self._hash_info}
        if self._libsodium_samples:
            ls = sorted(self._libsodium_samples)
            summary["libsodium_reference_median_ms"] = round(ls[len(ls) // 2], 2)
        return summary


def fsync_time(path, runs):
    """Median time of a 4 KiB write + fsync in the data dir's file system: the floor under every
    durable commit (the store runs SQLite in WAL mode with synchronous=FULL; with --store
    postgres the PostgreSQL data dir is in the same work dir, fsync on, synchronous_commit on).
    path: the probe file (created, then removed); runs: the number of fsyncs."""
    times = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for i in range(runs):
            os.pwrite(fd, os.urandom(4096), (i % 16) * 4096)
            t0 = time.perf_counter()
            os.fsync(fd)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        os.close(fd)
        os.unlink(path)
    times.sort()
    return {"median_ms": round(times[len(times) // 2], 3), "p90_ms": round(times[int(len(times) * 0.9)], 3),
            "runs": len(times)}
