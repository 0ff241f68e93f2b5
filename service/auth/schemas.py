"""Auth payloads: the OAuth2 token response and the authenticated principal."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel


class TokenResponse(BaseModel):
    """RFC 6749 section 5.1 access-token response."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int


class Principal(BaseModel):
    """Who is calling: the client, its tenant and its roles."""

    client_pk: UUID
    client_id: str
    tenant_id: UUID
    roles: list[str]

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"client:{self.client_id}"


class ClientCreated(BaseModel):
    """A new client with its secret (the only time the secret is shown)."""

    tenant_id: UUID
    client_id: str
    client_secret: str
    roles: list[str]
