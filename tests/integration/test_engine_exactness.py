"""THE exactness test: our footprint of a BOM equals a full bw2calc LCA of the same system.

US LCI is imported into a fresh Brightway project and frozen into a snapshot. A multi-level BOM
of more than 50 leaf lines mixes background products, supplier processes (direct emissions,
extension flows included, plus background inputs) and declared footprints. The same product
system is written as a Brightway database (one activity per assembly and per supplier process,
linking to US LCI), the indicators as bw2data methods, and solved with a plain ``bw2calc.LCA``
per indicator through bw2data's own ``prepare_lca_inputs``. Declared footprints are added on
both sides the same way (amount x declared value). Every indicator must agree to 1e-6.

Amounts are float32-exact (bw2data stores matrix data as float32), so both sides multiply the
same numbers.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

FG = "tanji_exactness_fg"


def _f32(x: float) -> float:
    return float(np.float32(x))


@pytest.fixture(scope="module")
def uslci_project():
    """A fresh project with US LCI imported (deleted afterwards)."""
    import bw2data as bd

    from connectors.uslci import import_uslci

    project = f"tanji-exactness-{uuid.uuid4().hex[:8]}"
    previous = bd.projects.current
    bd.projects.set_current(project)
    import_uslci(database_name="uslci")
    yield project
    bd.projects.set_current(previous)
    bd.projects.delete_project(project, delete_dir=True)


@pytest.fixture(scope="module")
def uslci_snapshot(uslci_project, tmp_path_factory: pytest.TempPathFactory):
    import bw2data as bd

    from lca.precompute import precompute
    from lca.snapshot import build_snapshot, load_snapshot

    bd.projects.set_current(uslci_project)
    path = tmp_path_factory.mktemp("uslci") / "snapshot"
    snapshot_hash = build_snapshot("uslci", path)
    snapshot = load_snapshot(path, expected_hash=snapshot_hash)
    return snapshot, precompute(snapshot)


def _flow_index(snapshot, name: str, categories: tuple[str, ...]) -> int | None:
    for j, flow in enumerate(snapshot.flows):
        if flow.name == name and flow.categories == categories:
            return j
    return None


def _build_bom(snapshot, table):
    """A product with 5 assemblies, 10 sub-assemblies and 66 leaves, from a fixed seed."""
    from lca.foreground import BackgroundLink, BomNode, DeclaredFootprint, SupplierProcess

    rng = np.random.default_rng(2026)
    gwp = snapshot.indicator_index("gwp100_kg_co2e")
    candidates = np.flatnonzero(table.scores[:, gwp] != 0)
    assert len(candidates) > 100
    ext_no2 = snapshot.flow_index_by_key.get(("tanji_biosphere_ext", "nitrogen-dioxide"))
    ext_pm10 = snapshot.flow_index_by_key.get(("tanji_biosphere_ext", "pm10-total"))
    emission_flows = [
        j
        for j in (
            _flow_index(snapshot, "Carbon dioxide, fossil", ("air",)),
            _flow_index(snapshot, "Methane, fossil", ("air",)),
            _flow_index(snapshot, "Sulfur dioxide", ("air",)),
            _flow_index(snapshot, "Nitrogen oxides", ("air",)),
            _flow_index(snapshot, "Particulate Matter, < 2.5 um", ("air",)),
            ext_no2,
            ext_pm10,
        )
        if j is not None
    ]
    assert len(emission_flows) >= 4

    def quantity() -> float:
        return int(rng.integers(1, 256)) / 64.0

    counter = iter(range(10_000))

    def leaf(kind: str) -> BomNode:
        number = next(counter)
        if kind == "background":
            link = BackgroundLink(int(rng.choice(candidates)))
        elif kind == "supplier":
            link = SupplierProcess(
                f"sp-{number}",
                emissions={
                    int(j): _f32(rng.random() * 0.1)
                    for j in rng.choice(emission_flows, size=3, replace=False)
                },
                inputs={int(i): quantity() for i in rng.choice(candidates, size=2, replace=False)},
                location=str(rng.choice(["CN-JS", "VN", "MX"])),
            )
        else:
            values = {i: _f32(rng.random()) for i in snapshot.indicator_ids}
            values["gwp100_kg_co2e"] = sum(
                values[i]
                for i in ("gwp100_fossil_kg_co2e", "gwp100_biogenic_kg_co2e", "gwp100_luc_kg_co2e")
            )
            link = DeclaredFootprint(f"pcf-{number}", values)
        return BomNode(
            f"{kind}-{number}",
            quantity=quantity(),
            link=link,
            supplier=f"supplier-{number % 7}",
            stage=str(rng.choice(["A1", "A2", "A3"])),
            location=str(rng.choice(["US", "CN", "DE"])),
        )

    kinds = ["background"] * 4 + ["supplier", "background", "declared"]
    assemblies = []
    for a in range(5):
        subs = []
        for b in range(2):
            leaves = [leaf(kinds[(a * 2 + b + i) % len(kinds)]) for i in range(6)]
            subs.append(BomNode(f"sub-{a}-{b}", quantity=quantity(), children=leaves))
        subs.append(leaf("background"))
        assemblies.append(BomNode(f"asm-{a}", quantity=quantity(), children=subs))
    assemblies.append(leaf("supplier"))
    return BomNode("product", children=assemblies)


def _write_brightway_system(snapshot, root) -> tuple[int, float]:
    """Write the BOM as a Brightway database; return (root activity id, declared sums by k)."""
    import bw2data as bd

    from lca.foreground import BackgroundLink, DeclaredFootprint, SupplierProcess

    data = {}
    declared = np.zeros(len(snapshot.indicators))

    def activity(code: str, exchanges: list[dict]) -> tuple[str, str]:
        key = (FG, code)
        data[key] = {
            "name": code,
            "unit": "unit",
            "location": "GLO",
            "exchanges": [{"input": key, "amount": 1.0, "type": "production"}, *exchanges],
        }
        return key

    def visit(node, path_amount: float) -> list[dict]:
        """Exchanges of the parent for ``node``; records declared values."""
        if node.children:
            key = activity(
                node.node_id,
                [
                    ex
                    for child in node.children
                    for ex in visit(child, path_amount * child.quantity)
                ],
            )
            return [{"input": key, "amount": node.quantity, "type": "technosphere"}]
        link = node.link
        if isinstance(link, BackgroundLink):
            target = snapshot.activities[link.product_index].key
            return [{"input": target, "amount": node.quantity, "type": "technosphere"}]
        if isinstance(link, SupplierProcess):
            key = activity(
                link.process_id,
                [
                    {"input": snapshot.flows[j].key, "amount": amount, "type": "biosphere"}
                    for j, amount in link.emissions.items()
                ]
                + [
                    {"input": snapshot.activities[i].key, "amount": amount, "type": "technosphere"}
                    for i, amount in link.inputs.items()
                ],
            )
            return [{"input": key, "amount": node.quantity, "type": "technosphere"}]
        if isinstance(link, DeclaredFootprint):
            for indicator_id, value in link.values.items():
                declared[snapshot.indicator_index(indicator_id)] += path_amount * value
            return []
        raise AssertionError(f"unlinked leaf {node.node_id}")

    root_key = activity(
        root.node_id,
        [ex for child in root.children for ex in visit(child, child.quantity)],
    )
    bd.Database(FG).write(data)
    return bd.get_node(database=root_key[0], code=root_key[1]).id, declared


def _write_methods(snapshot) -> dict[str, tuple[str, str]]:
    import bw2data as bd

    methods = {}
    characterization = snapshot.characterization.tocsr()
    for k, indicator_id in enumerate(snapshot.indicator_ids):
        row = characterization.getrow(k)
        name = ("tanji-exactness", indicator_id)
        bd.Method(name).write(
            [(snapshot.flows[j].key, float(v)) for j, v in zip(row.indices, row.data, strict=True)]
        )
        methods[indicator_id] = name
    return methods


def test_footprint_equals_full_bw2calc_lca(uslci_project, uslci_snapshot) -> None:
    import bw2calc as bc
    import bw2data as bd

    from lca.footprint import footprint
    from lca.foreground import BackgroundLink, DeclaredFootprint, SupplierProcess, explode

    bd.projects.set_current(uslci_project)
    snapshot, table = uslci_snapshot
    root = _build_bom(snapshot, table)
    lines = explode(root)
    kinds = [type(line.link) for line in lines]
    assert len(lines) >= 50
    assert kinds.count(BackgroundLink) >= 30
    assert kinds.count(SupplierProcess) >= 5
    assert kinds.count(DeclaredFootprint) >= 3

    ours = footprint(lines, table, snapshot)
    assert ours.complete

    root_id, declared = _write_brightway_system(snapshot, root)
    methods = _write_methods(snapshot)
    checked = 0
    for k, indicator_id in enumerate(snapshot.indicator_ids):
        if not snapshot.characterization.getrow(k).nnz:
            continue
        fu, data_objs, _ = bd.prepare_lca_inputs({root_id: 1.0}, method=methods[indicator_id])
        lca = bc.LCA(fu, data_objs=data_objs)
        lca.lci()
        lca.lcia()
        theirs = lca.score + declared[k]
        assert ours.total[k] == pytest.approx(theirs, rel=1e-6, abs=1e-15), indicator_id
        checked += 1
    assert checked == len(snapshot.indicator_ids)
    gwp = snapshot.indicator_index("gwp100_kg_co2e")
    assert ours.total[gwp] > 0
    split = ours.ghg_split
    assert split["fossil"] + split["biogenic"] + split["luc"] == pytest.approx(
        split["total"], rel=1e-9
    )


def test_unit_table_equals_bw2calc_on_snapshot_data(uslci_snapshot) -> None:
    """Row by row for a sample of products: U against bw2calc on the snapshot datapackages."""
    import bw2calc as bc

    snapshot, table = uslci_snapshot
    rng = np.random.default_rng(7)
    gwp = "gwp100_kg_co2e"
    k = snapshot.indicator_index(gwp)
    data_objs = [*snapshot.inventory_datapackages(), snapshot.characterization_datapackage(gwp)]
    for i in rng.choice(len(snapshot.activities), size=25, replace=False):
        lca = bc.LCA({snapshot.activities[i].id: 1.0}, data_objs=data_objs)
        lca.lci()
        lca.lcia()
        assert table.scores[i, k] == pytest.approx(lca.score, rel=1e-9, abs=1e-12)


def test_snapshot_survives_pack_and_cache(uslci_snapshot, tmp_path: Path) -> None:
    from lca.snapshot import load_snapshot, pack_snapshot, unpack_snapshot

    snapshot, _ = uslci_snapshot
    path = unpack_snapshot(
        pack_snapshot(snapshot.path), tmp_path, expected_hash=snapshot.snapshot_hash
    )
    assert load_snapshot(path).snapshot_hash == snapshot.snapshot_hash
