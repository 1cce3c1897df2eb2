"""Helpers for the identity tests (tests/api/test_identity_*.py), written from docs/identity.md.

- IDENTITY_CONFIG / identity_config(): a config that lifts the spec's authentication rate limits
  (login 5/minute per IP would otherwise answer 429 long before lockout or timing are tested) and
  allows ORIGIN for cookie-based refresh.
- Client: an HTTP client bound to one server, optionally from one client address (127.0.0.x: the
  lockout counters are per (email, client address)), with no cookie jar (cookies are sent by hand).
- Mail: read the RFC 5322 files the embedded mailer writes to <data-dir>/mail/*.eml and pull out
  `Verification token: ...` / `Reset token: ...`, waiting for the outbox to deliver.
- Users: register / verify / log in in one call; an admin made with `archon-auth users create`.
- Assertions for the answers the contract fixes (invalid credentials, locked, refused token).
"""
from __future__ import annotations

import base64
import copy
import email
import email.policy
import http.cookiejar
import json
import os
import re
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from support import assert_error, assert_success, session

REGISTER = "/api/v2/auth/register"
VERIFY = "/api/v2/auth/verify-email"
RESEND = "/api/v2/auth/verify-email/resend"
LOGIN = "/api/v2/auth/login"
REFRESH = "/api/v2/auth/refresh"
LOGOUT = "/api/v2/auth/logout"
RESET = "/api/v2/auth/password-reset"
RESET_CONFIRM = "/api/v2/auth/password-reset/confirm"
ME = "/api/v2/users/me"
ME_PASSWORD = "/api/v2/users/me/password"
ME_SESSIONS = "/api/v2/users/me/sessions"
ME_EVENTS = "/api/v2/users/me/security-events"
USERS = "/api/v2/users"
AUDIT = "/api/v2/audit"

ORIGIN = "https://app.archon.ai"
HIGH = "1000000/minute"
# Every login/register/reset tier of the spec's rate_limits block lifted (keys from
# config/archon-auth.example.yaml): these tests test identity, not the limiter.
IDENTITY_CONFIG = {
    "cors": {"allow_origins": [ORIGIN, "https://admin.archon.ai"]},
    "rate_limits": {
        "authentication": {
            "login": {"per_ip": HIGH, "per_user": HIGH},
            "register": {"per_ip": HIGH, "global": HIGH},
            "password_reset": {"per_email": HIGH, "per_ip": HIGH},
        },
        "api_access": {"authenticated": {"per_user": HIGH, "burst": 1000000},
                       "admin": {"per_user": HIGH, "burst": 1000000}},
    },
}

PASSWORD = "violet anchor 92 quietly mosaic"  # not on the common-password list
USER_AGENT = "archon-identity-tests/1.0"
MAIL_WAIT = 5.0

# Keys of the answers, exactly as docs/identity.md lists them.
REGISTER_KEYS = {"user_id", "email", "email_verification_sent"}
LOGIN_KEYS = {"access_token", "token_type", "expires_in", "session_id", "user"}
LOGIN_USER_KEYS = {"id", "email", "name", "roles", "permissions", "is_active", "email_verified",
                   "preferences", "created_at", "last_login"}
ME_KEYS = {"id", "email", "name", "roles", "permissions", "email_verified", "is_active",
           "preferences", "created_at", "last_login"}
REFRESH_KEYS = {"access_token", "token_type", "expires_in", "session_id"}
SESSION_KEYS = {"session_id", "device_info", "created_at", "last_accessed", "is_active", "current",
                "client_address", "user_agent"}
INVALID_CREDENTIALS_DETAILS = {"attempts_remaining", "lockout_duration"}


def merge(base: dict, extra: dict | None) -> dict:
    out = copy.deepcopy(base)
    for k, v in (extra or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def identity_config(extra: dict | None = None) -> dict:
    return merge(IDENTITY_CONFIG, extra)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


# ----------------------------------------------------------------------------- HTTP


class _SourceAdapter(HTTPAdapter):
    """Connects from a chosen local address (127.0.0.x all reach a server on 127.0.0.1)."""

    def __init__(self, source_ip: str, **kw):
        self.source_ip = source_ip
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self.source_ip, 0)
        super().init_poolmanager(*args, **kw)


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie, request):
        return False

    def return_ok(self, cookie, request):
        return False


_UNSET = object()


class Client:
    """Requests to one server from one client address, keep-alive, no cookie jar."""

    def __init__(self, server, source_ip: str | None = None, user_agent: str = USER_AGENT,
                 pool: int = 10):
        self.server = server
        self.base_url = server.base_url
        self.source_ip = source_ip or "127.0.0.1"
        self.s = session()
        self.s.cookies.set_policy(_NoCookies())
        adapter = (_SourceAdapter(source_ip, pool_connections=pool, pool_maxsize=pool)
                   if source_ip else HTTPAdapter(pool_connections=pool, pool_maxsize=pool))
        self.s.mount("http://", adapter)
        self.s.headers["User-Agent"] = user_agent

    def request(self, method: str, path: str, *, json=_UNSET, token: str | None = None,
                headers: dict | None = None, params=None, data=None,
                timeout: float = 30) -> requests.Response:
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        kwargs = {"headers": hdrs, "timeout": timeout, "allow_redirects": False}
        if json is not _UNSET:
            kwargs["json"] = json
        if data is not None:
            kwargs["data"] = data
        if params is not None:
            kwargs["params"] = params
        return self.s.request(method, self.base_url + path, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=_UNSET, **kw):
        return self.request("POST", path, json=body, **kw)

    def put(self, path, body=_UNSET, **kw):
        return self.request("PUT", path, json=body, **kw)

    def patch(self, path, body=_UNSET, **kw):
        return self.request("PATCH", path, json=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def close(self):
        self.s.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def describe(resp: requests.Response) -> str:
    return f"{resp.request.method} {resp.request.path_url} -> {resp.status_code} {resp.text[:400]}"


def set_cookie_headers(resp: requests.Response) -> list[str]:
    return list(resp.raw.headers.getlist("Set-Cookie"))


def parse_set_cookie(header: str) -> tuple[str, str, dict]:
    """(name, value, attributes): attribute names lowercased, flags map to True."""
    parts = [p.strip() for p in header.split(";")]
    name, _, value = parts[0].partition("=")
    attrs: dict = {}
    for p in parts[1:]:
        if not p:
            continue
        k, sep, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip() if sep else True
    return name.strip(), value.strip(), attrs


def refresh_cookie(resp: requests.Response) -> tuple[str, dict] | None:
    """The value and attributes of the `refresh_token` Set-Cookie, or None."""
    found = [parse_set_cookie(h) for h in set_cookie_headers(resp)]
    found = [(v, a) for n, v, a in found if n == "refresh_token"]
    assert len(found) <= 1, f"more than one refresh_token Set-Cookie: {set_cookie_headers(resp)}"
    return found[0] if found else None


def cookie_header(refresh_token: str) -> dict:
    return {"Cookie": f"refresh_token={refresh_token}"}


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_parts(token: str) -> tuple[dict, dict]:
    h, p, _ = token.split(".")
    return json.loads(b64u_decode(h)), json.loads(b64u_decode(p))


def data_of(resp: requests.Response, status: int = 200):
    return assert_success(resp, status)["data"]


# ----------------------------------------------------------------------------- mail


def _mail_text(msg) -> str:
    texts = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        try:
            content = part.get_content()
        except Exception:  # noqa: BLE001 - fall back to the raw payload
            content = part.get_payload()
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        if isinstance(content, str):
            texts.append(content)
    return "\n".join(texts)


@dataclass
class Mail:
    path: Path
    mtime_ns: int
    to: str
    subject: str
    text: str
    raw: bytes


def read_mails(data_dir: Path) -> list[Mail]:
    """Every *.eml under <data_dir>/mail, oldest first."""
    out = []
    mail_dir = Path(data_dir) / "mail"
    if not mail_dir.is_dir():
        return out
    for p in mail_dir.glob("*.eml"):
        try:
            raw = p.read_bytes()
            st = p.stat()
        except FileNotFoundError:
            continue
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        out.append(Mail(p, st.st_mtime_ns, str(msg.get("To", "")), str(msg.get("Subject", "")),
                        _mail_text(msg), raw))
    out.sort(key=lambda m: (m.mtime_ns, m.path.name))
    return out


def mails_to(data_dir: Path, address: str) -> list[Mail]:
    a = address.lower()
    return [m for m in read_mails(data_dir) if a in m.to.lower()]


TOKEN_LINE = {"verification": re.compile(r"Verification token:\s*(\S+)"),
              "reset": re.compile(r"Reset token:\s*(\S+)")}


def tokens_in(mail: Mail, kind: str) -> list[str]:
    pattern = TOKEN_LINE[kind]
    found = pattern.findall(mail.text)
    if not found:  # an unusual transfer encoding: try the raw file too
        found = pattern.findall(mail.raw.decode("utf-8", "replace"))
    return found


def wait_for_token(data_dir: Path, address: str, kind: str = "verification",
                   exclude=(), timeout: float = MAIL_WAIT) -> str:
    """The token of the newest mail to `address` with a `<Kind> token:` line whose token is not
    in `exclude`, waiting up to `timeout` s for the outbox to deliver it."""
    exclude = set(exclude)
    deadline = time.monotonic() + timeout
    while True:
        for m in reversed(mails_to(data_dir, address)):
            toks = [t for t in tokens_in(m, kind) if t not in exclude]
            if toks:
                return toks[-1]
        if time.monotonic() >= deadline:
            seen = [(m.path.name, m.to, m.subject) for m in read_mails(data_dir)]
            raise AssertionError(
                f"no new {kind} token mailed to {address} within {timeout}s "
                f"(mails in {Path(data_dir) / 'mail'}: {seen[-10:]})")
        time.sleep(0.05)


def wait_for_mail_count(data_dir: Path, address: str, count: int,
                        timeout: float = MAIL_WAIT) -> list[Mail]:
    """Waits until at least `count` mails to `address` exist; returns them (oldest first)."""
    deadline = time.monotonic() + timeout
    while True:
        mails = mails_to(data_dir, address)
        if len(mails) >= count:
            return mails
        if time.monotonic() >= deadline:
            raise AssertionError(f"expected at least {count} mails to {address} within {timeout}s, "
                                 f"found {len(mails)}: {[(m.path.name, m.subject) for m in mails]}")
        time.sleep(0.05)


# ----------------------------------------------------------------------------- users


@dataclass
class User:
    email: str
    password: str
    name: str = "Test User"
    id: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    session_id: str | None = None
    login_data: dict = field(default_factory=dict)


def register(client: Client, email_addr: str, password: str = PASSWORD, name: str = "Test User",
             **extra) -> requests.Response:
    body = {"email": email_addr, "password": password, "name": name, "terms_accepted": True}
    body.update(extra)
    return client.post(REGISTER, body)


def verify(client: Client, email_addr: str, exclude=()) -> str:
    """Opens the newest verification mail to email_addr and verifies it; returns the token."""
    token = wait_for_token(client.server.data_dir, email_addr, "verification", exclude=exclude)
    r = client.post(VERIFY, {"token": token})
    data = data_of(r)
    assert data == {"email_verified": True}, f"verify-email data: {data!r}"
    return token


def login(client: Client, email_addr: str, password: str, **extra) -> requests.Response:
    body = {"email": email_addr, "password": password}
    body.update(extra)
    return client.post(LOGIN, body)


def login_user(client: Client, user: User, **extra) -> dict:
    """Logs in (return_refresh_token on unless given) and stores the tokens on `user`."""
    extra.setdefault("return_refresh_token", True)
    r = login(client, user.email, user.password, **extra)
    data = data_of(r)
    user.access_token = data["access_token"]
    user.session_id = data["session_id"]
    user.refresh_token = data.get("refresh_token")
    if user.refresh_token is None:
        c = refresh_cookie(r)
        user.refresh_token = c[0] if c else None
    user.id = data["user"]["id"]
    user.login_data = data
    return data


def new_user(client: Client, *, verify_email: bool = True, do_login: bool = True,
             password: str = PASSWORD, name: str = "Test User", prefix: str = "user") -> User:
    user = User(unique_email(prefix), password, name)
    r = register(client, user.email, password, name)
    user.id = data_of(r, 201)["user_id"]
    if verify_email:
        verify(client, user.email)
    if do_login:
        login_user(client, user)
    return user


def session_login(client: Client, user: User, **extra) -> tuple[str, str, str]:
    """Another session for `user`: (access_token, refresh_token, session_id)."""
    extra.setdefault("return_refresh_token", True)
    data = data_of(login(client, user.email, user.password, **extra))
    return data["access_token"], data["refresh_token"], data["session_id"]


def cli_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHON_AUTH_")}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    return env


def users_create(archon_bin: Path, data_dir: Path, email_addr: str, name: str, role: str,
                 password: str) -> subprocess.CompletedProcess:
    """`archon-auth users create --data-dir D --email E --name N --role R`, password on stdin
    (no trailing newline: right for a line reader and a read-everything reader alike)."""
    argv = [str(archon_bin), "users", "create", "--data-dir", str(data_dir), "--email", email_addr,
            "--name", name, "--role", role]
    proc = subprocess.run(argv, input=password, capture_output=True, text=True, env=cli_env(),
                          timeout=60)
    for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        assert marker not in proc.stderr, f"{argv}: stderr has {marker!r}:\n{proc.stderr[-3000:]}"
    assert proc.returncode == 0, f"{argv} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def create_admin(archon_bin: Path, client: Client, password: str = "admin password 4 tests") -> User:
    admin = User(unique_email("admin"), password, "Root Admin")
    users_create(archon_bin, client.server.data_dir, admin.email, admin.name, "admin", password)
    login_user(client, admin)
    assert "admin" in admin.login_data["user"]["roles"], admin.login_data
    return admin


# ----------------------------------------------------------------------------- assertions


def assert_invalid_credentials(resp) -> dict:
    body = assert_error(resp, 401, "AUTH_INVALID_CREDENTIALS")
    details = body["error"]["details"]
    assert set(details) == INVALID_CREDENTIALS_DETAILS, f"details keys: {sorted(details)}"
    assert details["lockout_duration"] == "15 minutes", details
    ar = details["attempts_remaining"]
    assert isinstance(ar, int) and not isinstance(ar, bool) and ar >= 0, details
    return body


def assert_locked(resp) -> dict:
    body = assert_error(resp, 401, "AUTH_ACCOUNT_LOCKED")
    details = body["error"]["details"]
    ra = details.get("retry_after_seconds")
    assert isinstance(ra, int) and not isinstance(ra, bool) and 0 < ra <= 3600, \
        f"details.retry_after_seconds: {details!r}"
    header = resp.headers.get("Retry-After")
    assert header is not None and header.isdigit(), f"Retry-After header: {header!r}"
    assert abs(int(header) - ra) <= 1, f"Retry-After {header} vs details {ra}"
    return body


def assert_refused(resp, what: str = "token") -> dict:
    """A Bearer token that must no longer work: 401 in the error envelope. (docs/identity.md does
    not name the code for a revoked session's access token; it must be an AUTH_ code.)"""
    assert resp.status_code == 401, f"{what} not refused: {describe(resp)}"
    body = resp.json()
    assert body.get("success") is False and isinstance(body.get("error"), dict), body
    assert str(body["error"].get("code", "")).startswith("AUTH_"), body["error"]
    return body


def assert_me_works(client: Client, token: str, user_id: str | None = None) -> dict:
    data = data_of(client.get(ME, token=token))
    if user_id is not None:
        assert data["id"] == user_id, data
    return data


def shape(obj):
    """The structure of a JSON value: dict keys (recursively), list element shapes, type names."""
    if isinstance(obj, dict):
        return {k: shape(v) for k, v in sorted(obj.items())}
    if isinstance(obj, list):
        return [shape(v) for v in obj[:1]]
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return "number"  # 12.0 may be written as 12
    return type(obj).__name__
