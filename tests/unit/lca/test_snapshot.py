"""Snapshots: content-addressed, verified on load, loadable without bw2data."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lca.errors import SnapshotError
from lca.snapshot import load_snapshot, pack_snapshot, unpack_snapshot, verify_snapshot

ROOT = Path(__file__).resolve().parents[3]


def test_metadata_in_matrix_order(tiny_snapshot) -> None:
    snapshot = tiny_snapshot
    n = snapshot.technosphere_matrix.shape[0]
    assert snapshot.technosphere_matrix.shape == (n, n) == (4, 4)
    assert snapshot.biosphere_matrix.shape == (len(snapshot.flows), n)
    assert snapshot.characterization.shape == (len(snapshot.indicators), len(snapshot.flows))
    by_code = {a.code: a for a in snapshot.activities}
    assert by_code["coal"].tanji_cutoff[0]["name"] == "explosives"
    assert by_code["wood"].tanji_ambiguous == ("saw blade: no matching activity",)
    assert snapshot.cutoff_mask.sum() == 2
    # flows no background activity exchanges come after the matrix rows, as zero rows
    assert snapshot.matrix_flow_count == len(snapshot.flows) - 1
    n2o = snapshot.flow_index_by_key[("biosphere3", "20185046-64bb-4c09-a8e7-e8a9e144ca98")]
    assert n2o == snapshot.matrix_flow_count
    assert snapshot.biosphere_matrix.getrow(n2o).nnz == 0
    gwp = snapshot.indicator_index("gwp100_kg_co2e")
    assert snapshot.characterization_for([snapshot.flows[n2o].key])[gwp, 0] == 273
    assert snapshot.characterization_for([snapshot.flows[n2o].id])[gwp, 0] == 273
    with pytest.raises(SnapshotError):
        snapshot.characterization_for([("biosphere3", "nope")])
    steel = snapshot.product_index_by_key[("tiny", "steel")]
    assert snapshot.technosphere_matrix[steel, steel] == 2.0
    assert snapshot.activities[steel].location == "CN"


def test_same_data_same_hash(tiny_project, tiny_snapshot_dir, tmp_path) -> None:
    import bw2data as bd

    from lca.snapshot import build_snapshot

    bd.projects.set_current(tiny_project)
    assert build_snapshot("tiny", tmp_path / "again") == verify_snapshot(tiny_snapshot_dir)[1]


def test_tampered_file_is_refused(tiny_snapshot_dir, tmp_path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(tiny_snapshot_dir, copy)
    for path in copy.rglob("*"):
        path.chmod(0o644 if path.is_file() else 0o755)
    data = next(copy.glob("datapackages/*/tiny_technosphere_matrix.data.npy"))
    array = np.load(data)
    array[0] *= 1.01
    np.save(data, array)
    with pytest.raises(SnapshotError, match="does not match its hash"):
        load_snapshot(copy)
    with pytest.raises(SnapshotError, match="expected"):
        load_snapshot(tiny_snapshot_dir, expected_hash="0" * 64)


def test_pack_unpack_roundtrip(tiny_snapshot, tmp_path) -> None:
    blob = pack_snapshot(tiny_snapshot.path)
    assert blob == pack_snapshot(tiny_snapshot.path)  # deterministic
    cache = tmp_path / "cache"
    path = unpack_snapshot(blob, cache, expected_hash=tiny_snapshot.snapshot_hash)
    assert path == cache / tiny_snapshot.snapshot_hash
    loaded = load_snapshot(path, expected_hash=tiny_snapshot.snapshot_hash)
    assert (loaded.technosphere_matrix != tiny_snapshot.technosphere_matrix).nnz == 0
    # cached copy is reused
    assert unpack_snapshot(blob, cache, expected_hash=tiny_snapshot.snapshot_hash) == path
    with pytest.raises(SnapshotError):
        unpack_snapshot(blob, tmp_path / "other", expected_hash="f" * 64)


def test_worker_loads_without_bw2data(tiny_snapshot_dir) -> None:
    code = (
        "import sys\n"
        "from lca.snapshot import load_snapshot\n"
        "from lca.precompute import precompute\n"
        "from lca.footprint import footprint\n"
        "from lca.contributions import contributions\n"
        "from lca.montecarlo import monte_carlo\n"
        f"s = load_snapshot({str(tiny_snapshot_dir)!r})\n"
        "t = precompute(s)\n"
        "monte_carlo(s, {0: 1.0}, iterations=2, seed=1)\n"
        "bad = [m for m in ('bw2data', 'bw2calc', 'bw2io') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "print(s.snapshot_hash)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == verify_snapshot(tiny_snapshot_dir)[1]
