"""Webhooks through the SDK, against the real server and a real receiver on 127.0.0.1 (allowed by
``webhooks.allow_networks``): an administrator registers, lists, reads, updates, rotates and
deletes endpoints; deliveries verify with the ``standardwebhooks`` library; the delivery log, a
redelivery, both secrets during a rotation; the sync client makes the same calls."""
from __future__ import annotations

import asyncio
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, AsyncIterator, Dict, Iterator, List, Tuple, cast

import pytest
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks import WebhookVerificationError

from archon_auth_client import (WEBHOOK_EVENT_TYPES, ArchonAuthClient, ArchonAuthError, AuthConfig,
                                SyncArchonAuthClient, WebhookDelivery)
from archon_testing import TEST_CONFIG, ArchonServer

SECRET_SHAPE = re.compile(r"^whsec_[A-Za-z0-9+/]{43}=$")
WEBHOOK_CONFIG: Dict[str, Any] = {**TEST_CONFIG, "webhooks": {"retry_schedule_seconds": [1, 1],
                                                              "allow_networks": ["127.0.0.0/8"]}}
Received = Tuple[Dict[str, str], bytes]  # (headers, raw body)


class Receiver:
    """An HTTP server in a thread that records every request and answers 200."""

    def __init__(self) -> None:
        self.received: List[Received] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer._lock:
                    outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def wait_for(self, n: int, timeout: float = 15.0) -> List[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= n:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"the receiver got {len(self.received)} of {n} deliveries")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def hooked() -> Iterator[ArchonServer]:
    srv = ArchonServer.start(WEBHOOK_CONFIG)
    yield srv
    problems = srv.stop()
    assert not problems, problems


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
async def admin(hooked: ArchonServer) -> AsyncIterator[ArchonAuthClient]:
    user = hooked.create_user("admin")
    async with ArchonAuthClient(AuthConfig(hooked.base_url)) as client:
        await client.login({"email": user.email, "password": user.password})
        yield client


def verified(secret: str, got: Received) -> Dict[str, Any]:
    """The payload, after standardwebhooks has verified it (it raises when no signature matches)."""
    headers, body = got
    payload = StandardWebhook(secret).verify(body, headers)
    assert isinstance(payload, dict)
    return payload


async def register_user(hooked: ArchonServer) -> str:
    """A user.registered event: registers through the SDK; returns the user's id."""
    async with ArchonAuthClient(AuthConfig(hooked.base_url)) as anon:
        result = await anon.register({"email": f"hook-{time.monotonic_ns()}@example.com",
                                      "password": "violet anchor 92 quietly mosaic", "name": "Hooked",
                                      "terms_accepted": True})
    return str(result["data"]["user_id"])


async def settled(admin: ArchonAuthClient, webhook_id: str, n: int) -> List[WebhookDelivery]:
    """The endpoint's deliveries once n exist and none is pending (the log follows the answer)."""
    items: List[WebhookDelivery] = []
    for _ in range(100):
        items = cast(List[WebhookDelivery],
                     (await admin.list_webhook_deliveries(webhook_id, limit=100))["items"])
        if len(items) >= n and all(d["status"] != "pending" for d in items):
            break
        await asyncio.sleep(0.1)
    return items


async def test_admin_manages_endpoints(admin: ArchonAuthClient) -> None:
    created = await admin.create_webhook("http://127.0.0.1:9/unused", ["user.locked"], description="ops")
    assert SECRET_SHAPE.match(created["secret"]) and re.match(r"^wh_[0-9a-f]{32}$", created["id"])
    assert created["enabled"] is True and created["disabled_reason"] is None
    record = {k: v for k, v in created.items() if k != "secret"}
    assert dict(await admin.get_webhook(created["id"])) == record
    page = await admin.list_webhooks(limit=100)
    assert page["items"][0]["id"] == created["id"]  # newest first
    assert created["secret"] not in repr(page)

    updated = await admin.update_webhook(created["id"], enabled=False, event_types=["*"], description="")
    assert (updated["enabled"], updated["event_types"], updated["description"]) == (False, ["*"], "")
    assert updated["url"] == created["url"]
    assert (await admin.update_webhook(created["id"], enabled=True))["enabled"] is True

    await admin.delete_webhook(created["id"])
    with pytest.raises(ArchonAuthError) as gone:
        await admin.get_webhook(created["id"])
    assert (gone.value.status, gone.value.code) == (404, "RESOURCE_NOT_FOUND")


async def test_refusals(admin: ArchonAuthClient, receiver: Receiver) -> None:
    with pytest.raises(ArchonAuthError) as loopback6:
        await admin.create_webhook("http://[::1]:9/", ["*"])  # ::1/128 is not in allow_networks
    assert (loopback6.value.status, loopback6.value.code) == (422, "VALIDATION_CONSTRAINT_VIOLATION")
    assert "url" in loopback6.value.details
    with pytest.raises(ArchonAuthError) as unknown:
        await admin.create_webhook(receiver.url, ["user.nope"])
    assert unknown.value.status == 422 and "event_types" in unknown.value.details
    assert "user.registered" in WEBHOOK_EVENT_TYPES


async def test_deliveries_verify_redeliver_and_rotate(hooked: ArchonServer, admin: ArchonAuthClient,
                                                      receiver: Receiver) -> None:
    hook = await admin.create_webhook(receiver.url, ["user.registered"])
    user_id = await register_user(hooked)
    first = receiver.wait_for(1)[0]
    event = verified(hook["secret"], first)
    assert event["type"] == "user.registered" and event["data"]["user_id"] == user_id, event
    event_id = first[0]["webhook-id"]

    [delivery] = await settled(admin, hook["id"], 1)
    assert (delivery["event_id"], delivery["status"], delivery["attempts"]) == (event_id, "succeeded", 1)
    assert [(a["attempt"], a["status_code"], a["error"]) for a in delivery["attempt_log"]] == [(1, 200, None)]

    again = await admin.redeliver_webhook(hook["id"], delivery["id"])
    assert again["status"] == "pending" and again["delivery_id"] != delivery["id"]
    resent = receiver.wait_for(2)[1]
    assert resent[0]["webhook-id"] == event_id and resent[1] == first[1]
    verified(hook["secret"], resent)

    rotated = await admin.rotate_webhook_secret(hook["id"])
    assert SECRET_SHAPE.match(rotated["secret"]) and rotated["secret"] != hook["secret"]
    assert rotated["previous_secret_expires_at"] is not None
    await register_user(hooked)
    during = receiver.wait_for(3)[2]
    assert len(during[0]["webhook-signature"].split(" ")) == 2
    for secret in (rotated["secret"], hook["secret"]):
        assert verified(secret, during)["type"] == "user.registered"
    with pytest.raises(WebhookVerificationError):
        verified("whsec_" + "A" * 43 + "=", during)
    await admin.delete_webhook(hook["id"])


async def test_a_service_manages_webhooks_with_a_key_alone(hooked: ArchonServer,
                                                          admin: ArchonAuthClient) -> None:
    key = (await admin.create_api_key("hook manager", ["webhooks:manage"]))["key"]
    async with ArchonAuthClient(AuthConfig(hooked.base_url, api_key=key, max_retries=0)) as svc:
        hook = await svc.create_webhook("http://127.0.0.1:9/svc", ["*"], enabled=False)
        assert hook["id"] in [w["id"] for w in (await svc.list_webhooks(limit=100))["items"]]
        assert (await svc.list_webhook_deliveries(hook["id"]))["items"] == []
        await svc.delete_webhook(hook["id"])
    reader = (await admin.create_api_key("reader", ["users:read"]))["key"]
    async with ArchonAuthClient(AuthConfig(hooked.base_url, api_key=reader, max_retries=0)) as svc:
        with pytest.raises(ArchonAuthError) as refused:
            await svc.list_webhooks()
    assert refused.value.status == 403
    assert refused.value.details.get("required_scope") == "webhooks:manage"


async def test_non_admins_cannot_manage_webhooks(hooked: ArchonServer) -> None:
    user = hooked.create_user("user")
    async with ArchonAuthClient(AuthConfig(hooked.base_url)) as client:
        await client.login({"email": user.email, "password": user.password})
        with pytest.raises(ArchonAuthError) as refused:
            await client.list_webhooks()
        assert (refused.value.status, refused.value.code) == (403, "AUTH_INSUFFICIENT_PERMISSIONS")


def test_the_sync_client_manages_webhooks(hooked: ArchonServer, receiver: Receiver) -> None:
    user = hooked.create_user("admin")
    with SyncArchonAuthClient(AuthConfig(hooked.base_url)) as admin:
        admin.login({"email": user.email, "password": user.password})
        hook = admin.create_webhook(receiver.url, ["user.registered"], enabled=True)
        asyncio.run(register_user(hooked))
        verified(hook["secret"], receiver.wait_for(1)[0])
        deliveries = admin.list_webhook_deliveries(hook["id"])["items"]
        assert len(deliveries) == 1 and deliveries[0]["event_type"] == "user.registered"
        assert admin.rotate_webhook_secret(hook["id"])["secret"] != hook["secret"]
        admin.delete_webhook(hook["id"])
        assert hook["id"] not in repr(admin.list_webhooks(limit=100))
