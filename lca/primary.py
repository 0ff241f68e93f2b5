"""Supplier primary data as foreground links: a process (direct emissions + inputs) or a
declared footprint, per one declared unit.

Direct emissions are named by short keys (``co2_fossil``, ``so2``, ...) that stand for one
biosphere3 flow to air each (by name, no number involved); inputs are background datasets
named like BOM link hints (``database:code``) with an amount in any convertible unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lca.foreground import DeclaredFootprint, SupplierProcess
from lca.snapshot import Snapshot
from lca.units import UnitError, conversion_factor

DIRECT_EMISSION_FLOWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "co2_fossil": ("Carbon dioxide, fossil", ("air",)),
    "co2_biogenic": ("Carbon dioxide, non-fossil", ("air",)),
    "ch4_fossil": ("Methane, fossil", ("air",)),
    "ch4_biogenic": ("Methane, non-fossil", ("air",)),
    "n2o": ("Dinitrogen monoxide", ("air",)),
    "so2": ("Sulfur dioxide", ("air",)),
    "nox": ("Nitrogen oxides", ("air",)),
    "pm25": ("Particulate Matter, < 2.5 um", ("air",)),
    "pm25_10": ("Particulate Matter, > 2.5 um and < 10um", ("air",)),
    "nmvoc": ("NMVOC, non-methane volatile organic compounds", ("air",)),
    "nh3": ("Ammonia", ("air",)),
    "co_fossil": ("Carbon monoxide, fossil", ("air",)),
}
"""Short names of direct emissions a supplier may report, and the biosphere3 flow of each.
PM10 is reported as its two size classes (``pm25`` + ``pm25_10``), as biosphere3 keeps them."""


@dataclass(frozen=True)
class PrimaryLink:
    """A resolved primary-data record: its link and the unit one of it is declared in."""

    link: SupplierProcess | DeclaredFootprint
    declared_unit: str


def _flow_rows(snapshot: Snapshot) -> dict[tuple[str, tuple[str, ...]], int]:
    rows: dict[tuple[str, tuple[str, ...]], int] = {}
    for row, flow in enumerate(snapshot.flows):
        rows.setdefault((flow.name, tuple(flow.categories)), row)
    return rows


def resolve_process(record_id: str, payload: Mapping[str, Any], snapshot: Snapshot,
                    *, location: str | None) -> SupplierProcess | str:
    """A supplier process on ``snapshot``, or the reason it cannot be built."""
    rows = _flow_rows(snapshot)
    emissions: dict[int, float] = {}
    for emission in payload.get("emissions", []):
        flow = DIRECT_EMISSION_FLOWS.get(emission["substance"])
        row = rows.get(flow) if flow else None
        if row is None:
            return f"emission {emission['substance']!r} has no flow in this snapshot"
        emissions[row] = emissions.get(row, 0.0) + float(emission["amount_kg"])
    index_by_key = snapshot.product_index_by_key
    inputs: dict[int, float] = {}
    for item in payload.get("inputs", []):
        database, _, code = str(item["link_hint"]).partition(":")
        index = index_by_key.get((database, code))
        if index is None:
            return f"input {item['link_hint']!r} names no dataset of this snapshot"
        try:
            amount = float(item["amount"]) * conversion_factor(
                item["unit"], snapshot.activities[index].unit or "")
        except UnitError as exc:
            return f"input {item['link_hint']!r}: {exc}"
        inputs[index] = inputs.get(index, 0.0) + amount
    return SupplierProcess(process_id=record_id, emissions=emissions, inputs=inputs,
                           location=location)


def resolve_records(records: Sequence[Mapping[str, Any]],
                    snapshot: Snapshot) -> tuple[dict[str, PrimaryLink], dict[str, str]]:
    """Links for stored primary-data records (``id, kind, declared_unit, location, payload``),
    and the reasons for those that cannot be used on this snapshot."""
    links: dict[str, PrimaryLink] = {}
    problems: dict[str, str] = {}
    for record in records:
        record_id = str(record["id"])
        if record["kind"] == "declared":
            values = {k: float(v) for k, v in record["payload"]["values"].items()}
            links[record_id] = PrimaryLink(DeclaredFootprint(record_id, values),
                                           record["declared_unit"])
            continue
        built = resolve_process(record_id, record["payload"], snapshot,
                                location=record.get("location"))
        if isinstance(built, str):
            problems[record_id] = built
        else:
            links[record_id] = PrimaryLink(built, record["declared_unit"])
    return links, problems
