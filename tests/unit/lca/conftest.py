"""A tiny hand-built background system, written as a bw2data database and frozen as a snapshot.

Four activities with a loop (electricity <-> coal), a production amount other than 1,
flows of biosphere3 (real ecoinvent 3.9 codes, so the bundled LCIA factors apply) and of
``tanji_biosphere_ext``, lognormal uncertainty on some exchanges, and one activity with a
recorded cut-off input.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

BIO = "biosphere3"
EXT = "tanji_biosphere_ext"
FLOWS = {
    "co2": (BIO, "349b29d1-3e58-4c66-98b9-9d1a076efd2e", "Carbon dioxide, fossil"),
    "ch4_fossil": (BIO, "0795345f-c7ae-410c-ad25-1845784c75f5", "Methane, fossil"),
    "ch4_bio": (BIO, "da1157e2-7593-4dfd-80dd-a3449b37a4d8", "Methane, non-fossil"),
    "co2_luc": (
        BIO,
        "e4e9febc-07c1-403d-8d3a-6707bb4d96e6",
        "Carbon dioxide, from soil or biomass stock",
    ),
    "so2": (BIO, "fd7aa71c-508c-480d-81a6-8052aad92646", "Sulfur dioxide"),
    "nox": (BIO, "c1b91234-6f24-417b-8309-46111d09c457", "Nitrogen oxides"),
    "pm25": (BIO, "21e46cb8-6233-4c99-bac3-c41d2ab99498", "Particulate Matter, < 2.5 um"),
    "pm25_10": (
        BIO,
        "b967e1bf-f09b-4c89-8740-ace21db47bba",
        "Particulate Matter, > 2.5 um and < 10um",
    ),
    "nh3": (BIO, "87883a4e-1e3e-4c9d-90c0-f1bea36f8014", "Ammonia"),
    "nmvoc": (
        BIO,
        "d3260d0e-8203-4cbb-a45a-6a13131a5108",
        "NMVOC, non-methane volatile organic compounds",
    ),
    "co": (BIO, "ba2f3f82-c93a-47a5-822a-37ec97495275", "Carbon monoxide, fossil"),
    # exchanged by no background activity: only supplier data can use it
    "n2o": (BIO, "20185046-64bb-4c09-a8e7-e8a9e144ca98", "Dinitrogen monoxide"),
    "no2_ext": (EXT, "nitrogen-dioxide", "Nitrogen dioxide"),
    "pm10_ext": (EXT, "pm10-total", "Particulate Matter, < 10 um, total"),
}
DB = "tiny"


def _bio(name: str, amount: float, **uncertainty: float) -> dict:
    db, code, _ = FLOWS[name]
    return {"input": (db, code), "amount": amount, "type": "biosphere", **uncertainty}


def _tech(code: str, amount: float, **uncertainty: float) -> dict:
    return {"input": (DB, code), "amount": amount, "type": "technosphere", **uncertainty}


def _lognormal(amount: float, sigma: float) -> dict:
    import math

    return {"uncertainty type": 2, "loc": math.log(amount), "scale": sigma}


def tiny_activities() -> dict:
    """The tiny background database, as bw2data ``write()`` data."""

    def act(
        code: str,
        location: str,
        unit: str,
        exchanges: list,
        production: float = 1.0,
        **extra: object,
    ) -> tuple:
        return (DB, code), {
            "name": f"{code} production",
            "reference product": code,
            "location": location,
            "unit": unit,
            "exchanges": [
                {"input": (DB, code), "amount": production, "type": "production"},
                *exchanges,
            ],
            **extra,
        }

    return dict(
        [
            act(
                "electricity",
                "US",
                "kilowatt hour",
                [
                    _tech("coal", 0.4, **_lognormal(0.4, 0.1)),
                    _bio("co2", 0.9, **_lognormal(0.9, 0.05)),
                    _bio("so2", 0.002),
                    _bio("nox", 0.0015),
                    _bio("pm25", 1e-4),
                    _bio("ch4_fossil", 2e-4),
                ],
            ),
            act(
                "coal",
                "CN",
                "kilogram",
                [
                    _tech("electricity", 0.05),
                    _bio("ch4_fossil", 0.01, **_lognormal(0.01, 0.3)),
                    _bio("pm25_10", 0.002),
                    _bio("pm10_ext", 0.001),
                ],
                tanji_cutoff=[{"name": "explosives", "amount": 0.001, "unit": "kilogram"}],
            ),
            act(
                "steel",
                "CN",
                "kilogram",
                [
                    _tech("coal", 1.2),
                    _tech("electricity", 0.6),
                    _bio("co2", 3.0),
                    _bio("no2_ext", 0.006),
                    _bio("co", 0.02),
                    _bio("nh3", 2e-5),
                    _bio("so2", 0.004),
                ],
                production=2.0,
            ),
            act(
                "wood",
                "BR",
                "kilogram",
                [
                    _tech("electricity", 0.1),
                    _bio("ch4_bio", 0.001),
                    _bio("co2_luc", 0.2),
                    _bio("nmvoc", 5e-4),
                    _bio("pm25", 3e-4),
                ],
                tanji_ambiguous=["saw blade: no matching activity"],
            ),
        ]
    )


def write_tiny_project(project: str) -> None:
    """Write biosphere (the flows used), extension flows and the tiny database."""
    import bw2data as bd

    bd.projects.set_current(project)
    bio, ext = {}, {}
    for db, code, name in FLOWS.values():
        target = bio if db == BIO else ext
        target[(db, code)] = {
            "name": name,
            "categories": ("air",),
            "unit": "kilogram",
            "type": "emission",
        }
    bd.Database(BIO).write(bio)
    bd.Database(EXT).write(ext)
    bd.Database(DB).write(tiny_activities())


@pytest.fixture(scope="session")
def tiny_project() -> str:
    """A bw2data project holding the tiny system (deleted at the end)."""
    import bw2data as bd

    project = f"tanji-tiny-{uuid.uuid4().hex[:8]}"
    previous = bd.projects.current
    write_tiny_project(project)
    yield project
    bd.projects.set_current(previous)
    bd.projects.delete_project(project, delete_dir=True)


@pytest.fixture(scope="session")
def tiny_snapshot_dir(tiny_project: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny system frozen into a snapshot directory."""
    import bw2data as bd

    from lca.snapshot import build_snapshot

    bd.projects.set_current(tiny_project)
    path = tmp_path_factory.mktemp("snapshots") / "tiny"
    build_snapshot(DB, path)
    return path


@pytest.fixture(scope="session")
def tiny_snapshot(tiny_snapshot_dir: Path):
    """The loaded tiny snapshot."""
    from lca.snapshot import load_snapshot

    return load_snapshot(tiny_snapshot_dir)


@pytest.fixture(scope="session")
def tiny_table(tiny_snapshot):
    """The tiny snapshot's unit table."""
    from lca.precompute import precompute

    return precompute(tiny_snapshot)
