"""Canonical JSON (RFC 8785), Ed25519 sign/verify, tamper detection, serials, the PDF."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime

import pytest

from connectors import certificate
from connectors.certificate import CertificateError, canonical_json

# RFC 8785 appendix B: IEEE 754 bit patterns and their ECMAScript serialisation.
NUMBER_VECTORS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def make_document(**changes) -> dict:
    document = certificate.build_document(
        serial="TNJ-7K2QD-M9XWA-4HRT0-PZ3BN", issuer="Acme 碳迹 GmbH",
        issued_at=datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=UTC),
        subject={"part_number": "BK-1", "name": "Bike", "unit": "unit"},
        result_id="00000000-0000-0000-0000-000000000001",
        result={"totals": {"gwp100_kg_co2e": 12.5, "so2_kg": 0.0031}, "status": "ok",
                "leaves": [{"line_id": "a"}]},
        bom_revision_hash="b" * 64, snapshot_hash=None, code_version="0.1.0",
        method_versions={"ipcc": "AR6"}, key_id="0123456789abcdef")
    document.update(changes)
    return document


@pytest.mark.parametrize(("bits", "expected"), NUMBER_VECTORS)
def test_numbers_serialise_as_ecmascript(bits: str, expected: str) -> None:
    value = struct.unpack(">d", bytes.fromhex(bits))[0]
    assert canonical_json(value) == expected.encode()


def test_rfc8785_example() -> None:
    text = ('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
            ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
            ' "literals": [null, true, false]}')
    expected = ('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,'
                '1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}')
    assert canonical_json(json.loads(text)) == expected.encode("utf-8")


def test_keys_sort_by_utf16_code_units() -> None:
    value = {"\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\U0001f600": 5, "\u0080": 6, "\u00f6": 7}
    keys = list(json.loads(canonical_json(value)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_canonical_form_is_compact_utf8_and_stable_across_number_spellings() -> None:
    assert canonical_json({"b": [1, 2.0], "a": {"y": None, "x": "é"}}) == (
        '{"a":{"x":"é","y":null},"b":[1,2]}'.encode())
    # What a jsonb round trip may do to numbers changes nothing.
    assert canonical_json(json.loads('{"v": 1e-7, "w": 100.0, "z": 1e300}')) == canonical_json(
        json.loads('{"v": 0.0000001, "w": 100, "z": 1' + "0" * 300 + "}"))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), {1: "x"}, {"s": {1, 2}},
                                 "\ud800", 10**400])
def test_values_without_canonical_form_are_refused(bad) -> None:
    with pytest.raises(CertificateError):
        canonical_json(bad)


def test_nesting_is_bounded() -> None:
    deep: list = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(CertificateError):
        canonical_json(deep)


def test_sign_and_verify() -> None:
    private_key = certificate.generate_private_key()
    public_raw = certificate.public_key_raw(private_key)
    document = make_document()
    signature = certificate.sign(private_key, document)
    assert len(signature) == 64
    assert certificate.verify(public_raw, document, signature)
    # Key order and number spelling are not part of what is signed.
    reordered = json.loads(json.dumps(dict(reversed(list(document.items())))))
    assert certificate.verify(public_raw, reordered, signature)


def test_tampering_is_detected() -> None:
    private_key = certificate.generate_private_key()
    public_raw = certificate.public_key_raw(private_key)
    document = make_document()
    signature = certificate.sign(private_key, document)
    changed = json.loads(json.dumps(document).replace("12.5", "11.5"))
    assert changed != document
    assert not certificate.verify(public_raw, changed, signature)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not certificate.verify(public_raw, document, flipped)
    assert not certificate.verify(public_raw, document, signature[:-1])
    other = certificate.public_key_raw(certificate.generate_private_key())
    assert not certificate.verify(other, document, signature)
    assert not certificate.verify(b"short", document, signature)


def test_every_single_byte_change_of_the_canonical_document_fails() -> None:
    private_key = certificate.generate_private_key()
    public_raw = certificate.public_key_raw(private_key)
    document = make_document()
    signature = certificate.sign(private_key, document)
    data = canonical_json(document)
    for position in range(0, len(data), 7):
        altered = bytearray(data)
        altered[position] ^= 0x01
        try:
            candidate = json.loads(bytes(altered).decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        assert not certificate.verify(public_raw, candidate, signature), position


def test_key_id_and_raw_key_round_trip() -> None:
    private_key = certificate.generate_private_key()
    public_raw = certificate.public_key_raw(private_key)
    assert len(public_raw) == 32
    key_id = certificate.key_id(public_raw)
    assert key_id == certificate.sha256_hex(public_raw)[:16]
    assert len(key_id) == 16
    again = certificate.private_key_from_raw(certificate.private_key_raw(private_key))
    assert certificate.public_key_raw(again) == public_raw
    with pytest.raises(CertificateError):
        certificate.private_key_from_raw(b"too short")


def test_serials_are_well_formed_and_distinct() -> None:
    serials = {certificate.new_serial() for _ in range(2000)}
    assert len(serials) == 2000
    for serial in serials:
        assert certificate.is_serial(serial), serial
        assert len(serial) == len("TNJ-") + 20 + 3
    assert certificate.normalize_serial(" tnj-7k2qd-m9xwa-4hrt0-pz3bn ") == (
        "TNJ-7K2QD-M9XWA-4HRT0-PZ3BN")
    assert not certificate.is_serial("TNJ-7K2QD-M9XWA-4HRT0-PZ3BI")  # I is not Crockford
    assert not certificate.is_serial("TNJ-7K2QD")


def test_document_keeps_summary_and_binds_the_whole_result() -> None:
    document = make_document()
    assert document["issued_at"] == "2026-01-31T12:00:00Z"
    assert document["result"] == {"totals": {"gwp100_kg_co2e": 12.5, "so2_kg": 0.0031},
                                  "status": "ok"}
    assert document["result_omitted"] == ["leaves"]
    assert document["result_sha256"] == certificate.document_sha256(
        {"totals": {"gwp100_kg_co2e": 12.5, "so2_kg": 0.0031}, "status": "ok",
         "leaves": [{"line_id": "a"}]})
    big = {"per_line": {str(i): i * 1.5 for i in range(20_000)}, "total": 3}
    summary, omitted = certificate.result_summary(big)
    assert summary == {"total": 3}
    assert omitted == ["per_line"]


def test_pdf_renders() -> None:
    document = make_document()
    pdf = certificate.render_pdf(
        document=document, signature_b64="A" * 86 + "==", document_hash="c" * 64,
        verify_link=certificate.verify_url("https://tanji.example/", document["serial"]),
        revoked_at=datetime(2026, 2, 1, tzinfo=UTC), revoked_reason="superseded")
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert certificate.verify_url("https://tanji.example/", "TNJ-X") == (
        "https://tanji.example/verify/TNJ-X")
