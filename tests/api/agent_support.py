"""Helpers for the agent tests (tests/api/test_agents_*.py), written from issue 5, docs/agents.md,
config/agents.yaml and src/store/sqlite/migrations/0003_agents.sql.

- AgentWorld: one running server plus what the agent tests need around it: users of a given role
  made with `archon-auth users create` and logged in, an admin (for the audit log and the role
  grants), a service client for tool-server verification (`archon-auth clients create`), and one
  call per agent endpoint.
- FastVerifier: a keep-alive HTTP/1.1 connection that sends one pre-built verify request again and
  again (the load beside the revocation test).
- The spec's code_implementer example, the shipped catalog, and a forger of self-signed tokens.
"""
from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography.hazmat.primitives.asymmetric import ec

from identity_support import (AUDIT, LOGOUT, Client, User, create_admin, data_of, identity_config,
                              jwt_parts, login_user, unique_email, users_create)
from store_support import real_binary
from support import assert_success
from token_support import forge

REPO = Path(__file__).resolve().parents[2]

AUTHENTICATE = "/api/v2/auth/agents/authenticate"
DELEGATE = "/api/v2/auth/agents/delegate"
VERIFY = "/api/v2/auth/agents/verify"
TOKENS = "/api/v2/auth/agents/tokens"
TYPES = "/api/v2/agents/types"
JWKS = "/.well-known/jwks.json"


def grants_path(role: str) -> str:
    return f"/api/v2/admin/roles/{role}/agent-grants"


AGENT_TYP = "agent+jwt"
# The spec's example (issue 5, "What it must show").
SPEC_TYPE = "code_implementer"
SPEC_REQUESTED = ["file:read", "file:write", "git:commit", "npm:install"]
SPEC_GRANTED = ["file:read", "file:write", "git:commit"]
SPEC_TASK = {"project_id": "proj_123", "task_type": "feature_implementation", "estimated_duration": 300}
SPEC_RESTRICTIONS = {"file_paths": ["/project/src/**"], "git_branches": ["feature/*"],
                     "max_file_size": "10MB"}
# The claims issue 5 names for an agent token (the spec's), plus agent_id.
SPEC_CLAIMS = {"iss", "sub", "aud", "exp", "iat", "jti", "type", "agent_type", "capabilities",
               "task_context", "restrictions", "agent_id"}

OPERATOR_PASSWORD = "operator password 4 agent tests"


def catalog() -> dict:
    """The shipped catalog (config/agents.yaml)."""
    return yaml.safe_load((REPO / "config" / "agents.yaml").read_text())


def common_types() -> set[str]:
    return {name for name, t in catalog()["agent_types"].items() if t.get("common")}


def all_types() -> list[str]:
    return list(catalog()["agent_types"])


# ----------------------------------------------------------------------------- the world


class AgentWorld:
    """A server and the actors of the agent tests."""

    def __init__(self, server, archon_bin: Path):
        self.server = server
        self.archon_bin = Path(archon_bin)
        self.client = Client(server, pool=32)
        self._admin: User | None = None
        self._service: tuple[str, str] | None = None

    # -- actors
    def user(self, role: str = "agent_operator", prefix: str | None = None) -> User:
        u = User(unique_email(prefix or role.replace("_", "-")), OPERATOR_PASSWORD, f"Agent test {role}")
        users_create(self.archon_bin, self.server.data_dir, u.email, u.name, role, u.password)
        login_user(self.client, u)
        return u

    @property
    def admin(self) -> User:
        if self._admin is None:
            self._admin = create_admin(self.archon_bin, self.client)
        return self._admin

    @property
    def service(self) -> tuple[str, str]:
        """(client_id, client_secret) of a service client, as a tool server holds."""
        if self._service is None:
            argv = [str(self.archon_bin), "clients", "create", "--data-dir", str(self.server.data_dir),
                    "--name", "tool"]
            env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHON_AUTH_")}
            env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
            proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60,
                                  stdin=subprocess.DEVNULL)
            assert "Sanitizer" not in proc.stderr, proc.stderr[-3000:]
            assert proc.returncode == 0, f"{argv} exited {proc.returncode}: {proc.stderr[-2000:]}"
            obj = json.loads(proc.stdout)
            self._service = (obj["client_id"], obj["client_secret"])
        return self._service

    def basic_header(self) -> dict:
        cid, secret = self.service
        return {"Authorization": "Basic " + base64.b64encode(f"{cid}:{secret}".encode()).decode()}

    # -- endpoints
    def authenticate(self, user_or_token, agent_type: str = SPEC_TYPE, caps=None, task_context=None,
                     **extra):
        token = user_or_token if isinstance(user_or_token, str) else user_or_token.access_token
        body = {"agent_type": agent_type,
                "capabilities_requested": list(SPEC_REQUESTED if caps is None else caps)}
        if task_context is not False:
            body["task_context"] = dict(SPEC_TASK if task_context is None else task_context)
        body.update(extra)
        return self.client.post(AUTHENTICATE, body, token=token)

    def mint(self, user_or_token, agent_type: str = SPEC_TYPE, caps=None, task_context=None) -> dict:
        """authenticate, asserting 200; the data."""
        return data_of(self.authenticate(user_or_token, agent_type, caps, task_context))

    def delegate(self, agent_token: str, caps, agent_type: str = SPEC_TYPE, restrictions=None,
                 task_context=None):
        body = {"agent_type": agent_type, "capabilities_requested": list(caps)}
        if restrictions is not None:
            body["restrictions"] = restrictions
        if task_context is not None:
            body["task_context"] = task_context
        return self.client.post(DELEGATE, body, token=agent_token)

    def child(self, agent_token: str, caps, agent_type: str = SPEC_TYPE, restrictions=None,
              task_context=None) -> dict:
        return data_of(self.delegate(agent_token, caps, agent_type, restrictions, task_context))

    def verify_self(self, agent_token: str, capability: str, resource: dict | None = None):
        """An agent asking about itself: its token is the Bearer, no `token` field."""
        body = {"capability": capability}
        if resource is not None:
            body["resource"] = resource
        return self.client.post(VERIFY, body, token=agent_token)

    def verify_tool(self, agent_token: str, capability: str, resource: dict | None = None,
                    headers: dict | None = None):
        """A tool server asking about a token it was handed: `token` field, Basic service client
        (unless `headers` replaces the credential)."""
        body = {"token": agent_token, "capability": capability}
        if resource is not None:
            body["resource"] = resource
        return self.client.post(VERIFY, body, headers=self.basic_header() if headers is None else headers)

    def decision(self, resp) -> dict:
        data = data_of(resp)
        assert set(data) == {"allowed", "reason", "agent_id", "agent_type"}, data
        assert isinstance(data["allowed"], bool) and isinstance(data["reason"], str), data
        return data

    def allowed(self, agent_token: str, capability: str, resource: dict | None = None) -> dict:
        d = self.decision(self.verify_self(agent_token, capability, resource))
        assert d["allowed"] is True and d["reason"] == "allowed", \
            f"{capability} on {resource} refused: {d}"
        return d

    def refused(self, agent_token: str, capability: str, resource: dict | None = None,
                reason: str | None = None, tool: bool = True) -> dict:
        """Refused both ways (self-verify and as a tool server); returns the tool-server decision."""
        out = None
        for how in (("self", "tool") if tool else ("self",)):
            r = (self.verify_self if how == "self" else self.verify_tool)(agent_token, capability, resource)
            d = self.decision(r)
            assert d["allowed"] is False, f"{how}-verify of {capability} on {resource} allowed: {d}"
            if reason is not None:
                assert d["reason"] == reason, \
                    f"{how}-verify of {capability} on {resource}: reason {d['reason']!r} != {reason!r}"
            out = (d, r)
        return out

    def list_tokens(self, user: User) -> list[dict]:
        return data_of(self.client.get(TOKENS, token=user.access_token))

    def revoke(self, user: User, agent_id: str):
        return self.client.delete(f"{TOKENS}/{agent_id}", token=user.access_token)

    def logout(self, user: User, token: str | None = None, scope: str | None = None):
        body = {} if scope is None else {"scope": scope}
        return self.client.post(LOGOUT, body, token=token or user.access_token)

    def types(self, user: User) -> list[dict]:
        return data_of(self.client.get(TYPES, token=user.access_token))

    def set_grants(self, role: str, grants: list[dict]) -> dict:
        return data_of(self.client.put(grants_path(role), {"grants": grants}, token=self.admin.access_token))

    def jwks_url(self) -> str:
        return self.server.base_url + JWKS

    # -- audit
    def audit_event(self, resp, event: str, timeout: float = 5.0) -> dict:
        """The audit row of `event` written by the request that answered `resp` (matched by its
        X-Request-ID), newest first, polling briefly."""
        rid = resp.headers.get("X-Request-ID")
        assert rid, f"no X-Request-ID on {resp.request.method} {resp.request.path_url}"
        deadline = time.monotonic() + timeout
        while True:
            rows = self.audit_rows(event, max_pages=5)
            found = [row for row in rows if row.get("request_id") == rid]
            if found:
                assert len(found) == 1, f"{len(found)} {event} rows for request {rid}: {found}"
                return found[0]
            if time.monotonic() >= deadline:
                raise AssertionError(f"no audit row with event {event!r} for request {rid} "
                                     f"(newest {event} rows: {rows[:5]})")
            time.sleep(0.1)

    def audit_rows(self, event: str, max_pages: int = 5) -> list[dict]:
        out = []
        for page in range(1, max_pages + 1):
            r = self.client.get(AUDIT, token=self.admin.access_token,
                                params={"event": event, "limit": 100, "page": page})
            body = assert_success(r)
            out.extend(body["data"])
            if not body["meta"].get("pagination", {}).get("has_next"):
                break
        return out

    def close(self):
        self.client.close()


def start_world(start, archon_bin, config: dict | None = None) -> AgentWorld:
    cfg = identity_config(config)
    return AgentWorld(start(config=cfg), archon_bin)


# ----------------------------------------------------------------------------- tokens


def claims_of(token: str) -> dict:
    return jwt_parts(token)[1]


def header_of_token(token: str) -> dict:
    return jwt_parts(token)[0]


def act_chain(token: str) -> list[str]:
    """The `sub`s of the nested RFC 8693 act claim, the current actor first."""
    out = []
    act = claims_of(token).get("act")
    while isinstance(act, dict):
        out.append(act.get("sub"))
        act = act.get("act")
    return out


def forged_agent_token(real_token: str, kid: str | None = None, **overrides) -> str:
    """The claims of a real agent token with `overrides` applied (default: every capability of
    the vocabulary and the widest restrictions), signed ES256 by a key the test made, with `kid`
    (default: the real token's kid)."""
    hdr, claims = jwt_parts(real_token)
    forged = dict(claims)
    forged.update({"capabilities": sorted(catalog()["capabilities"]),
                   "restrictions": {"file_paths": ["/**"], "git_branches": ["*", "**"]},
                   "jti": uuid.uuid4().hex})
    forged.update(overrides)
    key = ec.generate_private_key(ec.SECP256R1())
    return forge({"alg": "ES256", "kid": kid or hdr["kid"], "typ": hdr.get("typ", AGENT_TYP)}, forged, key)


# ----------------------------------------------------------------------------- load


@dataclass
class VerifyResult:
    status: int
    allowed: bool | None
    reason: str | None


class FastVerifier:
    """One keep-alive connection that sends the same pre-built verify request (self-verify: the
    agent token as Bearer) again and again, parsing only the status line, Content-Length and the
    decision: the load generator must not be what limits the rate."""

    def __init__(self, server, agent_token: str, capability: str, resource: dict | None = None):
        body = {"capability": capability}
        if resource is not None:
            body["resource"] = resource
        payload = json.dumps(body).encode()
        self.request = (f"POST {VERIFY} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
                        f"Authorization: Bearer {agent_token}\r\nContent-Type: application/json\r\n"
                        f"User-Agent: archon-agent-load/1.0\r\nContent-Length: {len(payload)}\r\n\r\n"
                        ).encode() + payload
        self.sock = socket.create_connection((server.host, server.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def once(self) -> VerifyResult:
        self.sock.sendall(self.request)
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(rest) < length:
            self._recv()
            head, _, rest = self.buf.partition(b"\r\n\r\n")
        body, self.buf = rest[:length], rest[length:]
        if status != 200:
            return VerifyResult(status, None, body[:200].decode("utf-8", "replace"))
        data = json.loads(body)["data"]
        return VerifyResult(200, data["allowed"], data["reason"])

    def _recv(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"server closed the connection; buffered {self.buf[:200]!r}")
        self.buf += chunk

    def close(self):
        self.sock.close()


def binary_is_sanitized(path: Path) -> bool:
    """Whether the binary carries AddressSanitizer (the debug preset does). `path` may be the
    postgres-mode wrapper (store_support): the binary it runs is looked at."""
    with open(real_binary(path), "rb") as f:
        return b"__asan_init" in f.read()

