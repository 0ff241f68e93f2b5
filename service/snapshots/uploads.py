"""Uploaded databases: stored once, unpacked defensively into a job's work folder."""

from __future__ import annotations

import hashlib
import re
import zipfile
from io import BytesIO
from pathlib import Path
from uuid import UUID

import asyncpg

from service.errors import InvalidInput

MAX_MEMBERS = 20_000
MAX_INFLATED_BYTES = 2 * 1024**3
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

INSERT_UPLOAD = """
insert into upload(tenant_id, filename, content, sha256) values ($1, $2, $3, $4) returning id"""

GET_UPLOAD = "select filename, content, sha256 from upload where tenant_id = $1 and id = $2"


def safe_filename(name: str) -> str:
    """A file name with nothing but letters, digits, dot, dash and underscore."""
    cleaned = SAFE_NAME.sub("_", Path(name or "upload").name).strip("._") or "upload"
    return cleaned[:120]


async def store_upload(conn: asyncpg.Connection, tenant_id: UUID, filename: str,
                       content: bytes) -> UUID:
    """Keep an uploaded file; returns its id."""
    return await conn.fetchval(INSERT_UPLOAD, tenant_id, safe_filename(filename), content,
                               hashlib.sha256(content).hexdigest())


async def fetch_upload(conn: asyncpg.Connection, tenant_id: UUID,
                       upload_id: UUID) -> tuple[str, bytes] | None:
    """(filename, content) of the tenant's upload, verified against its hash."""
    row = await conn.fetchrow(GET_UPLOAD, tenant_id, upload_id)
    if row is None or hashlib.sha256(row["content"]).hexdigest() != row["sha256"]:
        return None
    return row["filename"], row["content"]


def check_upload(source: str, filename: str, content: bytes) -> None:
    """Refuse, before anything is stored, a file that cannot be what ``source`` needs."""
    lower = filename.lower()
    if source == "tabular" and not lower.endswith((".csv", ".xlsx")):
        raise InvalidInput("a tabular database is a .csv or .xlsx file",
                           [{"field": "file", "message": "expected .csv or .xlsx"}])
    if source == "ecospold2":
        if not zipfile.is_zipfile(BytesIO(content)):
            raise InvalidInput("ecoSpold2 datasets come as a .zip of .spold files",
                               [{"field": "file", "message": "not a zip archive"}])
        with zipfile.ZipFile(BytesIO(content)) as archive:
            spold = [i for i in archive.infolist() if i.filename.lower().endswith(".spold")]
            if not spold:
                raise InvalidInput("the archive holds no .spold file",
                                   [{"field": "file", "message": "no .spold files"}])
            if len(archive.infolist()) > MAX_MEMBERS or sum(
                    i.file_size for i in archive.infolist()) > MAX_INFLATED_BYTES:
                raise InvalidInput("the archive is too large once unpacked",
                                   [{"field": "file", "message": "too many or too large files"}])


def unpack_upload(source: str, filename: str, content: bytes, target: Path) -> Path:
    """Write the upload where the writer reads it: the file itself, or a folder of .spold."""
    target.mkdir(parents=True, exist_ok=True)
    if source != "ecospold2":
        path = target / safe_filename(filename)
        path.write_bytes(content)
        return path
    folder = target / "spold"
    folder.mkdir(exist_ok=True)
    with zipfile.ZipFile(BytesIO(content)) as archive:
        for number, info in enumerate(archive.infolist()):
            if info.is_dir() or not info.filename.lower().endswith(".spold"):
                continue
            # Never trust member paths: flatten to a safe, numbered name.
            name = f"{number:05d}_{safe_filename(info.filename)}"
            with archive.open(info) as source_file:
                (folder / name).write_bytes(source_file.read(MAX_INFLATED_BYTES))
    return folder
