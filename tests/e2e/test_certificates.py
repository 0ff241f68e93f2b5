"""Signed certificates end to end: a real footprint result, issue, verify, revoke, rotate,
tenancy and roles, the PDF rendered to pixels; a tampered row in PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest

from connectors import certificate
from service.certificates import keys
from service.config import Settings

LINES = [{"line_id": "a", "part_number": "A", "description": "Aluminium", "quantity": 2,
          "unit": "kg"},
         {"line_id": "b", "part_number": "B", "description": "Power", "quantity": 3.6,
          "unit": "MJ"}]


async def footprint_result(tenant) -> str:
    """A succeeded footprint result of a new product, computed by the worker."""
    async with await tenant.client("buyer") as http:
        product = (await http.post("/v1/products", json={"part_number": f"P{time.time_ns()}",
                                                         "name": "Bike frame"})).json()
        revision = (await http.post(f"/v1/products/{product['id']}/boms",
                                    json={"lines": LINES})).json()
        job = await http.post("/v1/footprints", json={"bom_revision_id": revision["id"]})
        assert job.status_code == 202, job.text
        deadline = time.monotonic() + 90
        while True:
            state = (await http.get(f"/v1/jobs/{job.json()['id']}")).json()
            assert "state" in state, state
            if state["state"] in ("succeeded", "failed"):
                break
            assert time.monotonic() < deadline, state
            await asyncio.sleep(0.3)
        assert state["state"] == "succeeded", state
        return state["result_id"]


async def issue(tenant, result_id: str, role: str = "exporter") -> dict:
    async with await tenant.client(role) as http:
        response = await http.post(f"/v1/footprints/{result_id}/certificates")
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/certificates/{response.json()['serial']}"
    return response.json()


def public(api_url: str) -> httpx.AsyncClient:
    """No credentials at all: what a verifier or customs officer has."""
    return httpx.AsyncClient(base_url=api_url, timeout=30)


async def test_issue_and_verify(make_tenant, worker, api_url) -> None:
    tenant = await make_tenant("issuer")
    result_id = await footprint_result(tenant)
    cert = await issue(tenant, result_id)
    document = cert["document"]
    assert certificate.is_serial(cert["serial"])
    assert document["serial"] == cert["serial"]
    assert document["issuer"].startswith("issuer-")
    assert document["subject"]["name"] == "Bike frame"
    assert document["result_id"] == result_id
    assert document["key_id"] == cert["key_id"]
    async with await tenant.client("buyer") as http:
        stored = (await http.get(f"/v1/footprints/{result_id}")).json()
    # Whatever the result holds: its non-array entries are certified, the rest is hashed.
    summary, omitted = certificate.result_summary(stored["result"])
    assert document["result"] == summary
    assert document["result_omitted"] == omitted
    assert document["result_sha256"] == certificate.document_sha256(stored["result"])
    assert document["bom_revision_hash"] == stored["bom_revision_hash"]
    assert document["code_version"] == stored["code_version"]
    assert cert["document_sha256"] == certificate.document_sha256(document)
    assert cert["verify_url"].endswith(f"/verify/{cert['serial']}")

    async with public(api_url) as http:
        verdict = (await http.get(f"/verify/{cert['serial']}")).json()
        assert verdict["status"] == "valid", verdict
        assert verdict["authentic"]
        assert verdict["registered"]
        assert verdict["issuer"] == document["issuer"]
        assert verdict["issued_at"] == document["issued_at"]
        assert verdict["document_sha256"] == cert["document_sha256"]
        assert verdict["key_id"] == cert["key_id"]
        assert verdict["document"] == document
        public_raw = base64.b64decode(verdict["public_key"])
        assert certificate.key_id(public_raw) == cert["key_id"]
        # Offline: the public key alone verifies the certificate.
        assert certificate.verify(public_raw, document, base64.b64decode(cert["signature"]))
        lower = (await http.get(f"/verify/{cert['serial'].lower()}")).json()
        assert lower["status"] == "valid"

        uploaded = await http.post("/verify", json=cert)
        assert uploaded.status_code == 200
        assert uploaded.json()["status"] == "valid", uploaded.json()
        assert uploaded.headers["cache-control"] == "no-store"

        # One byte of the document changed: no longer authentic.
        text = json.dumps(document, sort_keys=True)
        at = text.index("Bike frame")
        altered = json.loads(text[:at] + "b" + text[at + 1:])
        tampered = await http.post("/verify", json={**cert, "document": altered})
        assert tampered.json()["status"] == "invalid", tampered.json()
        assert not tampered.json()["authentic"]
        assert tampered.json()["issuer"] is None
        signature = bytearray(base64.b64decode(cert["signature"]))
        signature[10] ^= 0x01
        forged = await http.post("/verify", json={**cert, "signature": base64.b64encode(
            bytes(signature)).decode()})
        assert forged.json()["status"] == "invalid"
        wrong_key = await http.post("/verify", json={**cert, "key_id": "0" * 16})
        assert wrong_key.json()["status"] == "invalid"
        garbage = await http.post("/verify", json={**cert, "signature": "not base64!"})
        assert garbage.json()["status"] == "invalid"


async def test_unknown_serials(api_url) -> None:
    async with public(api_url) as http:
        unknown = (await http.get(f"/verify/{certificate.new_serial()}")).json()
        assert unknown["status"] == "unknown"
        assert unknown["issuer"] is None
        assert unknown["document"] is None
        assert (await http.get("/verify/not-a-serial")).json()["status"] == "unknown"
        assert (await http.get("/verify/" + "X" * 65)).status_code == 422
        nested: list = []
        for _ in range(100):
            nested = [nested]
        deep = await http.post("/verify", json={"document": {"serial": "TNJ-X", "x": nested},
                                                "signature": "AA==", "key_id": "0" * 16})
        assert deep.status_code == 200
        assert deep.json()["status"] == "invalid"


async def test_revocation(make_tenant, worker, api_url, conn: asyncpg.Connection) -> None:
    tenant = await make_tenant()
    cert = await issue(tenant, await footprint_result(tenant), role="buyer")
    serial = cert["serial"]
    async with await tenant.client("exporter") as http:
        refused = await http.post(f"/v1/certificates/{serial}/revoke", json={"reason": "x"})
        assert refused.status_code == 403
    async with await tenant.client("admin") as http:
        assert (await http.post(f"/v1/certificates/{serial}/revoke",
                                json={"reason": ""})).status_code == 422
        revoked = await http.post(f"/v1/certificates/{serial}/revoke",
                                  json={"reason": "supplier data corrected"})
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["revoked_reason"] == "supplier data corrected"
        again = await http.post(f"/v1/certificates/{serial}/revoke", json={"reason": "again"})
        assert again.status_code == 409
    async with public(api_url) as http:
        verdict = (await http.get(f"/verify/{serial}")).json()
        assert verdict["status"] == "revoked"
        assert verdict["revoked_reason"] == "supplier data corrected"
        assert verdict["revoked_at"] is not None
        uploaded = (await http.post("/verify", json=cert)).json()
        assert uploaded["status"] == "revoked"
        assert uploaded["authentic"] is True
    audit = await conn.fetchrow(
        "select actor, detail from audit_log where tenant_id = $1 and action = 'revoke'"
        " and object_type = 'certificate' and object_id = $2", tenant.tenant_id, serial)
    assert audit is not None
    assert audit["detail"] == {"reason": "supplier data corrected"}
    assert audit["actor"] == f"client:{tenant.credentials['admin'][0]}"


async def test_rotation_keeps_old_certificates_valid(make_tenant, worker, api_url, service_env,
                                                     conn: asyncpg.Connection) -> None:
    tenant = await make_tenant()
    result_id = await footprint_result(tenant)
    old = await issue(tenant, result_id)
    async with await tenant.client("buyer") as http:
        assert (await http.post("/v1/admin/signing-keys/rotate")).status_code == 403
    async with await tenant.client("admin") as http:
        rotated = await http.post("/v1/admin/signing-keys/rotate")
        assert rotated.status_code == 200, rotated.text
        assert rotated.json()["retired_key_ids"] == [old["key_id"]]
        new_key_id = rotated.json()["active"]["key_id"]
        assert new_key_id != old["key_id"]
        listed = (await http.get("/v1/admin/signing-keys")).json()
        assert [(k["key_id"], k["active"]) for k in listed] == [(old["key_id"], False),
                                                                 (new_key_id, True)]
    new = await issue(tenant, result_id)
    assert new["key_id"] == new_key_id
    assert new["document"]["key_id"] == new_key_id
    assert new["serial"] != old["serial"]
    async with public(api_url) as http:
        for cert in (old, new):
            assert (await http.get(f"/verify/{cert['serial']}")).json()["status"] == "valid"
            assert (await http.post("/verify", json=cert)).json()["status"] == "valid"
    sealed = await conn.fetch("select key_id, private_key_sealed, kek_id from signing_key"
                              " where tenant_id = $1", tenant.tenant_id)
    assert len(sealed) == 2
    assert all(len(row["private_key_sealed"]) == 12 + 32 + 16 for row in sealed)
    # No pepper in the test environment: the development KEK file, owner-only.
    kek_file = Path(service_env["TANJI_DATA_DIR"]) / keys.DEV_KEK_FILE
    assert kek_file.stat().st_mode & 0o777 == 0o600
    rotations = await conn.fetchval("select count(*) from audit_log where tenant_id = $1"
                                    " and action = 'rotate'", tenant.tenant_id)
    assert rotations == 1


async def test_other_tenants_see_nothing(make_tenant, worker) -> None:
    owner = await make_tenant("owner")
    other = await make_tenant("other")
    result_id = await footprint_result(owner)
    cert = await issue(owner, result_id)
    serial = cert["serial"]
    async with await other.client("exporter") as http:
        assert (await http.post(f"/v1/footprints/{result_id}/certificates")).status_code == 404
        assert (await http.get(f"/v1/certificates/{serial}")).status_code == 404
        assert (await http.get(f"/v1/certificates/{serial}/pdf")).status_code == 404
    async with await other.client("admin") as http:
        revoke = await http.post(f"/v1/certificates/{serial}/revoke", json={"reason": "mine"})
        assert revoke.status_code == 404
        assert (await http.get(f"/v1/certificates/{serial}")).status_code == 404
        # Rotating one tenant's key leaves the other's alone.
        await http.post("/v1/admin/signing-keys/rotate")
    async with await owner.client("admin") as http:
        keys = (await http.get("/v1/admin/signing-keys")).json()
        assert [k["key_id"] for k in keys] == [cert["key_id"]]
        assert keys[0]["active"]


async def test_roles(make_tenant, worker, api_url) -> None:
    tenant = await make_tenant()
    result_id = await footprint_result(tenant)
    cert = await issue(tenant, result_id)
    serial = cert["serial"]
    async with await tenant.client("verifier") as http:
        read = await http.get(f"/v1/certificates/{serial}")
        assert read.status_code == 200
        assert read.json() == cert
        assert (await http.get(f"/v1/certificates/{serial}/pdf")).status_code == 200
        assert (await http.post(f"/v1/footprints/{result_id}/certificates")).status_code == 403
    async with await tenant.client("supplier") as http:
        assert (await http.get(f"/v1/certificates/{serial}")).status_code == 403
        assert (await http.get(f"/v1/certificates/{serial}/pdf")).status_code == 403
        assert (await http.post(f"/v1/footprints/{result_id}/certificates")).status_code == 403
    async with public(api_url) as http:
        assert (await http.get(f"/v1/certificates/{serial}")).status_code == 401
        assert (await http.post(f"/v1/footprints/{result_id}/certificates")).status_code == 401
    async with await tenant.client("exporter") as http:
        missing = await http.post("/v1/footprints/00000000-0000-0000-0000-000000000000"
                                  "/certificates")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"


async def test_tampered_row_answers_invalid(make_tenant, worker, api_url,
                                           conn: asyncpg.Connection) -> None:
    tenant = await make_tenant()
    cert = await issue(tenant, await footprint_result(tenant))
    serial = cert["serial"]
    with pytest.raises(asyncpg.RaiseError, match="immutable"):
        await conn.execute("update certificate set document = document || '{\"issuer\": \"x\"}'"
                           " where serial = $1", serial)
    try:
        # Bypass the immutability trigger for this session only, as a database intruder would.
        await conn.execute("set session_replication_role = replica")
    except asyncpg.InsufficientPrivilegeError:
        pytest.skip("the test database role may not set session_replication_role")
    try:
        await conn.execute("update certificate set document = jsonb_set(document, "
                           "'{subject,name}', '\"Bike framf\"') where serial = $1", serial)
    finally:
        await conn.execute("set session_replication_role = origin")
    async with public(api_url) as http:
        verdict = (await http.get(f"/verify/{serial}")).json()
        assert verdict["status"] == "invalid", verdict
        assert verdict["document"] is None
        assert verdict["issuer"] is None
        assert any("SHA-256" in reason for reason in verdict["reasons"])
        # The untouched copy the exporter holds no longer matches the registry.
        uploaded = (await http.post("/verify", json=cert)).json()
        assert uploaded["status"] == "invalid"
        assert uploaded["authentic"] is True


def _png_of_first_page(pdf: bytes, folder: Path) -> Path:
    source = folder / "certificate.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile",
                    str(source), str(folder / "page")], check=True, timeout=60)
    return folder / "page.png"


def _ink(page: Path) -> tuple[float, float]:
    """Grey-level variance and share of dark pixels of a page image."""
    from PIL import Image, ImageStat

    with Image.open(page) as image:
        grey = image.convert("L")
        variance = ImageStat.Stat(grey).var[0]
        dark = sum(grey.histogram()[:128]) / (grey.width * grey.height)
    return variance, dark


def _qr_payload(page: Path) -> str:
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(page)], capture_output=True,
                             text=True, timeout=60)
    return decoded.stdout.strip()


async def test_pdf_has_content_and_a_qr_code_to_verify(make_tenant, worker, api_url,
                                                       tmp_path: Path) -> None:
    tenant = await make_tenant()
    cert = await issue(tenant, await footprint_result(tenant))
    async with await tenant.client("exporter") as http:
        response = await http.get(f"/v1/certificates/{cert['serial']}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: page not rendered")
    page = await asyncio.to_thread(_png_of_first_page, response.content, tmp_path)
    variance, dark = await asyncio.to_thread(_ink, page)
    assert variance > 100, f"page looks blank (grey-level variance {variance:.1f})"
    assert 0.01 < dark < 0.5, dark
    if shutil.which("zbarimg") is None:
        return  # the QR payload is read back only where zbar-tools is installed
    assert await asyncio.to_thread(_qr_payload, page) == cert["verify_url"]


def test_kek_seals_keys_to_their_row(tmp_path: Path) -> None:
    tenant_id, other_tenant = uuid.uuid4(), uuid.uuid4()
    with_pepper = keys.kek_for(Settings(_env_file=None, secret_pepper="pepper-1",
                                        data_dir=tmp_path))
    again = keys.kek_for(Settings(_env_file=None, secret_pepper="pepper-1", data_dir=tmp_path))
    other = keys.kek_for(Settings(_env_file=None, secret_pepper="pepper-2", data_dir=tmp_path))
    assert with_pepper.key == again.key
    assert with_pepper.kek_id != other.kek_id
    assert with_pepper.kek_id not in with_pepper.key.hex()
    raw = certificate.private_key_raw(certificate.generate_private_key())
    sealed = with_pepper.seal(raw, key_id="a" * 16, tenant_id=tenant_id)
    assert raw not in sealed
    assert with_pepper.open(sealed, key_id="a" * 16, tenant_id=tenant_id) == raw
    for kek, key_id, tenant in ((other, "a" * 16, tenant_id), (with_pepper, "b" * 16, tenant_id),
                                (with_pepper, "a" * 16, other_tenant)):
        with pytest.raises(keys.KeyUnavailable):
            kek.open(sealed, key_id=key_id, tenant_id=tenant)
    # Without a pepper: a development KEK file, 0600, reused; refused outside development.
    def dev_settings() -> Settings:
        return Settings(_env_file=None, environment="development", secret_pepper="",
                        data_dir=tmp_path / "dev")

    dev = keys.kek_for(dev_settings())
    kek_file = tmp_path / "dev" / keys.DEV_KEK_FILE
    assert kek_file.stat().st_mode & 0o777 == 0o600
    keys._kek_for.cache_clear()
    assert keys.kek_for(dev_settings()) == dev
    with pytest.raises(keys.KeyUnavailable, match="TANJI_SECRET_PEPPER"):
        keys.kek_for(Settings(_env_file=None, environment="staging", secret_pepper="",
                              data_dir=tmp_path / "s"))
