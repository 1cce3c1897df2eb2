"""Helpers for the API-key tests (tests/api/test_api_keys*.py), written from issue 22 part 3 and
docs/api-keys.md.

- The key's shape: "archon_sk_" + 32 base62 random characters + a 6-character base62 CRC-32
  (zlib's) of the 42 characters before it, big-endian value, left-padded with '0'. The checksum is
  recomputed here, independently of the server, so a test proves what a secret scanner would see.
- KeyAdmin: the admin endpoints (/api/v2/admin/api-keys) on an AgentWorld (agent_support), so
  the agent flow, the service client, the audit reader and users of any role are at hand.
"""
from __future__ import annotations

import re
import secrets
import time
import zlib

from agent_support import AgentWorld
from support import assert_success, parse_iso8601

API_KEYS = "/api/v2/admin/api-keys"
USERS = "/api/v2/users"
AUDIT = "/api/v2/audit"
INTROSPECT = "/api/v2/auth/introspect"
REVOKE = "/api/v2/auth/revoke"

SCOPES = ["agents:verify", "tokens:introspect", "tokens:revoke", "users:read", "audit:read",
          "webhooks:manage"]
RECORD_KEYS = {"id", "name", "scopes", "prefix", "created_at", "expires_at", "last_used_at",
               "revoked_at", "created_by"}

PREFIX = "archon_sk_"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
KEY_RE = re.compile(r"^archon_sk_[0-9A-Za-z]{38}$")
ID_RE = re.compile(r"^key_[0-9a-f]{32}$")
MAX_EXPIRES_IN = 157_680_000  # five years


# ----------------------------------------------------------------------------- the key's shape


def base62_fixed(value: int, width: int = 6) -> str:
    out = ""
    for _ in range(width):
        value, digit = divmod(value, 62)
        out = BASE62[digit] + out
    assert value == 0, "does not fit"
    return out


def checksum(body: str) -> str:
    """The 6-character checksum of the 42 characters before it."""
    return base62_fixed(zlib.crc32(body.encode("ascii")) & 0xFFFFFFFF)


def well_formed(key: str) -> bool:
    return bool(KEY_RE.match(key)) and checksum(key[:42]) == key[42:]


def random_part(key: str) -> str:
    """The 32 random characters (what must not leak, even without the fixed prefix)."""
    return key[len(PREFIX):len(PREFIX) + 32]


def forged_key() -> str:
    """A key of the right shape and checksum that the server never issued."""
    body = PREFIX + "".join(secrets.choice(BASE62) for _ in range(32))
    return body + checksum(body)


def with_bad_checksum(key: str) -> str:
    """The same random part with a checksum that does not match it."""
    last = key[-1]
    return key[:-1] + ("0" if last != "0" else "1")


def key_header(key: str) -> dict:
    return {"X-API-Key": key}


# ----------------------------------------------------------------------------- admin calls


class KeyAdmin:
    """The API-key admin endpoints, called with an administrator's access token by default."""

    def __init__(self, world: AgentWorld):
        self.world = world
        self.client = world.client

    def token(self, token: str | None) -> str:
        return token if token is not None else self.world.admin.access_token

    def create_raw(self, body, token: str | None = None, **kw):
        return self.client.post(API_KEYS, body, token=self.token(token), **kw)

    def create(self, scopes, name: str | None = None, expires_in: int | None = None) -> dict:
        """Creates a key (201 asserted); the data, secret included."""
        body = {"name": name or f"svc-{secrets.token_hex(4)}", "scopes": list(scopes)}
        if expires_in is not None:
            body["expires_in"] = expires_in
        return assert_success(self.create_raw(body), 201)["data"]

    def list(self, token: str | None = None, **params):
        return self.client.get(API_KEYS, token=self.token(token), params=params or None)

    def get(self, key_id: str, token: str | None = None):
        return self.client.get(f"{API_KEYS}/{key_id}", token=self.token(token))

    def revoke(self, key_id: str, token: str | None = None):
        return self.client.delete(f"{API_KEYS}/{key_id}", token=self.token(token))

    def record(self, key_id: str) -> dict:
        return assert_success(self.get(key_id))["data"]

    def wait_last_used(self, key_id: str, timeout: float = 5.0) -> dict:
        """The record once last_used_at is set (the server may record the use after answering)."""
        deadline = time.monotonic() + timeout
        while True:
            rec = self.record(key_id)
            if rec["last_used_at"] is not None or time.monotonic() >= deadline:
                return rec
            time.sleep(0.1)

    def audit_rows_of_request(self, resp, timeout: float = 5.0) -> list[dict]:
        """Every audit row written by the request that answered `resp` (its X-Request-ID)."""
        rid = resp.headers.get("X-Request-ID")
        assert rid, "no X-Request-ID"
        deadline = time.monotonic() + timeout
        while True:
            r = self.client.get(AUDIT, token=self.world.admin.access_token, params={"limit": 100})
            rows = [row for row in assert_success(r)["data"] if row.get("request_id") == rid]
            if rows or time.monotonic() >= deadline:
                return rows
            time.sleep(0.1)


# ----------------------------------------------------------------------------- assertions


def assert_record(rec: dict, *, secret: bool) -> None:
    """The shape of a key record; `secret`: the one answer (creation) that carries the key."""
    expected = RECORD_KEYS | ({"key"} if secret else set())
    assert set(rec) == expected, f"record keys {sorted(rec)} != {sorted(expected)}"
    assert ID_RE.match(rec["id"]), rec["id"]
    assert isinstance(rec["name"], str) and rec["name"], rec
    assert isinstance(rec["scopes"], list) and rec["scopes"], rec
    assert set(rec["scopes"]) <= set(SCOPES), rec["scopes"]
    parse_iso8601(rec["created_at"])
    for field in ("expires_at", "last_used_at", "revoked_at"):
        if rec[field] is not None:
            parse_iso8601(rec[field])
    assert rec["prefix"].startswith(PREFIX) and len(rec["prefix"]) == 14, rec["prefix"]
    if secret:
        assert well_formed(rec["key"]), f"key {rec['key'][:14]}... is not archon_sk_ + 38 base62 with a valid CRC"
        assert rec["prefix"] == rec["key"][:14], (rec["prefix"], rec["key"][:14])


def assert_no_secret(obj, key: str) -> None:
    """Neither the key nor its random part appears anywhere in this JSON value."""
    text = repr(obj)
    assert key not in text and random_part(key) not in text, f"the key appears in {text[:300]}"
