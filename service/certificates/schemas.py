"""Certificates, signing keys and verification answers as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

VerificationStatus = Literal["valid", "revoked", "invalid", "unknown"]


class CertificatePublic(BaseModel):
    """A signed certificate: the document, its signature and where to verify it.

    This JSON (or just ``document``, ``signature`` and ``key_id``) is what a
    verifier submits to ``POST /verify``.
    """

    serial: str
    result_id: UUID
    document: dict[str, Any]
    document_sha256: str = Field(description="SHA-256 (hex) of the document's RFC 8785 bytes")
    signature: str = Field(description="Ed25519 signature of the canonical bytes, base64")
    signature_algorithm: Literal["Ed25519"] = "Ed25519"
    key_id: str
    issued_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None
    verify_url: str


class RevokeRequest(BaseModel):
    """POST /v1/certificates/{serial}/revoke body."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class SigningKeyPublic(BaseModel):
    """A signing key's public half."""

    key_id: str
    public_key: str = Field(description="raw 32-byte Ed25519 public key, base64")
    algorithm: Literal["Ed25519"] = "Ed25519"
    created_at: datetime
    retired_at: datetime | None
    active: bool


class KeyRotation(BaseModel):
    """The answer to a rotation: the new active key and the ids retired."""

    active: SigningKeyPublic
    retired_key_ids: list[str]


class VerifyRequest(BaseModel):
    """A certificate presented for verification (further fields are ignored)."""

    model_config = ConfigDict(extra="ignore")
    document: dict[str, Any]
    signature: str = Field(max_length=200, description="base64 Ed25519 signature")
    key_id: str = Field(max_length=64)


class Verification(BaseModel):
    """What the registry says about a certificate.

    ``valid``: authentic, unchanged, not revoked. ``revoked``: authentic and
    unchanged but withdrawn by its issuer. ``invalid``: the signature does not
    verify, the document was altered, or it does not match the registered
    certificate. ``unknown``: no such serial.
    """

    status: VerificationStatus
    serial: str | None = None
    issuer: str | None = None
    issued_at: str | None = None
    document_sha256: str | None = None
    key_id: str | None = None
    public_key: str | None = Field(default=None, description="raw Ed25519 public key, base64")
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    authentic: bool = Field(default=False, description="the signature verifies")
    registered: bool = Field(default=False,
                             description="the registry holds exactly this document")
    reasons: list[str] = Field(default_factory=list, description="why it is not valid")
    document: dict[str, Any] | None = Field(
        default=None, description="the signed document (valid or revoked certificates only)")
