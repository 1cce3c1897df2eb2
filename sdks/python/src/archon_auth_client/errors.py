"""The one exception type of the SDK, carrying the server's error envelope."""
from __future__ import annotations

from typing import Any, Mapping, Optional


class ArchonAuthError(Exception):
    """An error answer of archon-auth (or a transport failure, code NETWORK_ERROR).

    ``code``, ``details`` and ``trace_id`` are the envelope's ``error`` members (the spec's
    constructor signature); ``status`` is the HTTP status (None when no answer came),
    ``documentation_url`` the server's link, ``retry_after`` the Retry-After seconds if sent.
    """

    def __init__(
        self,
        message: str,
        code: Optional[str] = None,
        details: Optional[Mapping[str, Any]] = None,
        trace_id: Optional[str] = None,
        *,
        status: Optional[int] = None,
        documentation_url: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details: dict[str, Any] = dict(details or {})
        self.trace_id = trace_id
        self.status = status
        self.documentation_url = documentation_url
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (f"ArchonAuthError({self.message!r}, code={self.code!r}, status={self.status!r}, "
                f"trace_id={self.trace_id!r})")
