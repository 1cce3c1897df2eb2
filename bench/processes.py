"""Process and HTTP plumbing of bench/run: the harness's error and log line, the registry of the
processes it starts (so every one is stopped on exit, by its own pid), subprocess and port helpers,
and the small JSON-over-HTTP client of the seeding and the probes.

Kept apart from the harness (bench/run) so the store backends (stores.py) and the instruments
(measure.py) share it without importing the entry point. Python 3 standard library only.
"""
import ctypes
import http.client
import json
import signal
import socket
import subprocess
import sys
import time


class HarnessError(Exception):
    pass


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes we own
class Processes:
    """Every long-lived process the harness starts; stop_all() ends each one by its own pid."""

    def __init__(self):
        self.procs = []  # (name, Popen, stop signal)

    def start(self, name, argv, stop_signal=signal.SIGTERM, **kw):
        p = subprocess.Popen(argv, **kw)
        self.procs.append((name, p, stop_signal))
        return p

    def stop(self, p, timeout=15):
        for name, q, sig in list(self.procs):
            if q is p:
                self._stop_one(name, q, sig, timeout)
                self.procs.remove((name, q, sig))

    @staticmethod
    def _stop_one(name, p, sig, timeout):
        if p.poll() is not None:
            return
        try:
            p.send_signal(sig)
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log(f"{name} (pid {p.pid}) did not stop in {timeout}s: SIGKILL")
            p.kill()
            p.wait()
        except ProcessLookupError:
            pass

    def stop_all(self):
        while self.procs:
            name, p, sig = self.procs.pop()
            self._stop_one(name, p, sig, 15)


def run(argv, what, input=None, timeout=600, check=True, env=None):
    r = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout, env=env)
    if check and r.returncode != 0:
        raise HarnessError(f"{what} failed (exit {r.returncode}): {' '.join(argv)}\n{r.stdout}{r.stderr}")
    return r


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HarnessError(f"{what} exited with status {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise HarnessError(f"{what} did not listen on 127.0.0.1:{port} within {timeout}s")

# ---------------------------------------------------------------- HTTP helpers (seeding, probes)
def http_json(port, method, path, body=None, headers=None, conn=None, timeout=30):
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    hdrs = dict(headers or {})
    data = None
    if body is not None:
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        else:
            data = body.encode() if isinstance(body, str) else body
    conn.request(method, path, body=data, headers=hdrs)
    resp = conn.getresponse()
    raw = resp.read().decode("utf-8", "replace")
    if own:
        conn.close()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return resp.status, parsed, raw


# ---------------------------------------------------------------- children that die with the harness
try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:
    _LIBC = None


def die_with_parent():
    """preexec_fn (it runs after the switch to the server user, which would clear it): SIGQUIT, an
    immediate shutdown, when the harness dies without cleaning up (SIGKILL)."""
    if _LIBC is not None:
        _LIBC.prctl(1, int(signal.SIGQUIT), 0, 0, 0)  # PR_SET_PDEATHSIG
