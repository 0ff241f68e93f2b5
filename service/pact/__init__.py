"""PACT Pathfinder API v2 (Tech Specs 2.3): publish, serve, exchange events, pull.

Routes under ``/2/`` answer errors in PACT's ``{code, message}`` shape (:class:`PactError`,
rendered by :class:`service.pact.router.PactRoute`); the ``/v1/`` routes that publish,
register partners, send events and pull answer problem+json like the rest of the API.

PactError            {code, message} with the spec's status
  code: BadRequest 400, AccessDenied 403, NoSuchFootprint 404, NotImplemented 400,
        TokenExpired 401, InternalError 500
"""

from __future__ import annotations

PACT_STATUS = {"BadRequest": 400, "AccessDenied": 403, "NoSuchFootprint": 404,
               "NotImplemented": 400, "TokenExpired": 401, "InternalError": 500}


class PactError(Exception):
    """An error of a ``/2/`` route, rendered as ``{"code": ..., "message": ...}``."""

    def __init__(self, code: str, message: str) -> None:
        if code not in PACT_STATUS:
            raise ValueError(f"unknown PACT error code {code}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        """The HTTP status the spec gives this code."""
        return PACT_STATUS[self.code]
