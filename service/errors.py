"""Domain errors of the service. Routers raise them; :mod:`service.problems` renders them.

TanjiError
  + NotFound            an object that does not exist *for this tenant*
  + Forbidden           the caller's roles do not allow the action
  + Unauthorized        no, bad, expired or revoked credentials
  + InvalidInput        a request that cannot be accepted (with a list of issues)
  + PayloadTooLarge     an upload over the configured size
  + Conflict            the request contradicts stored state (e.g. reused idempotency key)
"""

from __future__ import annotations

from typing import Any


class TanjiError(Exception):
    """Root of every error the service renders as a problem document."""

    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(TanjiError):
    """The object does not exist, or belongs to another tenant (never said which)."""


class Forbidden(TanjiError):
    """Authenticated, but the client's roles do not allow this action."""


class Unauthorized(TanjiError):
    """Missing, malformed, expired or revoked access token."""


class InvalidInput(TanjiError):
    """Input refused; ``issues`` lists each problem with its row and field."""

    def __init__(self, detail: str, issues: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail, issues=issues or [])
        self.issues = issues or []


class PayloadTooLarge(TanjiError):
    """An upload or request body larger than the configured limit."""


class Conflict(TanjiError):
    """The request contradicts stored state."""
