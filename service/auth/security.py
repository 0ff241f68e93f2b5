"""Secrets and tokens: generation, hashing at rest, verification.

Client secrets are hashed with Argon2id (argon2-cffi). Access tokens are
opaque 256-bit random strings; only their SHA-256 is stored, which is safe for
high-entropy tokens and lets a lookup use an index.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

ROLES = ("admin", "buyer", "supplier", "exporter", "verifier")


def new_client_id() -> str:
    """A public client identifier."""
    return "tnj_" + secrets.token_hex(12)


def new_secret() -> str:
    """A client secret, shown once and then only kept as a hash."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Argon2id hash of a client secret."""
    return _hasher.hash(secret)


def verify_secret(secret_hash: str, secret: str) -> bool:
    """True when ``secret`` matches ``secret_hash``."""
    try:
        return _hasher.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


DUMMY_HASH = hash_secret(new_secret())
"""Verified against when a client id is unknown, so timing does not reveal which ids exist."""


def new_access_token() -> str:
    """An opaque bearer token."""
    return "tnjat_" + secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    """What is stored for a token: its SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).digest()
