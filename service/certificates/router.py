"""Signed certificates of footprint results: issue, read, PDF, revoke; key rotation;
the public verify endpoints (no authentication: verifiers and customs have no account).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Path, Response

from connectors import certificate
from service.auth.schemas import Principal
from service.auth.store import audit
from service.boms import store as bom_store
from service.certificates import keys, store
from service.certificates.schemas import (
    CertificatePublic,
    KeyRotation,
    RevokeRequest,
    SigningKeyPublic,
    Verification,
    VerifyRequest,
)
from service.config import Settings
from service.deps import Conn, RequestId, SettingsDep, require_roles
from service.errors import Conflict, NotFound
from service.footprints import store as footprint_store

logger = logging.getLogger(__name__)

router = APIRouter(tags=["certificates"])
Issuer = Annotated[Principal, Depends(require_roles("exporter", "buyer"))]
Reader = Annotated[Principal, Depends(require_roles("exporter", "buyer", "verifier"))]
Admin = Annotated[Principal, Depends(require_roles())]
Serial = Annotated[str, Path(max_length=64, description="e.g. TNJ-7K2QD-M9XWA-4HRT0-PZ3BN")]

SERIAL_ATTEMPTS = 3
NO_STORE = {"Cache-Control": "no-store"}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _public(row: asyncpg.Record, settings: Settings) -> CertificatePublic:
    return CertificatePublic(
        serial=row["serial"], result_id=row["result_id"], document=row["document"],
        document_sha256=row["document_sha256"], signature=_b64(bytes(row["signature"])),
        key_id=row["key_id"], issued_at=row["issued_at"], revoked_at=row["revoked_at"],
        revoked_reason=row["revoked_reason"],
        verify_url=certificate.verify_url(settings.public_url, row["serial"]))


def _key_public(row: asyncpg.Record) -> SigningKeyPublic:
    return SigningKeyPublic(key_id=row["key_id"], public_key=_b64(bytes(row["public_key"])),
                            created_at=row["created_at"], retired_at=row["retired_at"],
                            active=row["retired_at"] is None)


async def valid_certificate(serial: Serial, principal: Reader, conn: Conn) -> asyncpg.Record:
    """The caller's certificate or 404 (also for other tenants' serials)."""
    row = await store.get_certificate(conn, principal.tenant_id,
                                      certificate.normalize_serial(serial))
    if row is None:
        raise NotFound("no such certificate")
    return row


OwnCertificate = Annotated[asyncpg.Record, Depends(valid_certificate)]


@router.post("/v1/footprints/{result_id}/certificates", status_code=201,
             response_model=CertificatePublic, operation_id="certificates-create")
async def create_certificate(result_id: UUID, principal: Issuer, conn: Conn,
                             settings: SettingsDep, response: Response,
                             request_id: RequestId) -> CertificatePublic:
    """Issue a signed certificate of a footprint result (a new serial each call)."""
    result = await footprint_store.get_result(conn, principal.tenant_id, result_id)
    if result is None:
        raise NotFound("no such footprint")
    revision = await bom_store.get_revision(conn, principal.tenant_id, result["bom_revision_id"])
    product = revision and await bom_store.get_product(conn, principal.tenant_id,
                                                       revision["product_id"])
    if product is None:
        raise NotFound("the footprint's product is gone")
    issuer = await store.tenant_name(conn, principal.tenant_id)
    kek = keys.kek_for(settings)
    for attempt in range(SERIAL_ATTEMPTS):
        try:
            async with conn.transaction():
                key = await keys.active_key(conn, kek, principal.tenant_id)
                serial = certificate.new_serial()
                issued_at = datetime.now(UTC).replace(microsecond=0)
                document = certificate.build_document(
                    serial=serial, issuer=issuer, issued_at=issued_at,
                    subject={"part_number": product["part_number"], "name": product["name"],
                             "unit": product["unit"]},
                    result_id=str(result["id"]), result=result["result"],
                    bom_revision_hash=result["bom_revision_hash"],
                    snapshot_hash=result["snapshot_hash"], code_version=result["code_version"],
                    method_versions=result["method_versions"], key_id=key.key_id)
                row = await store.insert_certificate(
                    conn, serial=serial, tenant_id=principal.tenant_id, result_id=result["id"],
                    document=document, document_sha256=certificate.document_sha256(document),
                    signature=certificate.sign(key.private_key, document), key_id=key.key_id,
                    issued_at=issued_at)
                await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor,
                            action="issue", object_type="certificate", object_id=serial,
                            detail={"result_id": str(result["id"]), "key_id": key.key_id},
                            request_id=request_id)
            break
        except asyncpg.UniqueViolationError:
            if attempt == SERIAL_ATTEMPTS - 1:
                raise
    logger.info("certificate issued", extra={"tenant_id": str(principal.tenant_id),
                                              "serial": row["serial"], "key_id": row["key_id"]})
    response.headers["Location"] = f"/v1/certificates/{row['serial']}"
    return _public(row, settings)


@router.get("/v1/certificates/{serial}", response_model=CertificatePublic,
            operation_id="certificates-get")
async def get_certificate(row: OwnCertificate, settings: SettingsDep) -> CertificatePublic:
    """A certificate with its signature: the JSON a verifier can submit to POST /verify."""
    return _public(row, settings)


@router.get("/v1/certificates/{serial}/pdf", response_class=Response,
            operation_id="certificates-pdf",
            responses={200: {"content": {"application/pdf": {}},
                             "description": "the certificate as one PDF page"}})
async def get_certificate_pdf(row: OwnCertificate, settings: SettingsDep) -> Response:
    """The certificate as PDF, with a QR code to the public verify endpoint."""
    pdf = await asyncio.to_thread(
        certificate.render_pdf, document=row["document"],
        signature_b64=_b64(bytes(row["signature"])), document_hash=row["document_sha256"],
        verify_link=certificate.verify_url(settings.public_url, row["serial"]),
        revoked_at=row["revoked_at"], revoked_reason=row["revoked_reason"])
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{row["serial"]}.pdf"'})


@router.post("/v1/certificates/{serial}/revoke", response_model=CertificatePublic,
             operation_id="certificates-revoke",
             responses={409: {"description": "revoked already"}})
async def revoke_certificate(serial: Serial, body: RevokeRequest, principal: Admin, conn: Conn,
                             settings: SettingsDep, request_id: RequestId) -> CertificatePublic:
    """Withdraw a certificate (admin of the issuing tenant); /verify then answers revoked."""
    serial = certificate.normalize_serial(serial)
    async with conn.transaction():
        row = await store.revoke_certificate(conn, principal.tenant_id, serial, body.reason)
        if row is None:
            if await store.get_certificate(conn, principal.tenant_id, serial) is None:
                raise NotFound("no such certificate")
            raise Conflict("the certificate is revoked already")
        await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor, action="revoke",
                    object_type="certificate", object_id=serial,
                    detail={"reason": body.reason}, request_id=request_id)
    return _public(row, settings)


@router.post("/v1/admin/signing-keys/rotate", response_model=KeyRotation,
             operation_id="signing-keys-rotate")
async def rotate_signing_key(principal: Admin, conn: Conn, settings: SettingsDep,
                             request_id: RequestId) -> KeyRotation:
    """Make a new active signing key; retired keys stay to verify what they signed."""
    kek = keys.kek_for(settings)
    async with conn.transaction():
        row, retired = await keys.rotate(conn, kek, principal.tenant_id)
        await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor, action="rotate",
                    object_type="signing_key", object_id=row["key_id"],
                    detail={"retired_key_ids": retired}, request_id=request_id)
    return KeyRotation(active=_key_public(row), retired_key_ids=retired)


@router.get("/v1/admin/signing-keys", response_model=list[SigningKeyPublic],
            operation_id="signing-keys-list")
async def list_signing_keys(principal: Admin, conn: Conn) -> list[SigningKeyPublic]:
    """The tenant's signing keys, oldest first (public halves only)."""
    return [_key_public(r) for r in await store.list_keys(conn, principal.tenant_id)]


# -- public verification -------------------------------------------------------------------


def _registry_problems(row: asyncpg.Record) -> list[str]:
    """Why a stored certificate fails its own checks (empty: it holds)."""
    document = row["document"]
    if not isinstance(document, dict):
        return ["the stored document is not a JSON object"]
    reasons = []
    public_raw = bytes(row["public_key"])
    try:
        digest = certificate.document_sha256(document)
    except certificate.CertificateError:
        digest = None
    if digest != row["document_sha256"]:
        reasons.append("the stored document does not match its registered SHA-256")
    if document.get("serial") != row["serial"]:
        reasons.append("the stored document names another serial")
    if document.get("key_id") != row["key_id"] or certificate.key_id(public_raw) != row["key_id"]:
        reasons.append("the stored document, key id and public key do not agree")
    if not certificate.verify(public_raw, document, bytes(row["signature"])):
        reasons.append("the signature does not verify")
    return reasons


def _registered(row: asyncpg.Record, **extra: Any) -> Verification:
    document = row["document"]
    return Verification(
        status="revoked" if row["revoked_at"] is not None else "valid",
        serial=row["serial"], issuer=document.get("issuer"), issued_at=document.get("issued_at"),
        document_sha256=row["document_sha256"], key_id=row["key_id"],
        public_key=_b64(bytes(row["public_key"])), revoked_at=row["revoked_at"],
        revoked_reason=row["revoked_reason"], authentic=True, registered=True, **extra)


@router.get("/verify/{serial}", response_model=Verification, operation_id="verify-serial",
            tags=["verification"])
async def verify_serial(serial: Serial, conn: Conn, response: Response) -> Verification:
    """Public: is this serial a valid, unchanged, unrevoked certificate? (no authentication)

    The answer is recomputed each time: the stored document is canonicalised again,
    its SHA-256 compared, and the Ed25519 signature checked with the key's public half.
    """
    response.headers.update(NO_STORE)
    serial = certificate.normalize_serial(serial)
    row = await store.find_certificate(conn, serial) if certificate.is_serial(serial) else None
    if row is None:
        return Verification(status="unknown", serial=serial, reasons=["no such certificate"])
    reasons = _registry_problems(row)
    if reasons:
        logger.warning("stored certificate fails verification",
                       extra={"serial": serial, "reasons": reasons})
        return Verification(status="invalid", serial=serial, key_id=row["key_id"],
                            reasons=reasons)
    return _registered(row, document=row["document"])


@router.post("/verify", response_model=Verification, operation_id="verify-document",
             tags=["verification"])
async def verify_document(body: VerifyRequest, conn: Conn, response: Response) -> Verification:
    """Public: is this certificate JSON authentic, unchanged and not revoked?"""
    response.headers.update(NO_STORE)
    reasons: list[str] = []
    try:
        digest = certificate.document_sha256(body.document)
    except certificate.CertificateError as exc:
        return Verification(status="invalid", key_id=body.key_id,
                            reasons=[f"the document has no canonical form: {exc}"])
    try:
        signature = base64.b64decode(body.signature, validate=True)
    except (binascii.Error, ValueError):
        signature = b""
        reasons.append("the signature is not base64")
    key = await store.get_public_key(conn, body.key_id)
    if key is None:
        reasons.append("no signing key has this key id")
    if body.document.get("key_id") != body.key_id:
        reasons.append("the document names another key id")
    if key is not None and not certificate.verify(bytes(key["public_key"]), body.document,
                                                   signature):
        reasons.append("the signature does not verify: the document was altered or signed "
                       "by another key")
    if reasons:
        return Verification(status="invalid", document_sha256=digest, key_id=body.key_id,
                            reasons=reasons)
    serial = body.document.get("serial")
    row = None
    if isinstance(serial, str) and certificate.is_serial(serial):
        row = await store.find_certificate(conn, serial)
    if row is None:
        return Verification(status="unknown", serial=serial if isinstance(serial, str) else None,
                            document_sha256=digest, key_id=body.key_id,
                            public_key=_b64(bytes(key["public_key"])), authentic=True,
                            reasons=["authentic signature, but no such certificate is "
                                     "registered"])
    if row["document_sha256"] != digest or row["key_id"] != body.key_id:
        return Verification(status="invalid", serial=serial, document_sha256=digest,
                            key_id=body.key_id, authentic=True,
                            reasons=["the document differs from the registered certificate"])
    registry = _registry_problems(row)
    if registry:
        return Verification(status="invalid", serial=serial, document_sha256=digest,
                            key_id=body.key_id, authentic=True, reasons=registry)
    return _registered(row)
