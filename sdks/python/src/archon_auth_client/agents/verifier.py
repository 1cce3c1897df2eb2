"""Checking agent tokens for a tool server: offline (discovery + JWKS, cached) or online
(``POST /api/v2/auth/agents/verify``, which also sees revocations)."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Mapping, Optional, Protocol

import httpx
import jwt
from jwt import PyJWK

from .._core import api_root
from ..client import ArchonAuthClient
from ..errors import ArchonAuthError
from .restrictions import RestrictionsError, decide, parse_restrictions

AGENT_AUDIENCE = "archon-agent-system"
AGENT_TYP = "agent+jwt"


@dataclass(frozen=True)
class Decision:
    """One capability decision. ``actors`` is the agent chain, the acting agent first (its own
    ``agent_id``, then ``act.sub``, ``act.act.sub``...); ``user`` the ``sub`` it acts for;
    ``request_id`` names the server's audit row (online checks only)."""

    allowed: bool
    reason: str
    agent_id: Optional[str] = None
    agent_type: Optional[str] = None
    user: Optional[str] = None
    actors: tuple[str, ...] = ()
    request_id: Optional[str] = None


def actor_chain(claims: Mapping[str, Any]) -> List[str]:
    """The acting agent, then its ancestors nearest first (RFC 8693 ``act``)."""
    out = [str(claims["agent_id"])] if claims.get("agent_id") else []
    act = claims.get("act")
    while isinstance(act, Mapping) and act.get("sub"):
        out.append(str(act["sub"]))
        act = act.get("act")
    return out


class Authorizer(Protocol):
    async def __call__(self, token: str, capability: str,
                       resource: Optional[Mapping[str, Any]]) -> Decision: ...


class AgentTokenError(Exception):
    """An agent token that does not verify; ``reason`` is ``token_invalid`` or ``token_expired``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class _Keys:
    by_kid: Dict[str, PyJWK] = field(default_factory=dict)
    fetched_at: float = float("-inf")


class AgentTokenVerifier:
    """Offline verification of agent tokens as docs/tokens.md asks: issuer, ``jwks_uri`` and the
    accepted algorithms come from the discovery document; the key is picked by exact ``kid``; an
    unknown ``kid`` refetches the key set at most once per ``refetch_interval`` seconds.

    Offline checks cannot see revocations: use ``OnlineAuthorizer`` where they must count."""

    def __init__(self, base_url: str, *, http: Optional[httpx.AsyncClient] = None,
                 leeway: float = 30.0, refetch_interval: float = 30.0,
                 max_age: float = 300.0) -> None:
        self.origin, _ = api_root(base_url)
        self._http = http
        self._own_http = http is None
        self.leeway = leeway
        self.refetch_interval = refetch_interval
        self.max_age = max_age
        self._discovery: Optional[Dict[str, Any]] = None
        self._keys = _Keys()
        self._lock = asyncio.Lock()
        self.jwks_fetches = 0

    async def aclose(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10)
        return self._http

    async def discovery(self) -> Dict[str, Any]:
        if self._discovery is None:
            r = await self._client().get(self.origin + "/.well-known/openid-configuration")
            r.raise_for_status()
            body = r.json()
            if isinstance(body, dict) and isinstance(body.get("data"), dict) and "success" in body:
                body = body["data"]  # tolerate an enveloped document
            self._discovery = dict(body)
        return self._discovery

    async def _fetch_keys(self) -> None:
        d = await self.discovery()
        r = await self._client().get(str(d["jwks_uri"]))
        r.raise_for_status()
        keys: Dict[str, PyJWK] = {}
        for jwk in r.json().get("keys", []):
            try:
                keys[str(jwk["kid"])] = PyJWK(jwk)
            except (jwt.PyJWKError, KeyError, jwt.InvalidKeyError):
                continue  # a key type this library cannot use is skipped, not fatal
        self._keys = _Keys(keys, time.monotonic())
        self.jwks_fetches += 1

    async def _key(self, kid: str) -> Optional[PyJWK]:
        async with self._lock:
            now = time.monotonic()
            stale = now - self._keys.fetched_at > self.max_age
            if stale or (kid not in self._keys.by_kid
                         and now - self._keys.fetched_at >= self.refetch_interval):
                await self._fetch_keys()
            return self._keys.by_kid.get(kid)

    async def verify(self, token: str) -> Dict[str, Any]:
        """The claims of a valid agent token; AgentTokenError otherwise."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AgentTokenError("token_invalid", "malformed token") from None
        if header.get("typ") != AGENT_TYP or not isinstance(header.get("kid"), str):
            raise AgentTokenError("token_invalid", "not an agent token (typ/kid)")
        d = await self.discovery()
        algorithms = list(d.get("agent_token_signing_alg_values_supported") or ["ES256"])
        key = await self._key(header["kid"])
        if key is None:
            raise AgentTokenError("token_invalid", "unknown kid")
        if key.algorithm_name != header.get("alg") or header.get("alg") not in algorithms:
            raise AgentTokenError("token_invalid", "algorithm mismatch")
        try:
            claims: Dict[str, Any] = jwt.decode(
                token, key.key, algorithms=[key.algorithm_name], audience=AGENT_AUDIENCE,
                issuer=str(d["issuer"]), leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "jti", "iss", "aud"]})
        except jwt.ExpiredSignatureError:
            raise AgentTokenError("token_expired", "token expired") from None
        except jwt.PyJWTError as exc:
            raise AgentTokenError("token_invalid", f"token does not verify: {type(exc).__name__}") from None
        if claims.get("type") != "agent" or not claims.get("agent_id"):
            raise AgentTokenError("token_invalid", "not an agent token (type)")
        return claims


class OfflineAuthorizer:
    """Verifies the token with the JWKS and applies the restriction rules locally."""

    def __init__(self, verifier: AgentTokenVerifier) -> None:
        self.verifier = verifier

    async def __call__(self, token: str, capability: str,
                       resource: Optional[Mapping[str, Any]]) -> Decision:
        try:
            claims = await self.verifier.verify(token)
        except AgentTokenError as exc:
            return Decision(False, exc.reason)
        base = Decision(False, "", claims.get("agent_id"), claims.get("agent_type"),
                        claims.get("sub"), tuple(actor_chain(claims)))
        caps = claims.get("capabilities")
        if not isinstance(caps, list) or capability not in caps:
            return replace(base, reason="capability_not_granted")
        try:
            restrictions = parse_restrictions(claims.get("restrictions", {}))
        except RestrictionsError:
            return replace(base, reason="restrictions_invalid")
        try:
            reason = decide(restrictions, resource)
        except RestrictionsError:
            # A resource the verify endpoint would answer 400 for (e.g. a size of -1).
            return replace(base, reason="invalid_resource")
        return replace(base, allowed=reason == "allowed", reason=reason)


class OnlineAuthorizer:
    """Asks archon-auth (``verify_capability`` with the service client's credentials, or the
    client's access token); revocations count at once, and every decision is audited there.
    The acting chain is read from the token's claims without verifying them: the server did."""

    def __init__(self, client: ArchonAuthClient) -> None:
        self.client = client

    async def __call__(self, token: str, capability: str,
                       resource: Optional[Mapping[str, Any]]) -> Decision:
        try:
            d = await self.client.verify_capability(capability, resource, token=token)
        except ArchonAuthError as exc:
            # A request the server refuses outright (e.g. a malformed resource) is a denial.
            return Decision(False, str(exc.details.get("reason") or exc.code or "verify_failed"),
                            request_id=exc.trace_id)
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            claims = {}
        return Decision(bool(d["allowed"]), str(d["reason"]), d.get("agent_id"), d.get("agent_type"),
                        claims.get("sub"), tuple(actor_chain(claims)),
                        str(d.get("request_id")) if d.get("request_id") else None)
