"""Data shapes of the API. Answers the spec's code indexes as dicts (``result['data']['user']``,
``auth_result['capabilities_granted']``) are TypedDicts: plain dicts at run time, so fields the
server adds later pass through untouched. ``User`` is a dataclass built with ``from_dict``, which
keeps unknown fields in ``extra`` instead of failing (the spec's ``User(**data)`` broke on
``permissions``)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, NotRequired, Optional, TypedDict


DEFAULT_USER_AGENT = "ArchonAuthClient-Python/2.0.0"


@dataclass
class AuthConfig:
    """``base_url`` may be the API root as the spec writes it (``https://api.archon.ai/v2``,
    ``http://host:port/api/v2``) or a bare origin (``http://host:port``, ``/api/v2`` is added).
    ``client_id``/``client_secret`` are a service client's, used (HTTP Basic) by tool servers for
    ``verify_capability`` and ``introspect``. ``api_key`` is a service's API key
    (``archon_sk_...``): while the client is not signed in, every call that needs a credential
    (and has no service client for it) sends it as ``X-API-Key``, alone; public calls never do."""

    base_url: str
    api_key: Optional[str] = None
    timeout: float = 10
    max_retries: int = 3
    client_id: Optional[str] = None
    client_secret: Optional[str] = None
    user_agent: str = DEFAULT_USER_AGENT
    backoff_base: float = 0.25
    backoff_max: float = 8.0
    # A 429/503 whose Retry-After is longer than this is raised at once, not slept through.
    max_retry_after: float = 30.0


@dataclass
class LoginCredentials:
    email: str
    password: str
    remember_me: bool = False
    device_info: Optional[Dict[str, Any]] = None


@dataclass
class RegisterData:
    email: str
    password: str
    name: str
    terms_accepted: bool = True
    marketing_consent: bool = False


@dataclass
class User:
    id: str
    email: str
    name: str
    roles: List[str]
    is_active: bool
    email_verified: bool
    created_at: str
    last_login: Optional[str] = None
    permissions: List[str] = field(default_factory=list)
    preferences: Dict[str, Any] = field(default_factory=dict)
    extra: Dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "User":
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs.setdefault("roles", [])
        kwargs.setdefault("is_active", True)
        kwargs.setdefault("email_verified", False)
        kwargs.setdefault("created_at", "")
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(extra=extra, **kwargs)


class UserDict(TypedDict, total=False):
    id: str
    email: str
    name: str
    roles: List[str]
    permissions: List[str]
    is_active: bool
    email_verified: bool
    preferences: Dict[str, Any]
    created_at: str
    last_login: Optional[str]


class LoginData(TypedDict):
    access_token: str
    token_type: str
    expires_in: int
    session_id: str
    user: UserDict
    refresh_token: NotRequired[str]


class RefreshData(TypedDict):
    access_token: str
    token_type: str
    expires_in: int
    session_id: str
    refresh_token: NotRequired[str]


class Meta(TypedDict, total=False):
    timestamp: str
    version: str
    request_id: str
    pagination: Dict[str, Any]
    rate_limit: Dict[str, Any]


class LoginResponse(TypedDict):
    """The whole envelope, as the spec's ``login`` returns it."""

    success: bool
    data: LoginData
    error: Optional[Dict[str, Any]]
    meta: Meta


class Envelope(TypedDict):
    success: bool
    data: Any
    error: Optional[Dict[str, Any]]
    meta: Meta


class Restrictions(TypedDict, total=False):
    file_paths: List[str]
    git_branches: List[str]
    max_file_size: str


class AgentAuthResult(TypedDict):
    agent_token: str
    agent_id: str
    capabilities_granted: List[str]
    capabilities_denied: List[str]
    denial_reasons: Dict[str, str]
    expires_in: int
    restrictions: Restrictions


class Resource(TypedDict, total=False):
    path: str
    branch: str
    size: int | str


class VerifyDecision(TypedDict):
    allowed: bool
    reason: str
    agent_id: Optional[str]
    agent_type: Optional[str]
    request_id: NotRequired[Optional[str]]  # the server's request id: its audit row



class AgentTokenInfo(TypedDict, total=False):
    agent_id: str
    agent_type: str
    parent_agent_id: Optional[str]
    root_agent_id: str
    depth: int
    capabilities: List[str]
    restrictions: Restrictions
    session_id: str
    created_at: int
    expires_at: int


API_KEY_SCOPES = ("agents:verify", "tokens:introspect", "tokens:revoke", "users:read", "audit:read",
                  "webhooks:manage")


class ApiKey(TypedDict):
    """An API key's record (GET /admin/api-keys/{id}); never the secret."""

    id: str
    name: str
    scopes: List[str]
    prefix: str  # the key's first 14 characters, for people to recognise it
    created_at: str
    expires_at: Optional[str]
    last_used_at: Optional[str]
    revoked_at: Optional[str]
    created_by: str


class CreatedApiKey(ApiKey):
    """The answer to create_api_key: the record and, this once, the key."""

    key: str


WEBHOOK_EVENT_TYPES = ("user.registered", "user.email_verified", "user.locked",
                       "user.password_changed", "user.deactivated", "session.revoked",
                       "refresh_token.reuse_detected", "agent.token_issued", "agent.delegated",
                       "agent.token_revoked", "webhook.endpoint_disabled")


class Webhook(TypedDict):
    """A webhook endpoint's record (GET /admin/webhooks/{id}); never the signing secret."""

    id: str
    url: str
    description: str
    event_types: List[str]  # WEBHOOK_EVENT_TYPES or "*"
    enabled: bool
    disabled_reason: Optional[str]  # why the server disabled it after persistent failures
    previous_secret_expires_at: Optional[str]  # the old secret signs beside the new one until then
    last_success_at: Optional[str]
    created_at: str
    updated_at: str


class CreatedWebhook(Webhook):
    """The answer to create_webhook and rotate_webhook_secret: the record and, this once, the
    secret (``whsec_...``) that signs the deliveries."""

    secret: str


class WebhookAttempt(TypedDict):
    attempt: int  # 1-based
    at: str
    status_code: Optional[int]  # None: no HTTP answer (connect failure, timeout, refused address)
    latency_ms: int
    error: Optional[str]


class WebhookDelivery(TypedDict):
    """One delivery of an event to an endpoint, with its attempt log."""

    id: int
    event_id: str  # the webhook-id header (msg_...), the same on every attempt and redelivery
    event_type: str
    status: str  # "pending" | "succeeded" | "failed"
    attempts: int
    next_attempt_at: Optional[str]
    created_at: str
    completed_at: Optional[str]
    attempt_log: List[WebhookAttempt]


class Redelivery(TypedDict):
    delivery_id: int
    status: str  # "pending"


class Page(TypedDict):
    """A collection answer: its items and ``meta.pagination``."""

    items: List[Dict[str, Any]]
    pagination: Dict[str, Any]
