"""What the async and the sync client share: URLs, the request descriptions of every endpoint,
envelope parsing, the retry policy and the token state. Neither client does I/O here."""
from __future__ import annotations

import base64
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Dict, Literal, Mapping, Optional, Union
from urllib.parse import urlsplit, urlunsplit

import httpx

from .errors import ArchonAuthError
from .models import AuthConfig, Envelope, LoginCredentials, Page, RegisterData

Auth = Literal["user", "none", "basic", "bearer", "basic_or_user"]
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 503})


def api_root(base_url: str) -> tuple[str, str]:
    """(origin, API root). ``https://api.archon.ai/v2`` and ``http://h:p/api/v2`` are API roots
    as given; a bare origin (or any other path) gets ``/api/v2`` appended."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
    origin = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    path = parts.path.rstrip("/")
    if not path.endswith("/v2"):
        path = path + "/api/v2"
    return origin, origin + path


@dataclass
class Call:
    """One API request. ``path`` is relative to the API root unless it starts with ``/.well-known``
    (relative to the origin). ``auth``: whose credential goes out."""

    method: str
    path: str
    json: Any = None
    form: Optional[Dict[str, str]] = None
    params: Optional[Dict[str, Any]] = None
    auth: Auth = "user"
    bearer: Optional[str] = None
    envelope: bool = True

    @property
    def idempotent(self) -> bool:
        return self.method.upper() in IDEMPOTENT


@dataclass
class TokenState:
    access_token: Optional[str] = None
    refresh_token: Optional[str] = None
    session_id: Optional[str] = None
    # Monotonic deadline, so a wall-clock jump cannot make a token look valid.
    expires_at: Optional[float] = None
    expiry: Optional[datetime] = None  # the same moment on the wall clock, for display
    generation: int = 0

    def store(self, data: Mapping[str, Any]) -> None:
        self.access_token = str(data["access_token"])
        if data.get("refresh_token"):
            self.refresh_token = str(data["refresh_token"])
        if data.get("session_id"):
            self.session_id = str(data["session_id"])
        lifetime = float(data.get("expires_in", 0))
        self.expires_at = time.monotonic() + lifetime
        self.expiry = datetime.now(timezone.utc) + timedelta(seconds=lifetime)
        self.generation += 1

    def clear(self) -> None:
        self.access_token = self.refresh_token = self.session_id = None
        self.expires_at = self.expiry = None
        self.generation += 1

    def needs_refresh(self, margin: float = 5.0) -> bool:
        return (self.refresh_token is not None and self.expires_at is not None
                and self.expires_at - margin <= time.monotonic())

    def valid(self) -> bool:
        return (self.access_token is not None and self.expires_at is not None
                and self.expires_at > time.monotonic())


@dataclass
class Prepared:
    url: str
    headers: Dict[str, str] = field(default_factory=dict)
    json: Any = None
    form: Optional[Dict[str, str]] = None
    params: Optional[Dict[str, Any]] = None


class Base:
    """Configuration, URL building and header assembly shared by both clients."""

    def __init__(self, config: AuthConfig) -> None:
        self.config = config
        self.origin, self.api = api_root(config.base_url)
        self._tokens = TokenState()

    # The spec reads these as attributes.
    @property
    def access_token(self) -> Optional[str]:
        return self._tokens.access_token

    @access_token.setter
    def access_token(self, value: Optional[str]) -> None:
        self._tokens.access_token = value
        self._tokens.generation += 1

    @property
    def refresh_token(self) -> Optional[str]:
        return self._tokens.refresh_token

    @refresh_token.setter
    def refresh_token(self, value: Optional[str]) -> None:
        self._tokens.refresh_token = value

    @property
    def token_expiry(self) -> Optional[datetime]:
        """When the access token expires (UTC), as the spec's client exposes it."""
        return self._tokens.expiry

    @property
    def session_id(self) -> Optional[str]:
        return self._tokens.session_id

    def is_authenticated(self) -> bool:
        return self._tokens.valid()

    def get_access_token(self) -> Optional[str]:
        return self._tokens.access_token

    def _clear_tokens(self) -> None:
        self._tokens.clear()

    def _default_headers(self) -> Dict[str, str]:
        return {"User-Agent": self.config.user_agent, "Accept": "application/json"}

    def _prepare(self, call: Call) -> Prepared:
        url = (self.origin if call.path.startswith("/.well-known") else self.api) + call.path
        headers: Dict[str, str] = {}
        auth = call.auth
        if auth == "basic_or_user":
            auth = "basic" if self.config.client_id else "user"
        if auth == "user" and self._tokens.access_token:
            headers["Authorization"] = f"Bearer {self._tokens.access_token}"
        elif auth == "user" and self.config.api_key:
            # Not signed in: the service's API key is the credential, alone (the server refuses
            # a request that carries two).
            headers["X-API-Key"] = self.config.api_key
        elif auth == "bearer" and call.bearer:
            headers["Authorization"] = f"Bearer {call.bearer}"
        elif auth == "basic":
            if not (self.config.client_id and self.config.client_secret):
                raise ArchonAuthError("client_id and client_secret are required for this call",
                                      "CLIENT_CREDENTIALS_REQUIRED")
            raw = f"{self.config.client_id}:{self.config.client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        return Prepared(url, headers, call.json, call.form, call.params)

    def _backoff(self, attempt: int, retry_after: Optional[float]) -> float:
        if retry_after is not None:
            return max(retry_after, 0.0)
        cap = min(self.config.backoff_max, self.config.backoff_base * (2 ** attempt))
        return random.uniform(cap / 2, cap)  # jitter: concurrent clients do not retry in step

    def _should_retry(self, call: Call, attempt: int, status: Optional[int],
                      exc: Optional[BaseException],
                      retry_after: Optional[float] = None) -> bool:
        if attempt >= self.config.max_retries:
            return False
        if exc is not None:
            # Nothing reached the server on a refused connection: safe for any method.
            return isinstance(exc, httpx.ConnectError) or call.idempotent
        if retry_after is not None and retry_after > self.config.max_retry_after:
            return False  # e.g. a 15-minute lockout: the caller decides, we do not sleep through it
        return status in RETRY_STATUSES and call.idempotent


def retry_after_of(response: httpx.Response) -> Optional[float]:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def parse_response(call: Call, response: httpx.Response) -> Envelope:
    """The envelope of a success; raises ArchonAuthError for anything else."""
    if response.status_code == 204 or not response.content:
        if response.is_success:
            return {"success": True, "data": None, "error": None, "meta": {}}
        raise ArchonAuthError(f"HTTP {response.status_code}", "HTTP_ERROR",
                              status=response.status_code, retry_after=retry_after_of(response))
    try:
        body = response.json()
    except ValueError:
        raise ArchonAuthError(f"HTTP {response.status_code}: not a JSON answer", "HTTP_ERROR",
                              status=response.status_code,
                              retry_after=retry_after_of(response)) from None
    if not call.envelope and response.is_success:
        return {"success": True, "data": body, "error": None, "meta": {}}
    if isinstance(body, dict) and body.get("success") is True and response.is_success:
        return body  # type: ignore[return-value]
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    raise ArchonAuthError(
        str(error.get("message") or f"HTTP {response.status_code}"),
        error.get("code") or "HTTP_ERROR",
        error.get("details") if isinstance(error.get("details"), dict) else None,
        error.get("trace_id"),
        status=response.status_code,
        documentation_url=error.get("documentation_url"),
        retry_after=retry_after_of(response),
    )


def network_error(exc: BaseException) -> ArchonAuthError:
    return ArchonAuthError(f"Request failed: {type(exc).__name__}: {exc}", "NETWORK_ERROR")


def page_of(env: Envelope) -> Page:
    return {"items": list(env["data"] or []), "pagination": dict(env["meta"].get("pagination", {}))}


def _drop_none(d: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


# ----------------------------------------------------------------- the calls


def login_call(credentials: Union[LoginCredentials, Mapping[str, Any]]) -> Call:
    if isinstance(credentials, LoginCredentials):
        body: Dict[str, Any] = {"email": credentials.email, "password": credentials.password,
                                "remember_me": credentials.remember_me}
        if credentials.device_info:
            body["device_info"] = credentials.device_info
    else:
        body = dict(credentials)
    # The refresh token comes back in the body so this client can refresh without a cookie jar.
    body["return_refresh_token"] = True
    return Call("POST", "/auth/login", json=body, auth="none")


def register_call(user: Union[RegisterData, Mapping[str, Any]]) -> Call:
    if isinstance(user, RegisterData):
        body: Dict[str, Any] = {"email": user.email, "password": user.password, "name": user.name,
                                "terms_accepted": user.terms_accepted,
                                "marketing_consent": user.marketing_consent}
    else:
        body = dict(user)
    return Call("POST", "/auth/register", json=body, auth="none")


def refresh_call(refresh_token: str) -> Call:
    return Call("POST", "/auth/refresh", auth="none",
                json={"refresh_token": refresh_token, "return_refresh_token": True})


def authenticate_agent_call(agent_type: str, capabilities: list[str],
                            task_context: Optional[Mapping[str, Any]]) -> Call:
    body: Dict[str, Any] = {"agent_type": agent_type, "capabilities_requested": list(capabilities)}
    if task_context:
        body["task_context"] = dict(task_context)
    return Call("POST", "/auth/agents/authenticate", json=body)


def delegate_agent_call(agent_token: str, agent_type: str, capabilities: list[str],
                        restrictions: Optional[Mapping[str, Any]],
                        task_context: Optional[Mapping[str, Any]]) -> Call:
    body: Dict[str, Any] = {"agent_type": agent_type, "capabilities_requested": list(capabilities)}
    if restrictions is not None:
        body["restrictions"] = dict(restrictions)
    if task_context is not None:
        body["task_context"] = dict(task_context)
    return Call("POST", "/auth/agents/delegate", json=body, auth="bearer", bearer=agent_token)


def verify_capability_call(capability: str, resource: Optional[Mapping[str, Any]],
                           token: Optional[str], agent_token: Optional[str]) -> Call:
    """``token``: a tool server asking about a token it was handed (service client Basic, or the
    user's access token if no client is configured). ``agent_token``: an agent asking about itself."""
    body: Dict[str, Any] = {"capability": capability}
    if resource is not None:
        body["resource"] = dict(resource)
    if agent_token is not None:
        return Call("POST", "/auth/agents/verify", json=body, auth="bearer", bearer=agent_token)
    if token is None:
        raise ValueError("verify_capability needs token= (tool server) or agent_token= (self)")
    body["token"] = token
    return Call("POST", "/auth/agents/verify", json=body, auth="basic_or_user")


def list_call(path: str, **params: Any) -> Call:
    return Call("GET", path, params=_drop_none(params) or None)


def unwrap(body: Any) -> Dict[str, Any]:
    """A plain JSON document (RFC 7662/8414 style), or the data of an envelope around one."""
    if isinstance(body, dict) and "success" in body and "data" in body and isinstance(body["data"], dict):
        return dict(body["data"])
    return dict(body) if isinstance(body, dict) else {}


def webhook_body(**fields: Any) -> Dict[str, Any]:
    """A webhook create/update body: the fields given (None: not sent), as the API names them."""
    return {k: (list(v) if k == "event_types" else v) for k, v in fields.items() if v is not None}
