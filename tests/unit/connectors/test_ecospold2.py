"""ecoSpold2 import through bw2io's stock importer, on two hand-written datasets."""

from __future__ import annotations

import shutil
from pathlib import Path

import bw2data as bd
import pytest

from connectors.ecospold2 import import_ecospold2
from connectors.errors import ImportFailed, ParseError
from tests.support.brightway import use_project

DATA = Path(__file__).parent / "data" / "ecospold2"


@pytest.fixture(scope="module")
def project() -> str:
    return use_project("tanji-test-ecospold2")


def test_two_datasets_import_linked(project: str) -> None:
    report = import_ecospold2(DATA, database_name="es2_test")
    assert report.written
    assert report.activities == 2
    assert report.counts["unlinked"] == 0
    assert report.counts["linked"] == 3  # one electricity input, two CO2 emissions
    widget = next(a for a in bd.Database("es2_test") if a["name"] == "widget production")
    (electricity,) = list(widget.technosphere())
    assert electricity.input["name"] == "electricity production"
    assert electricity["amount"] == pytest.approx(2.5)
    co2 = {(e.input["database"], e.input["code"]) for e in widget.biosphere()}
    assert co2 == {("biosphere3", "349b29d1-3e58-4c66-98b9-9d1a076efd2e")}


def test_unknown_elementary_flow_refuses(project: str, tmp_path: Path) -> None:
    for spold in DATA.glob("*.spold"):
        text = spold.read_text(encoding="utf-8").replace(
            "349b29d1-3e58-4c66-98b9-9d1a076efd2e", "00000000-dead-beef-0000-000000000000"
        )
        (tmp_path / spold.name).write_text(text, encoding="utf-8")
    with pytest.raises(ImportFailed) as failure:
        import_ecospold2(tmp_path, database_name="es2_refused")
    assert "es2_refused" not in bd.databases
    assert failure.value.report.counts["unlinked"] == 2


def test_not_a_spold_directory(project: str, tmp_path: Path) -> None:
    shutil.copy(__file__, tmp_path / "x.txt")
    with pytest.raises(ParseError):
        import_ecospold2(tmp_path, database_name="nothing")
