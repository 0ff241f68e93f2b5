"""Signed footprint certificates: canonical JSON, Ed25519, serial numbers, the PDF.

A certificate is a JSON *document* signed with Ed25519 over its canonical bytes:

    canonical_json(document) -> bytes      RFC 8785 (JCS): sorted keys, no whitespace,
                                           UTF-8, ECMAScript number form
    sign(private_key, document) -> 64-byte signature
    verify(public_key_raw, document, signature) -> bool

Keys are named by ``key_id(public_key_raw)``: the first 16 hex digits of the
SHA-256 of the 32 raw public-key bytes. Serials read ``TNJ-XXXXX-XXXXX-XXXXX-XXXXX``
(20 Crockford base32 characters, 100 random bits). ``render_pdf`` draws the
human-readable page with a QR code that points to the public verify endpoint.

Pure: no I/O beyond what it is given, no service imports.

ConnectorError
  + CertificateError   a document cannot be canonicalised, a key or signature is malformed
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from connectors.errors import ConnectorError

__all__ = [
    "FORMAT",
    "SIGNATURE_ALGORITHM",
    "CertificateError",
    "build_document",
    "canonical_json",
    "document_sha256",
    "generate_private_key",
    "is_serial",
    "key_id",
    "new_serial",
    "normalize_serial",
    "private_key_from_raw",
    "private_key_raw",
    "public_key_raw",
    "render_pdf",
    "result_summary",
    "sha256_hex",
    "sign",
    "verify",
    "verify_url",
]

FORMAT = "tanji-certificate/1"
SIGNATURE_ALGORITHM = "Ed25519"
SERIAL_PREFIX = "TNJ"
SERIAL_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford base32: no I, L, O, U, so a serial read aloud or retyped stays unambiguous."""
SERIAL_GROUPS = 4
SERIAL_GROUP_LENGTH = 5
_SERIAL_RE = re.compile(
    rf"^{SERIAL_PREFIX}(?:-[{SERIAL_ALPHABET}]{{{SERIAL_GROUP_LENGTH}}}){{{SERIAL_GROUPS}}}$")
MAX_DEPTH = 64
MAX_SAFE_INTEGER = 2**53
SUMMARY_ENTRY_MAX_BYTES = 64 * 1024
"""A result entry larger than this (canonical bytes) stays out of the certificate."""


class CertificateError(ConnectorError):
    """A document cannot be canonicalised, or a key or signature is malformed."""


# -- canonical JSON (RFC 8785) -------------------------------------------------------------


def _number(value: float) -> str:
    """ECMAScript Number::toString of a finite double (RFC 8785 section 3.2.2.3)."""
    if math.isnan(value) or math.isinf(value):
        raise CertificateError("NaN and Infinity have no JSON form")
    if value == 0:
        return "0"
    if value < 0:
        return "-" + _number(-value)
    _, digit_tuple, exponent = Decimal(repr(value)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    k = len(digits)
    n = exponent + k  # value = 0.digits x 10^n
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def _integer(value: int) -> str:
    if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return str(value)
    try:
        return _number(float(value))
    except OverflowError:
        raise CertificateError(f"integer {value} is beyond the range of a double") from None


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _write(value: Any, out: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise CertificateError(f"document nested deeper than {MAX_DEPTH} levels")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(_integer(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise CertificateError("object keys must be strings")
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16_key)):
            if i:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _write(value[key], out, depth + 1)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, depth + 1)
        out.append("]")
    else:
        raise CertificateError(f"{type(value).__name__} has no JSON form")


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value.

    Object keys sorted by UTF-16 code units, no whitespace, strings escaped as
    ECMAScript's ``JSON.stringify`` does (only ``"``, ``\\`` and control
    characters), numbers in ECMAScript form, so ``1``, ``1.0`` and ``1e0`` are
    one and the same, as they are after a trip through PostgreSQL ``jsonb``.
    """
    out: list[str] = []
    _write(value, out, 0)
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError:
        raise CertificateError("strings must not contain lone surrogates") from None


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256."""
    return hashlib.sha256(data).hexdigest()


def document_sha256(document: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the document's canonical bytes: the hash the signature covers."""
    return sha256_hex(canonical_json(document))


# -- keys and signatures ------------------------------------------------------------------


def generate_private_key() -> Ed25519PrivateKey:
    """A new Ed25519 key."""
    return Ed25519PrivateKey.generate()


def private_key_raw(private_key: Ed25519PrivateKey) -> bytes:
    """The 32-byte raw private key (to be encrypted before it is stored)."""
    return private_key.private_bytes(serialization.Encoding.Raw,
                                     serialization.PrivateFormat.Raw,
                                     serialization.NoEncryption())


def private_key_from_raw(raw: bytes) -> Ed25519PrivateKey:
    """The key from its 32 raw bytes."""
    try:
        return Ed25519PrivateKey.from_private_bytes(raw)
    except ValueError as exc:
        raise CertificateError(f"not an Ed25519 private key: {exc}") from None


def public_key_raw(private_key: Ed25519PrivateKey) -> bytes:
    """The 32 raw bytes of the key's public half."""
    return private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                 serialization.PublicFormat.Raw)


def key_id(public_raw: bytes) -> str:
    """The key's name: first 16 hex digits of SHA-256 of the raw public key."""
    return sha256_hex(public_raw)[:16]


def sign(private_key: Ed25519PrivateKey, document: Mapping[str, Any]) -> bytes:
    """Ed25519 signature (64 bytes) over the document's canonical bytes."""
    return private_key.sign(canonical_json(document))


def verify(public_raw: bytes, document: Mapping[str, Any], signature: bytes) -> bool:
    """True when ``signature`` is the key's signature of exactly this document."""
    try:
        public_key = Ed25519PublicKey.from_public_bytes(public_raw)
        public_key.verify(signature, canonical_json(document))
    except (InvalidSignature, ValueError, CertificateError):
        return False
    return True


# -- serials and the document -------------------------------------------------------------


def new_serial() -> str:
    """A fresh serial, e.g. ``TNJ-7K2QD-M9XWA-4HRT0-PZ3BN`` (100 random bits)."""
    chars = "".join(secrets.choice(SERIAL_ALPHABET)
                    for _ in range(SERIAL_GROUPS * SERIAL_GROUP_LENGTH))
    groups = [chars[i:i + SERIAL_GROUP_LENGTH] for i in range(0, len(chars), SERIAL_GROUP_LENGTH)]
    return "-".join([SERIAL_PREFIX, *groups])


def normalize_serial(text: str) -> str:
    """A serial as typed (any case, surrounding blanks) in its stored form."""
    return text.strip().upper()


def is_serial(text: str) -> bool:
    """Whether ``text`` (normalised) has the form of a serial."""
    return bool(_SERIAL_RE.fullmatch(text))


def result_summary(result: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The entries of a footprint result a certificate carries, and the names left out.

    Kept: top-level scalars and objects (totals, per-indicator sums, status).
    Left out: arrays (per-line leaves, contribution lists, samples) and any entry
    whose canonical form exceeds ``SUMMARY_ENTRY_MAX_BYTES``. The whole result is
    still bound to the certificate through its SHA-256.
    """
    kept: dict[str, Any] = {}
    omitted: list[str] = []
    for key, value in result.items():
        if isinstance(value, list | tuple) or (
                isinstance(value, Mapping)
                and len(canonical_json(value)) > SUMMARY_ENTRY_MAX_BYTES):
            omitted.append(key)
        else:
            kept[key] = value
    return kept, sorted(omitted)


def iso_utc(moment: datetime) -> str:
    """``2026-01-31T12:00:00Z`` (seconds, UTC)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def build_document(*, serial: str, issuer: str, issued_at: datetime, subject: Mapping[str, Any],
                   result_id: str, result: Mapping[str, Any], bom_revision_hash: str,
                   snapshot_hash: str | None, code_version: str,
                   method_versions: Mapping[str, Any], key_id: str) -> dict[str, Any]:
    """The certificate document for one footprint result (to be signed as is)."""
    summary, omitted = result_summary(result)
    return {
        "format": FORMAT,
        "serial": serial,
        "issuer": issuer,
        "issued_at": iso_utc(issued_at),
        "subject": dict(subject),
        "result_id": result_id,
        "bom_revision_hash": bom_revision_hash,
        "snapshot_hash": snapshot_hash,
        "code_version": code_version,
        "method_versions": dict(method_versions),
        "result": summary,
        "result_omitted": omitted,
        "result_sha256": document_sha256(result),
        "signature_algorithm": SIGNATURE_ALGORITHM,
        "key_id": key_id,
    }


def verify_url(public_url: str, serial: str) -> str:
    """Where the QR code points: the public verify endpoint for ``serial``."""
    return f"{public_url.rstrip('/')}/verify/{serial}"


# -- the PDF ------------------------------------------------------------------------------

_LATIN_FONT = "Helvetica"
_CJK_FONT = "STSong-Light"
_MAX_SUMMARY_LINES = 22


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        rows: list[tuple[str, str]] = []
        for key in sorted(value, key=_utf16_key):
            rows += _flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(value, float):
        return [(prefix, _number(value))]
    if isinstance(value, str):
        return [(prefix, value)]
    return [(prefix, canonical_json(value).decode("utf-8"))]


def render_pdf(*, document: Mapping[str, Any], signature_b64: str, document_hash: str,
               verify_link: str, revoked_at: datetime | None = None,
               revoked_reason: str | None = None) -> bytes:
    """One A4 page: who, what, the summary, the signature and a QR code to ``verify_link``.

    The JSON document is authoritative; the page says so and prints its SHA-256.
    """
    import qrcode
    from reportlab.lib.colors import Color, black, white
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if _CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_CJK_FONT))

    def font_for(text: str, bold: bool = False) -> str:
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            return _CJK_FONT
        return "Helvetica-Bold" if bold else _LATIN_FONT

    buffer = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    serial = str(document.get("serial", ""))
    pdf.setTitle(f"Certificate {serial}")
    pdf.setAuthor(str(document.get("issuer", "")))
    pdf.setSubject("Product carbon footprint certificate")
    pdf.setCreator("Tanji")
    left = 20 * mm
    right = width - 20 * mm
    y = height - 25 * mm

    # QR code, top right, drawn module by module (vector, no image).
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(verify_link)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    qr_size = 42 * mm
    module = qr_size / len(matrix)
    qr_x, qr_y = right - qr_size, height - 15 * mm - qr_size
    pdf.setFillColor(white)
    pdf.rect(qr_x, qr_y, qr_size, qr_size, stroke=0, fill=1)
    pdf.setFillColor(black)
    for row_index, row in enumerate(matrix):
        top = qr_y + qr_size - (row_index + 1) * module
        col = 0
        while col < len(row):
            if row[col]:
                start = col
                while col < len(row) and row[col]:
                    col += 1
                pdf.rect(qr_x + start * module, top, (col - start) * module, module,
                         stroke=0, fill=1)
            else:
                col += 1
    pdf.setFont(_LATIN_FONT, 7)
    pdf.drawCentredString(qr_x + qr_size / 2, qr_y - 3.5 * mm, "Scan to verify")

    text_width = qr_x - left - 6 * mm

    def line(text: str, size: float = 10, *, bold: bool = False, gap: float = 1.45,
             width_pt: float = text_width, font: str | None = None) -> None:
        nonlocal y
        name = font or font_for(text, bold)
        monospaced = name.startswith("Courier")  # aligned columns: keep the blanks
        for part in [text] if monospaced else simpleSplit(text, name, size, width_pt) or [""]:
            pdf.setFont(name, size)
            pdf.drawString(left, y, part)
            y -= size * gap

    line("Product carbon footprint certificate", 17, bold=True, gap=1.6)
    line(serial, 13, bold=True, gap=2.0, font="Courier-Bold")
    if revoked_at is not None:
        pdf.setFillColor(Color(0.75, 0.05, 0.05))
        line(f"REVOKED {iso_utc(revoked_at)}: {revoked_reason or ''}", 12, bold=True, gap=1.8)
        pdf.setFillColor(black)

    subject = document.get("subject") or {}
    for label, value in (
        ("Issuer", document.get("issuer")),
        ("Issued at", document.get("issued_at")),
        ("Product", f"{subject.get('part_number', '')} {subject.get('name', '')}".strip()),
        ("Declared unit", subject.get("unit")),
    ):
        line(f"{label}: {value}", 10)
    y = min(y, qr_y - 10 * mm)

    full = right - left
    line("Provenance", 12, bold=True, width_pt=full)
    methods = ", ".join(f"{k} {v}" for k, v in _flatten(document.get("method_versions") or {}))
    line(f"Code version: {document.get('code_version')}    Methods: {methods or 'none'}", 9,
         width_pt=full)
    for label, value in (("BOM revision", document.get("bom_revision_hash")),
                         ("Snapshot", document.get("snapshot_hash") or "none"),
                         ("Result id", document.get("result_id"))):
        line(f"{label + ':':<14}{value}", 8, width_pt=full, font="Courier")
    y -= 2 * mm
    line("Result", 12, bold=True, width_pt=full)
    rows = _flatten(document.get("result") or {})
    for path, value in rows[:_MAX_SUMMARY_LINES]:
        line(f"{path}: {value}", 9, width_pt=full)
    if len(rows) > _MAX_SUMMARY_LINES:
        line(f"... {len(rows) - _MAX_SUMMARY_LINES} more entries in the JSON certificate", 9,
             width_pt=full)
    omitted = document.get("result_omitted") or []
    if omitted:
        line(f"Per-line detail not on the certificate: {', '.join(map(str, omitted))}", 8,
             width_pt=full)
    line(f"{'Result SHA-256:':<18}{document.get('result_sha256')}", 8, width_pt=full,
         font="Courier")

    y -= 3 * mm
    line("Signature", 12, bold=True, width_pt=full)
    line(f"Algorithm: {document.get('signature_algorithm')}    Key id: {document.get('key_id')}",
         9, width_pt=full)
    line(f"{'Document SHA-256:':<18}{document_hash}", 8, width_pt=full, font="Courier")
    line(f"{'Signature:':<18}{signature_b64[:64]}", 8, width_pt=full, font="Courier")
    if signature_b64[64:]:
        line(" " * 18 + signature_b64[64:], 8, width_pt=full, font="Courier")

    y -= 3 * mm
    line(f"Verify: {verify_link}", 9, width_pt=full)
    line("The signed JSON certificate is authoritative; this page renders it. A verifier "
         "checks the serial at the address above, or submits the JSON certificate to "
         "POST /verify, and compares the document SHA-256.", 8, width_pt=full)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
