"""Signing keys: one active Ed25519 key per tenant, private halves encrypted at rest.

The key-encryption key (KEK) is derived with HKDF-SHA256 from ``TANJI_SECRET_PEPPER``.
With no pepper, and only in the ``development`` environment, a random KEK is kept in
``{data_dir}/signing-kek.key`` (mode 0600) and reused. Private keys are sealed with
AES-256-GCM, a fresh 96-bit nonce each, the key id and tenant id as associated data,
so a sealed key copied onto another row does not open. ``kek_id`` (a fingerprint
that reveals nothing of the KEK) is stored with each key, so a process with the
wrong KEK says so instead of failing obscurely.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from uuid import UUID

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from connectors import certificate
from service.certificates import store
from service.config import Settings

logger = logging.getLogger(__name__)

DEV_KEK_FILE = "signing-kek.key"
_KEK_INFO = b"tanji signing-key encryption v1"
_KEK_ID_INFO = b"tanji signing-key encryption v1 id"
_NONCE_BYTES = 12


class KeyUnavailable(RuntimeError):
    """The signing key cannot be opened: no KEK configured, or another KEK sealed it."""


@dataclass(frozen=True)
class Kek:
    """A key-encryption key and its public fingerprint."""

    key: bytes
    kek_id: str

    def seal(self, private_raw: bytes, *, key_id: str, tenant_id: UUID) -> bytes:
        """nonce || AES-GCM(private key), bound to the key id and tenant."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return nonce + AESGCM(self.key).encrypt(nonce, private_raw, _aad(key_id, tenant_id))

    def open(self, sealed: bytes, *, key_id: str, tenant_id: UUID) -> bytes:
        """The private key's raw bytes; ``KeyUnavailable`` when it does not decrypt."""
        nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        try:
            return AESGCM(self.key).decrypt(nonce, body, _aad(key_id, tenant_id))
        except InvalidTag:
            raise KeyUnavailable(f"signing key {key_id} does not decrypt with this KEK") from None


def _aad(key_id: str, tenant_id: UUID) -> bytes:
    return f"{key_id}:{tenant_id}".encode()


def _hkdf(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)


def _kek(material: bytes) -> Kek:
    return Kek(key=_hkdf(material, _KEK_INFO),
               kek_id=certificate.sha256_hex(_hkdf(material, _KEK_ID_INFO))[:16])


def _dev_material(path: Path) -> bytes:
    """The development KEK file's 32 bytes, created 0600 on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        logger.warning("created a development signing KEK; set TANJI_SECRET_PEPPER in "
                       "production", extra={"path": str(path)})
    if path.stat().st_mode & 0o077:
        logger.warning("the development KEK file is readable by others",
                       extra={"path": str(path)})
    text = path.read_text().strip()
    try:
        material = bytes.fromhex(text)
    except ValueError:
        material = b""
    if len(material) != 32:
        raise KeyUnavailable(f"{path} does not hold a 32-byte hex key")
    return material


@lru_cache(maxsize=4)
def _kek_for(pepper: str, environment: str, data_dir: str) -> Kek:
    if pepper:
        return _kek(pepper.encode())
    if environment != "development":
        raise KeyUnavailable("set TANJI_SECRET_PEPPER: signing keys are encrypted with a key "
                             "derived from it (a development KEK file is used only in the "
                             "development environment)")
    return _kek(_dev_material(Path(data_dir).resolve() / DEV_KEK_FILE))


def kek_for(settings: Settings) -> Kek:
    """The KEK for these settings (cached per process)."""
    return _kek_for(settings.secret_pepper.get_secret_value(), settings.environment,
                    str(settings.data_dir))


@dataclass(frozen=True)
class SigningKey:
    """An opened signing key, ready to sign."""

    key_id: str
    private_key: Ed25519PrivateKey


async def _create(conn: asyncpg.Connection, kek: Kek, tenant_id: UUID) -> asyncpg.Record:
    private_key = certificate.generate_private_key()
    public_raw = certificate.public_key_raw(private_key)
    key_id = certificate.key_id(public_raw)
    sealed = kek.seal(certificate.private_key_raw(private_key), key_id=key_id,
                      tenant_id=tenant_id)
    row = await store.insert_signing_key(conn, tenant_id=tenant_id, key_id=key_id,
                                         public_key=public_raw, private_key_sealed=sealed,
                                         kek_id=kek.kek_id)
    logger.info("signing key created", extra={"tenant_id": str(tenant_id), "key_id": key_id})
    return row


def _open(kek: Kek, row: asyncpg.Record, tenant_id: UUID) -> SigningKey:
    if row["kek_id"] != kek.kek_id:
        raise KeyUnavailable(f"signing key {row['key_id']} was sealed with KEK {row['kek_id']}, "
                             f"this process has KEK {kek.kek_id}")
    raw = kek.open(bytes(row["private_key_sealed"]), key_id=row["key_id"], tenant_id=tenant_id)
    private_key = certificate.private_key_from_raw(raw)
    if certificate.key_id(certificate.public_key_raw(private_key)) != row["key_id"]:
        raise KeyUnavailable(f"signing key {row['key_id']} does not match its public key")
    return SigningKey(key_id=row["key_id"], private_key=private_key)


async def active_key(conn: asyncpg.Connection, kek: Kek, tenant_id: UUID) -> SigningKey:
    """The tenant's active key, created on first use. Call inside a transaction."""
    row = await store.get_active_key(conn, tenant_id)
    if row is None:
        await store.lock_tenant_keys(conn, tenant_id)
        row = await store.get_active_key(conn, tenant_id) or await _create(conn, kek, tenant_id)
    return _open(kek, row, tenant_id)


async def rotate(conn: asyncpg.Connection, kek: Kek,
                 tenant_id: UUID) -> tuple[asyncpg.Record, list[str]]:
    """Retire the active key (kept for verification) and make a new one active.

    Returns the new key's row and the ids retired. Call inside a transaction.
    """
    await store.lock_tenant_keys(conn, tenant_id)
    retired = await store.retire_active_keys(conn, tenant_id)
    row = await _create(conn, kek, tenant_id)
    return row, retired
