"""A webhook receiver for the cluster tests: a threaded HTTP server on 127.0.0.1 that records every
request (event id, raw body, headers, the sender's source port, when it came and when it was
answered) and answers 200 after `delay` seconds; and `sender_ports`, which tells the source ports
of one process's connections to it (from /proc), so a test knows which instance sent what."""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


@dataclass
class Delivery:
    event_id: str
    port: int                    # the sender's source port
    headers: dict
    body: bytes
    t_start: float               # time.monotonic() when the request had arrived
    t_answer: float | None = None  # when the answer was written (None: still waiting)

    def payload(self, secret: str) -> dict:
        """The payload, verified with the standardwebhooks library (raises when it does not)."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.requests: list[Delivery] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="webhook-receiver")

    def _handler(self):
        rx = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                d = Delivery(self.headers.get("webhook-id", ""), self.client_address[1],
                             {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                with rx.lock:
                    rx.requests.append(d)
                delay = rx.delay
                if delay:
                    time.sleep(delay)
                d.t_answer = time.monotonic()
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender died while we slept

            def log_message(self, format, *args):
                pass

        return Handler

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def snapshot(self) -> list[Delivery]:
        with self.lock:
            return list(self.requests)

    def user_ids(self, secret: str) -> dict[str, list[Delivery]]:
        """The answered requests by the user_id in their (verified) payload."""
        out: dict[str, list[Delivery]] = {}
        for d in self.snapshot():
            if d.t_answer is not None:
                out.setdefault(d.payload(secret)["data"]["user_id"], []).append(d)
        return out


def sender_ports(pid: int, receiver_port: int) -> set[int]:
    """The local ports of process `pid`'s TCP connections to 127.0.0.1:receiver_port."""
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            link = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue  # closed meanwhile
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                local, remote, inode = fields[1], fields[2], fields[9]
                if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == receiver_port:
                    ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


class PortSampler:
    """Samples, every 10 ms until stopped, which instance owns each connection to the receiver,
    so that requests can be told apart by sender afterwards (a port seen on no sample is unknown)."""

    def __init__(self, instances, receiver_port: int):
        self.instances, self.receiver_port = instances, receiver_port
        self.owner: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="port-sampler")

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            for inst in self.instances:
                try:
                    for port in sender_ports(inst.proc.pid, self.receiver_port):
                        self.owner[port] = inst.name
                except OSError:
                    pass  # the process is gone

    def __enter__(self) -> "PortSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
