"""bw2io tabular (CSV) import with the Tanji report and failure rule.

Writes a 3-activity database into a temporary Brightway directory.
"""

from __future__ import annotations

from pathlib import Path

import bw2data as bd
import pytest

from connectors.errors import ImportFailed, ParseError
from connectors.tabular import import_tabular
from tests.support.brightway import use_project

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def project() -> str:
    return use_project("tanji-test-tabular")


def test_three_activity_csv_imports_fully_linked(project: str) -> None:
    report = import_tabular(DATA / "tabular_3_activities.csv")
    assert report.written
    assert report.database == "tanji_tabular_test"
    assert report.activities == 3
    assert report.counts["unlinked"] == 0
    assert report.counts["linked"] == 8
    assert report.exchanges_by_kind == {"production": 3, "technosphere": 3, "biosphere": 5}
    widget = bd.get_node(database="tanji_tabular_test", code="widget")
    assert {e.input["name"] for e in widget.technosphere()} == {"steel", "electricity"}

    import bw2calc as bc

    lca = bc.LCA({widget: 1})
    lca.lci()
    co2 = bd.get_node(database="biosphere3", name="Carbon dioxide, fossil", categories=("air",))
    row = lca.dicts.biosphere[co2.id]
    # 0.1 + 0.8 x (1.8 + 1.5 x 0.6) + 2 x 0.6
    assert lca.inventory[row, :].sum() == pytest.approx(0.1 + 0.8 * (1.8 + 0.9) + 1.2)


def test_unlinked_above_threshold_refuses(project: str, tmp_path: Path) -> None:
    text = (DATA / "tabular_3_activities.csv").read_text(encoding="utf-8")
    broken = tmp_path / "broken.csv"
    broken.write_text(
        text.replace("tanji_tabular_test", "tanji_tabular_broken").replace(
            "Sulfur dioxide", "Sulphur dioxide (misspelt)"
        ),
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as failure:
        import_tabular(broken, max_unlinked_share=0.05)
    assert "tanji_tabular_broken" not in bd.databases
    (flow,) = failure.value.report.unlinked_flows
    assert (flow.name, flow.count) == ("Sulphur dioxide (misspelt)", 1)


def test_wrong_suffix_is_a_parse_error(project: str, tmp_path: Path) -> None:
    with pytest.raises(ParseError):
        import_tabular(tmp_path / "database.txt")
