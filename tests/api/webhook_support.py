"""Helpers for the webhook tests (tests/api/test_webhooks*.py), written from issue 22 part 1 and the
server contract (docs/webhooks.md): Standard Webhooks signing, durable at-least-once delivery with
retries, auto-disable, SSRF guards.

- Receiver: a real HTTP server on 127.0.0.1 that records every request (headers, raw body bytes)
  and answers what the test scripts (a status per attempt, redirects).
- verify_py / verify_js: the `standardwebhooks` libraries for Python and for JavaScript (node, fed
  the received headers and bodies as JSON through webhook_js/verify.mjs). Nothing here re-implements
  the signature: the point is that the libraries receivers use accept what the server sends.
- Hooks: the admin endpoints (/api/v2/admin/webhooks) on an AgentWorld (agent_support), so users,
  an admin, agent calls and the audit reader are at hand.
"""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from agent_support import AgentWorld
from identity_support import data_of, identity_config
from support import assert_success

HOOKS = "/api/v2/admin/webhooks"
AUDIT = "/api/v2/audit"
JS_DIR = Path(__file__).resolve().parent / "webhook_js"

# Loopback allowed: the receivers of these tests listen on 127.0.0.1.
ALLOW_LOOPBACK = ["127.0.0.0/8", "::1/128"]
EVENT_TYPES = ["user.registered", "user.email_verified", "user.locked", "user.password_changed",
               "user.deactivated", "session.revoked", "refresh_token.reuse_detected",
               "agent.token_issued", "agent.delegated", "agent.token_revoked",
               "webhook.endpoint_disabled"]
ENDPOINT_KEYS = {"id", "url", "description", "event_types", "enabled", "disabled_reason",
                 "previous_secret_expires_at", "last_success_at", "created_at", "updated_at"}
DELIVERY_KEYS = {"id", "event_id", "event_type", "status", "attempts", "next_attempt_at",
                 "created_at", "completed_at", "attempt_log"}
ATTEMPT_KEYS = {"attempt", "at", "status_code", "latency_ms", "error"}


def webhook_config(webhooks: dict | None = None, extra: dict | None = None) -> dict:
    """identity_config (rate limits lifted) plus a `webhooks` block: fast retries, loopback allowed."""
    hooks = {"retry_schedule_seconds": [1, 1, 1], "allow_networks": ALLOW_LOOPBACK,
             "connect_timeout_ms": 2000, "timeout_ms": 5000}
    hooks.update(webhooks or {})
    return identity_config({"webhooks": hooks, **(extra or {})})


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    """predicate()'s first truthy value, polling until `timeout` s; AssertionError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# ----------------------------------------------------------------------------- the receiver


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # names lowercased
    body: bytes
    at: float  # time.monotonic()
    wall: float = 0.0  # time.time()

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def type(self) -> str:
        return self.json.get("type", "")


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0  # seconds to wait before answering (a slow receiver)


class Receiver:
    """An HTTP server on 127.0.0.1 recording every request. `answers`: the answer to request n is
    answers[n] (the last one repeats), or answers(received) when callable; default 200. Tests may
    replace `answers` while it runs."""

    def __init__(self, port: int = 0, answers=None):
        self.answers = answers or [Answer()]
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False  # close() must not wait for a handler holding a slow answer
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _handler_class(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                rec = Received(self.path, headers, body, time.monotonic(), time.time())
                with receiver.lock:
                    n = len(receiver.received)
                    receiver.received.append(rec)
                    answers = receiver.answers
                answer = answers(rec) if callable(answers) else answers[min(n, len(answers) - 1)]
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    for k, v in answer.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting (its timeout): nothing to answer

            do_GET = do_POST  # a followed redirect would arrive as GET: record it too

            def log_message(self, *args):  # quiet
                pass

        return Handler

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def wait_for(self, predicate=lambda r: True, count: int = 1, timeout: float = 10.0) -> list[Received]:
        """At least `count` received requests matching predicate (all of them), polling."""
        def enough():
            found = [r for r in self.snapshot() if predicate(r)]
            return found if len(found) >= count else None
        return wait_until(enough, timeout, f"{count} matching request(s) at the receiver "
                                           f"(has {len(self.snapshot())})")

    def of_type(self, event_type: str, timeout: float = 10.0, where=lambda data: True) -> Received:
        """The first delivery of `event_type` whose data satisfies `where`."""
        return self.wait_for(lambda r: r.type == event_type and where(r.json["data"]), 1, timeout)[0]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# ----------------------------------------------------------------------------- the two verifiers


def verify_py(secret: str, rec: Received) -> dict:
    """The payload, verified by the Python `standardwebhooks` library (raises when it refuses)."""
    return Webhook(secret).verify(rec.body, rec.headers)


def js_ready() -> str:
    """The node binary, with webhook_js/node_modules installed (npm ci); skips loudly without npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node:
        pytest.skip("node is not installed: the JavaScript standardwebhooks check cannot run")
    if not (JS_DIR / "node_modules" / "standardwebhooks").is_dir():
        if not npm:
            pytest.skip("npm is not installed: cannot install tests/api/webhook_js (standardwebhooks)")
        proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=JS_DIR,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"npm ci in {JS_DIR} failed:\n{proc.stderr[-2000:]}"
    return node


def verify_js(cases: list[tuple[str, Received]]) -> list[dict]:
    """Each (secret, delivery) verified by the JavaScript `standardwebhooks` library; one result
    {ok, error, type} per case."""
    node = js_ready()
    payload = [{"secret": s, "headers": r.headers, "body_b64": base64.b64encode(r.body).decode()}
               for s, r in cases]
    proc = subprocess.run([node, str(JS_DIR / "verify.mjs")], input=json.dumps(payload),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"verify.mjs exited {proc.returncode}:\n{proc.stderr[-2000:]}"
    results = json.loads(proc.stdout)
    assert len(results) == len(cases), results
    return results


def assert_both_verify(cases: list[tuple[str, Received]]) -> None:
    """Every (secret, delivery) is accepted by the Python AND the JavaScript library."""
    for secret, rec in cases:
        assert verify_py(secret, rec) == rec.json
    bad = [(rec.type, rec.headers, res) for (_, rec), res in zip(cases, verify_js(cases)) if not res["ok"]]
    assert not bad, f"the JavaScript standardwebhooks library refused: {bad}"


def refused_by_both(secret: str, rec: Received) -> bool:
    try:
        verify_py(secret, rec)
        return False
    except Exception:  # noqa: BLE001 - WebhookVerificationError and friends
        pass
    return not verify_js([(secret, rec)])[0]["ok"]


# ----------------------------------------------------------------------------- admin calls


class Hooks:
    """The webhook admin endpoints, with the admin's access token unless `token`/`headers` given."""

    def __init__(self, world: AgentWorld):
        self.world = world
        self.client = world.client
        self.created: list[str] = []

    def _auth(self, token, headers):
        if headers is not None:
            return {"headers": headers}
        return {"token": token if token is not None else self.world.admin.access_token}

    def create_raw(self, body, token=None, headers=None, **kw):
        return self.client.post(HOOKS, body, **self._auth(token, headers), **kw)

    def create(self, url: str, event_types=("*",), **extra) -> dict:
        data = data_of(self.create_raw({"url": url, "event_types": list(event_types), **extra}), 201)
        self.created.append(data["id"])
        return data

    def get(self, hook_id: str, token=None, headers=None):
        return self.client.get(f"{HOOKS}/{hook_id}", **self._auth(token, headers))

    def endpoint(self, hook_id: str) -> dict:
        return data_of(self.get(hook_id))

    def list(self, token=None, headers=None, **params):
        return self.client.get(HOOKS, params=params or None, **self._auth(token, headers))

    def patch(self, hook_id: str, body, token=None, headers=None):
        return self.client.patch(f"{HOOKS}/{hook_id}", body, **self._auth(token, headers))

    def delete(self, hook_id: str):
        return self.client.delete(f"{HOOKS}/{hook_id}", token=self.world.admin.access_token)

    def rotate(self, hook_id: str):
        return self.client.post(f"{HOOKS}/{hook_id}/rotate-secret", **self._auth(None, None))

    def deliveries(self, hook_id: str, **params) -> list[dict]:
        r = self.client.get(f"{HOOKS}/{hook_id}/deliveries", token=self.world.admin.access_token,
                            params=params or None)
        return assert_success(r)["data"]

    def all_deliveries(self, hook_id: str) -> list[dict]:
        out, page = [], 1
        while True:
            r = self.client.get(f"{HOOKS}/{hook_id}/deliveries", token=self.world.admin.access_token,
                                params={"page": page, "limit": 100})
            body = assert_success(r)
            out.extend(body["data"])
            if not body["meta"].get("pagination", {}).get("has_next"):
                return out
            page += 1

    def wait_delivery(self, hook_id: str, event_id: str, status: str, timeout: float = 10.0) -> dict:
        """The delivery of event_id once its status is `status`."""
        def done():
            for d in self.deliveries(hook_id, limit=100):
                if d["event_id"] == event_id and d["status"] == status:
                    return d
            return None
        return wait_until(done, timeout, f"delivery of {event_id} to {hook_id} with status {status}",
                          interval=0.1)

    def redeliver(self, hook_id: str, delivery_id):
        return self.client.post(f"{HOOKS}/{hook_id}/deliveries/{delivery_id}/redeliver",
                                token=self.world.admin.access_token)

    def cleanup(self):
        """Deletes the endpoints this object created (a later test's events must not go to them)."""
        for hook_id in self.created:
            self.delete(hook_id)
        self.created.clear()


def assert_endpoint(ep: dict, *, secret: bool) -> None:
    expected = ENDPOINT_KEYS | ({"secret"} if secret else set())
    assert set(ep) == expected, f"endpoint keys {sorted(ep)} != {sorted(expected)}"
    assert ep["id"].startswith("wh_") and len(ep["id"]) == 35, ep["id"]
    if secret:
        raw = base64.b64decode(ep["secret"][len("whsec_"):])
        assert ep["secret"].startswith("whsec_") and len(raw) == 32, "secret is not whsec_ + base64(32 bytes)"
