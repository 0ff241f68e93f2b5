"""A process's local copies of snapshots, by hash: fetched from PostgreSQL once, verified."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import asyncpg

from lca.errors import SnapshotError
from lca.precompute import UnitTable
from lca.snapshot import Snapshot, load_snapshot, unpack_snapshot
from service.snapshots import store

_lock = threading.Lock()
_loaded: dict[str, tuple[Snapshot, UnitTable]] = {}
MAX_LOADED = 4
"""Snapshots kept in memory per process (each US LCI-sized one is a few MB)."""


def _table_path(cache_dir: Path, snapshot_hash: str) -> Path:
    return cache_dir / f"{snapshot_hash}.unit_table.npz"


def _on_disk(cache_dir: Path, snapshot_hash: str) -> bool:
    return (cache_dir / snapshot_hash).is_dir() and _table_path(cache_dir, snapshot_hash).exists()


def _write(cache_dir: Path, snapshot_hash: str, package: bytes, table_blob: bytes) -> None:
    unpack_snapshot(package, cache_dir, expected_hash=snapshot_hash)
    _table_path(cache_dir, snapshot_hash).write_bytes(table_blob)


def _read(cache_dir: Path, snapshot_hash: str) -> tuple[Snapshot, UnitTable]:
    snapshot = load_snapshot(cache_dir / snapshot_hash, expected_hash=snapshot_hash)
    table = UnitTable.from_bytes(_table_path(cache_dir, snapshot_hash).read_bytes())
    if table.snapshot_hash != snapshot_hash:
        raise SnapshotError(f"unit table of {table.snapshot_hash} cached for {snapshot_hash}")
    return snapshot, table


async def load(conn: asyncpg.Connection, snapshot_hash: str,
               cache_dir: Path) -> tuple[Snapshot, UnitTable]:
    """The snapshot and its unit table, from memory, the disk cache, or the database.

    Callers check that the tenant may use the snapshot before calling this.
    """
    with _lock:
        if snapshot_hash in _loaded:
            return _loaded[snapshot_hash]
    if not await asyncio.to_thread(_on_disk, cache_dir, snapshot_hash):
        package = await store.get_package(conn, snapshot_hash)
        table_blob = await store.get_unit_table(conn, snapshot_hash)
        if package is None or table_blob is None:
            raise SnapshotError(f"snapshot {snapshot_hash} is not stored or not precomputed")
        await asyncio.to_thread(_write, cache_dir, snapshot_hash, package, table_blob)
    loaded = await asyncio.to_thread(_read, cache_dir, snapshot_hash)
    with _lock:
        if len(_loaded) >= MAX_LOADED:
            _loaded.pop(next(iter(_loaded)))
        _loaded[snapshot_hash] = loaded
    return loaded
