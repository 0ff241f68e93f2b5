"""Snapshots: a background database and the indicator set, frozen into read-only files.

A snapshot directory holds::

    manifest.json                   format, database names, sha256 of every other file
    datapackages/NN-<database>/     bw_processing datapackages: technosphere and biosphere
                                    matrices (with uncertainty), one per database
    characterization/               bw_processing datapackage, one resource group per
                                    indicator (matrix "characterization_matrix")
    activities.json                 activity metadata, in matrix row (= column) order
    flows.json                      elementary flow metadata, in biosphere row order: first
                                    the flows of the background's exchanges (the rows bw2calc
                                    builds), then every other flow of its biosphere databases
                                    (zero rows), so supplier data can use any of them
    indicators.json                 indicator definitions (id, name, unit, version, source)

``snapshot_hash`` is the sha256 of the canonical JSON of the manifest, so two snapshots of
the same data have the same hash. A plain ``bw2calc.LCA`` runs on the same datapackages.

`build_snapshot()` runs in a writer process inside a selected bw2data project.
`load_snapshot()` runs in workers and imports neither bw2data nor bw2calc: matrices are
built with matrix_utils, as bw2calc builds them.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import bw_processing as bwp
import matrix_utils as mu
import numpy as np
from bw_processing.io_helpers import generic_directory_filesystem
from fsspec.implementations.dirfs import DirFileSystem
from fsspec.implementations.local import LocalFileSystem
from scipy import sparse

from lca.errors import SnapshotError, UnknownIndicator
from lca.indicators import (
    Flow,
    FlowKey,
    Indicator,
    characterization_matrix,
    reported_indicators,
)

logger = logging.getLogger(__name__)

FORMAT = "tanji-snapshot/1"
MANIFEST = "manifest.json"
MATRICES = ("technosphere_matrix", "biosphere_matrix")
CUTOFF_FIELDS = ("tanji_cutoff", "tanji_ambiguous")
# Fixed so that the same data always gives the same bytes (bw_processing stamps the time).
_CREATED = "1970-01-01T00:00:00Z"


@dataclass(frozen=True)
class ActivityInfo:
    """Metadata of one background activity (= its reference product: a matrix row and column)."""

    id: int
    database: str
    code: str
    name: str
    reference_product: str | None
    location: str | None
    unit: str | None
    tanji_cutoff: tuple[Any, ...] = ()
    tanji_ambiguous: tuple[Any, ...] = ()
    name_zh: str | None = None
    classification: str | None = None

    @property
    def key(self) -> FlowKey:
        """(database, code), as bw2data names the activity."""
        return (self.database, self.code)

    @property
    def has_cutoff(self) -> bool:
        """True if the importer recorded cut-off or ambiguous inputs for this activity."""
        return bool(self.tanji_cutoff or self.tanji_ambiguous)


@dataclass(frozen=True)
class Snapshot:
    """A loaded snapshot: matrices as bw2calc builds them, metadata in matrix order.

    ``technosphere_matrix`` is (n products x n activities), ``biosphere_matrix`` (m flows x n
    activities), ``characterization`` (k indicators x m flows). The first
    ``matrix_flow_count`` flows are the rows bw2calc builds from the datapackages; the rest
    are flows no background activity exchanges (zero rows in ``biosphere_matrix``).
    """

    path: Path
    snapshot_hash: str
    database: str
    databases: tuple[str, ...]
    technosphere_matrix: sparse.csr_matrix
    biosphere_matrix: sparse.csr_matrix
    characterization: sparse.csr_matrix
    activities: tuple[ActivityInfo, ...]
    flows: tuple[Flow, ...]
    matrix_flow_count: int
    indicators: tuple[Indicator, ...]
    manifest: dict[str, Any] = field(repr=False)

    @cached_property
    def product_index_by_key(self) -> dict[FlowKey, int]:
        """Matrix row of each background product, by (database, code)."""
        return {activity.key: i for i, activity in enumerate(self.activities)}

    @cached_property
    def product_index_by_id(self) -> dict[int, int]:
        """Matrix row of each background product, by bw2data node id."""
        return {activity.id: i for i, activity in enumerate(self.activities)}

    @cached_property
    def flow_index_by_key(self) -> dict[FlowKey, int]:
        """Biosphere matrix row of each elementary flow, by (database, code)."""
        return {flow.key: j for j, flow in enumerate(self.flows)}

    @property
    def indicator_ids(self) -> tuple[str, ...]:
        """Indicator ids in characterisation row order."""
        return tuple(indicator.id for indicator in self.indicators)

    def indicator_index(self, indicator_id: str) -> int:
        """Row of an indicator in the characterisation matrix."""
        try:
            return self.indicator_ids.index(indicator_id)
        except ValueError:
            raise UnknownIndicator(indicator_id) from None

    def characterization_for(self, flows: Sequence[FlowKey | int]) -> sparse.csr_matrix:
        """Characterisation (k indicators x len(flows)) of flows given by key or bw2data id.

        Raises `SnapshotError` for a flow the snapshot does not hold.
        """
        by_id = {flow.id: j for j, flow in enumerate(self.flows)}
        columns = []
        for flow in flows:
            j = by_id.get(flow) if isinstance(flow, int) else self.flow_index_by_key.get(flow)
            if j is None:
                raise SnapshotError(f"elementary flow {flow!r} is not in the snapshot")
            columns.append(j)
        return sparse.csr_matrix(self.characterization)[:, columns]

    @cached_property
    def cutoff_mask(self) -> np.ndarray:
        """Boolean per activity column: has cut-off or ambiguous inputs."""
        return np.array([a.has_cutoff for a in self.activities], dtype=bool)

    @cached_property
    def locations(self) -> tuple[str, ...]:
        """Location of each activity column (``"unknown"`` where missing)."""
        return tuple(a.location or "unknown" for a in self.activities)

    def inventory_datapackages(self) -> list[bwp.DatapackageBase]:
        """Technosphere and biosphere datapackages, for bw2calc or matrix_utils."""
        return [_load_dp(self.path / rel) for rel in self.manifest["datapackages"]]

    def characterization_datapackage(self, indicator_id: str) -> bwp.DatapackageBase:
        """The characterisation datapackage of one indicator (for a plain ``bw2calc.LCA``)."""
        self.indicator_index(indicator_id)
        dp = _load_dp(self.path / "characterization")
        return dp.filter_by_attribute("group", indicator_id)


# --------------------------------------------------------------------------------------------
# Files and hashes


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _write_json(path: Path, obj: Any) -> None:
    path.write_bytes(_canonical(obj) + b"\n")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fo:
        for chunk in iter(lambda: fo.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_hash(manifest: dict[str, Any]) -> str:
    """The snapshot hash: sha256 of the canonical JSON of the manifest."""
    return hashlib.sha256(_canonical(manifest)).hexdigest()


def _iter_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            yield path


def _load_dp(path: Path) -> bwp.DatapackageBase:
    return bwp.load_datapackage(DirFileSystem(path=str(path), fs=LocalFileSystem()))


def _fix_created(dp_dir: Path) -> None:
    metadata_path = dp_dir / "datapackage.json"
    metadata = json.loads(metadata_path.read_text())
    metadata["created"] = _CREATED
    _write_json(metadata_path, metadata)


# --------------------------------------------------------------------------------------------
# Matrices


def build_matrices(
    packages: Sequence[bwp.DatapackageBase],
) -> tuple[sparse.csr_matrix, sparse.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
    """Technosphere and biosphere matrices from inventory datapackages, as bw2calc builds them.

    Returns (technosphere, biosphere, product ids, activity ids, flow ids), ids in matrix order.
    """
    technosphere = mu.MappedMatrix(packages=packages, matrix="technosphere_matrix")
    biosphere = mu.MappedMatrix(
        packages=packages,
        matrix="biosphere_matrix",
        col_mapper=technosphere.col_mapper,
        empty_ok=True,
    )
    return (
        technosphere.matrix.tocsr(),
        biosphere.matrix.tocsr(),
        technosphere.row_mapper.array.copy(),
        technosphere.col_mapper.array.copy(),
        biosphere.row_mapper.array.copy(),
    )


def _characterization_from_dp(
    dp: bwp.DatapackageBase, indicators: Sequence[Indicator], flow_ids: np.ndarray
) -> sparse.csr_matrix:
    rows, cols, data = [], [], []
    groups = set(dp.groups)
    for k, indicator in enumerate(indicators):
        if indicator.id not in groups:
            continue
        group = dp.filter_by_attribute("group", indicator.id)
        indices = group.get_resource(f"{indicator.id}.indices")[0]
        values = group.get_resource(f"{indicator.id}.data")[0]
        sorter = np.argsort(flow_ids)
        position = np.searchsorted(flow_ids, indices["row"], sorter=sorter)
        position = np.minimum(position, len(flow_ids) - 1)
        inside = flow_ids[sorter[position]] == indices["row"]
        rows.append(np.full(inside.sum(), k))
        cols.append(sorter[position[inside]])
        data.append(values[inside])
    if not rows:
        return sparse.csr_matrix((len(indicators), len(flow_ids)))
    return sparse.csr_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(indicators), len(flow_ids)),
    )


# --------------------------------------------------------------------------------------------
# Build (writer process, bw2data)


def _copy_inventory_dp(source: bwp.DatapackageBase, target: Path, name: str) -> bool:
    """Copy the technosphere and biosphere resources of a bw2data datapackage; False if none."""
    groups = [
        (group_name, group)
        for group_name, group in source.groups.items()
        if group.resources and group.resources[0].get("matrix") in MATRICES
    ]
    if not any(len(group.get_resource(f"{gn}.indices")[0]) for gn, group in groups):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    dp = bwp.create_datapackage(
        fs=generic_directory_filesystem(dirpath=target),
        name=bwp.clean_datapackage_name(name),
        id_=bwp.clean_datapackage_name(name),
        sum_intra_duplicates=source.metadata.get("sum_intra_duplicates", True),
        sum_inter_duplicates=source.metadata.get("sum_inter_duplicates", False),
    )
    for group_name, group in groups:
        present = {resource["name"] for resource in group.resources}
        arrays = {
            kind: group.get_resource(f"{group_name}.{kind}")[0]
            for kind in ("indices", "data", "flip", "distributions", "reference")
            if f"{group_name}.{kind}" in present
        }
        if not len(arrays["indices"]):
            continue
        dp.add_persistent_vector(
            matrix=group.resources[0]["matrix"],
            name=group_name,
            indices_array=np.asarray(arrays["indices"]),
            data_array=np.asarray(arrays["data"]),
            flip_array=np.asarray(arrays["flip"]) if "flip" in arrays else None,
            distributions_array=(
                np.asarray(arrays["distributions"]) if "distributions" in arrays else None
            ),
            reference_array=np.asarray(arrays["reference"]) if "reference" in arrays else None,
        )
    dp.finalize_serialization()
    _fix_created(target)
    return True


def _write_characterization(
    target: Path, flows: Sequence[Flow], indicators: Sequence[Indicator]
) -> None:
    matrix = characterization_matrix(flows, indicators).tocsr()
    dp = bwp.create_datapackage(
        fs=generic_directory_filesystem(dirpath=target),
        name="tanji-characterization",
        id_="tanji-characterization",
    )
    flow_ids = np.array([flow.id for flow in flows], dtype=np.int64)
    for k, indicator in enumerate(indicators):
        row = matrix.getrow(k)
        if not row.nnz:
            continue
        indices = np.zeros(row.nnz, dtype=bwp.INDICES_DTYPE)
        indices["row"] = flow_ids[row.indices]
        indices["col"] = 0
        dp.add_persistent_vector(
            matrix="characterization_matrix",
            name=indicator.id,
            indices_array=indices,
            data_array=row.data.astype(np.float64),
        )
    dp.finalize_serialization()
    _fix_created(target)


def _json_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return json.loads(json.dumps(list(value), default=str))
    return [json.loads(json.dumps(value, default=str))]


def _classification(node: Any) -> str | None:
    """The node's first classification as one string ("system: path"), if any."""
    for entry in node.get("classifications") or ():
        if isinstance(entry, list | tuple) and len(entry) == 2:
            return f"{entry[0]}: {entry[1]}"
    return None


def build_snapshot(
    database: str | Sequence[str],
    out_dir: Path,
    *,
    indicators: Sequence[Indicator] | None = None,
) -> str:
    """Freeze ``database`` (one name or several), the databases they draw on and ``indicators``
    into ``out_dir``.

    Runs inside the current bw2data project; ``out_dir`` must not exist or be empty.
    Returns the snapshot hash.
    """
    import bw2data as bd

    indicators = reported_indicators() if indicators is None else indicators
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise SnapshotError(f"{out_dir} is not empty")
    requested = [database] if isinstance(database, str) else list(database)
    for name in requested:
        if name not in bd.databases:
            raise SnapshotError(f"no database {name!r} in project {bd.projects.current!r}")
    database = "+".join(requested)
    out_dir.mkdir(parents=True, exist_ok=True)

    names = sorted(set().union(*(bd.Database(n).find_graph_dependents() for n in requested)))
    dp_dirs: list[str] = []
    for name in names:
        db = bd.Database(name)
        if not Path(db.filepath_processed()).exists():
            db.process()
        rel = f"datapackages/{len(dp_dirs):02d}-{bwp.clean_datapackage_name(name)}"
        if _copy_inventory_dp(db.datapackage(), out_dir / rel, name):
            dp_dirs.append(rel)
        elif (out_dir / rel).exists():
            shutil.rmtree(out_dir / rel)
    if not dp_dirs:
        raise SnapshotError(f"database {database!r} has no technosphere data")

    packages = [_load_dp(out_dir / rel) for rel in dp_dirs]
    technosphere, _, product_ids, activity_ids, flow_ids = build_matrices(packages)
    if technosphere.shape[0] != technosphere.shape[1] or not np.array_equal(
        product_ids, activity_ids
    ):
        raise SnapshotError(
            f"technosphere is not square with products = activities: {technosphere.shape}"
        )

    nodes = {node.id: node for name in names for node in bd.Database(name)}
    in_matrix = set(flow_ids.tolist()) | set(activity_ids.tolist())
    extra_flow_ids = sorted(
        node_id
        for node_id, node in nodes.items()
        if node_id not in in_matrix and node.get("type") not in bd.labels.lci_node_types
    )
    activities = []
    for node_id in activity_ids.tolist():
        node = nodes.get(node_id) or bd.get_node(id=node_id)
        activities.append(
            {
                "id": node_id,
                "database": node["database"],
                "code": node["code"],
                "name": node.get("name"),
                "reference_product": node.get("reference product"),
                "location": node.get("location"),
                "unit": node.get("unit"),
                "name_zh": node.get("name_zh"),
                "classification": _classification(node),
                **{f: _json_list(node.get(f)) for f in CUTOFF_FIELDS},
            }
        )
    flows = []
    for node_id in [*flow_ids.tolist(), *extra_flow_ids]:
        node = nodes.get(node_id) or bd.get_node(id=node_id)
        flows.append(
            Flow(
                key=(node["database"], node["code"]),
                name=node.get("name") or "",
                categories=tuple(node.get("categories") or ()),
                id=node_id,
            )
        )
    _write_characterization(out_dir / "characterization", flows, indicators)
    _write_json(out_dir / "activities.json", activities)
    _write_json(
        out_dir / "flows.json",
        [
            {
                "id": f.id,
                "database": f.key[0],
                "code": f.key[1],
                "name": f.name,
                "categories": list(f.categories),
                "unit": nodes[f.id].get("unit") if f.id in nodes else None,
            }
            for f in flows
        ],
    )
    _write_json(out_dir / "indicators.json", [i.to_dict() for i in indicators])

    manifest = {
        "format": FORMAT,
        "database": database,
        "databases": names,
        "datapackages": dp_dirs,
        "matrix_flow_count": len(flow_ids),
        "files": {
            path.relative_to(out_dir).as_posix(): _sha256_file(path)
            for path in _iter_files(out_dir)
        },
    }
    _write_json(out_dir / MANIFEST, manifest)
    for path in out_dir.rglob("*"):
        if path.is_file():
            path.chmod(0o444)
    snapshot_hash = manifest_hash(manifest)
    logger.info(
        "snapshot built",
        extra={"snapshot_hash": snapshot_hash, "database": database, "n": len(activities)},
    )
    return snapshot_hash


# --------------------------------------------------------------------------------------------
# Load (worker process, no bw2data)


def verify_snapshot(path: Path) -> tuple[dict[str, Any], str]:
    """Check every file against the manifest; return (manifest, snapshot hash).

    Raises `SnapshotError` on a missing, extra or changed file.
    """
    path = Path(path)
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"{path}: no readable {MANIFEST}") from exc
    if manifest.get("format") != FORMAT:
        raise SnapshotError(f"{path}: unknown snapshot format {manifest.get('format')!r}")
    present = {p.relative_to(path).as_posix() for p in _iter_files(path)}
    expected = set(manifest["files"])
    if present != expected:
        raise SnapshotError(
            f"{path}: files differ from manifest: missing {sorted(expected - present)}, "
            f"extra {sorted(present - expected)}"
        )
    for rel, digest in manifest["files"].items():
        if _sha256_file(path / rel) != digest:
            raise SnapshotError(f"{path}: {rel} does not match its hash")
    return manifest, manifest_hash(manifest)


def load_snapshot(path: Path, *, expected_hash: str | None = None) -> Snapshot:
    """Load and verify a snapshot directory (no bw2data).

    If ``expected_hash`` is given, the snapshot must have that hash.
    """
    path = Path(path)
    manifest, snapshot_hash = verify_snapshot(path)
    if expected_hash is not None and snapshot_hash != expected_hash:
        raise SnapshotError(f"{path}: hash {snapshot_hash}, expected {expected_hash}")
    packages = [_load_dp(path / rel) for rel in manifest["datapackages"]]
    technosphere, biosphere, product_ids, activity_ids, flow_ids = build_matrices(packages)

    activities = tuple(
        ActivityInfo(**{**a, **{f: tuple(a[f]) for f in CUTOFF_FIELDS}})
        for a in json.loads((path / "activities.json").read_text())
    )
    flows = tuple(
        Flow(
            key=(f["database"], f["code"]),
            name=f["name"],
            categories=tuple(f["categories"]),
            id=f["id"],
        )
        for f in json.loads((path / "flows.json").read_text())
    )
    indicators = tuple(
        Indicator.from_dict(d) for d in json.loads((path / "indicators.json").read_text())
    )
    if [a.id for a in activities] != activity_ids.tolist() or not np.array_equal(
        product_ids, activity_ids
    ):
        raise SnapshotError(f"{path}: activity metadata does not match the matrices")
    matrix_flow_count = manifest["matrix_flow_count"]
    if [f.id for f in flows[:matrix_flow_count]] != flow_ids.tolist():
        raise SnapshotError(f"{path}: flow metadata does not match the biosphere matrix")
    biosphere = sparse.vstack(
        [biosphere, sparse.csr_matrix((len(flows) - matrix_flow_count, biosphere.shape[1]))],
        format="csr",
    )
    characterization = _characterization_from_dp(
        _load_dp(path / "characterization"),
        indicators,
        np.array([f.id for f in flows], dtype=np.int64),
    )
    return Snapshot(
        path=path,
        snapshot_hash=snapshot_hash,
        database=manifest["database"],
        databases=tuple(manifest["databases"]),
        technosphere_matrix=technosphere,
        biosphere_matrix=biosphere,
        characterization=characterization,
        activities=activities,
        flows=flows,
        matrix_flow_count=matrix_flow_count,
        indicators=indicators,
        manifest=manifest,
    )


# --------------------------------------------------------------------------------------------
# Transport: one blob per snapshot


def pack_snapshot(path: Path) -> bytes:
    """The snapshot directory as one deterministic tar (gzip) blob, to keep in PostgreSQL."""
    path = Path(path)
    verify_snapshot(path)
    buffer = io.BytesIO()
    files = [path / MANIFEST, *_iter_files(path)]
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for file in files:
            info = tarfile.TarInfo(file.relative_to(path).as_posix())
            info.size = file.stat().st_size
            info.mtime = 0
            info.mode = 0o444
            with file.open("rb") as fo:
                tar.addfile(info, fo)
    return gzip.compress(buffer.getvalue(), compresslevel=6, mtime=0)


_SAFE_NAME = re.compile(r"^[A-Za-z0-9._/-]+$")


def unpack_snapshot(blob: bytes, cache_dir: Path, *, expected_hash: str | None = None) -> Path:
    """Unpack a blob from `pack_snapshot` into ``cache_dir/<snapshot_hash>``; return that path.

    An already cached, verified copy is reused. The result is verified before it is returned.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    if expected_hash is not None:
        cached = cache_dir / expected_hash
        if cached.exists():
            try:
                if verify_snapshot(cached)[1] == expected_hash:
                    return cached
            except SnapshotError:
                shutil.rmtree(cached)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".unpack-") as tmp:
        tmp_path = Path(tmp) / "snapshot"
        tmp_path.mkdir()
        with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
            for member in tar.getmembers():
                if not member.isfile() or not _SAFE_NAME.match(member.name) or ".." in member.name:
                    raise SnapshotError(f"unexpected entry in snapshot blob: {member.name!r}")
            tar.extractall(tmp_path, filter="data")
        _, snapshot_hash = verify_snapshot(tmp_path)
        if expected_hash is not None and snapshot_hash != expected_hash:
            raise SnapshotError(f"blob has hash {snapshot_hash}, expected {expected_hash}")
        target = cache_dir / snapshot_hash
        if target.exists():
            verify_snapshot(target)
            return target
        tmp_path.rename(target)
    return target
