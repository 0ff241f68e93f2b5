"""Import the US LCI database (fy21 q3, EcoSpold 1) into the current Brightway project.

Steps, each a function below:

1. parse the vendored zip (``connectors.ecospold1``);
2. split multi-output datasets whose products state mass allocation factors
   (the refinery); others keep all burdens on the reference product and list
   their by-products (``split_multi_output``);
3. link elementary flows through ``fedefl_biosphere3.csv`` and bw2io's
   ``link_iterable_by_fields`` (land "Transformation" inputs are elementary);
   plain CO2 / CH4 / CO of biomass combustion datasets become non-fossil;
4. link technosphere inputs by reference-product name, then location, with
   exact unit conversions; cut off what has no provider, report what is
   ambiguous, never pick at random (``link_technosphere``);
5. flag known data errors (kept as published; done on the parsed data);
6. refuse (``ImportFailed``) if the unlinked share is too high, else write with
   bw2io's ``LCIImporter``.

The caller selects the project (``BRIGHTWAY2_DIR``, ``bd.projects.set_current``).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import logging
import math
import re
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from connectors.biosphere_extension import EXTENSION_DATABASE, install_biosphere
from connectors.ecospold1 import (
    LOGNORMAL,
    NORMAL,
    TRIANGULAR,
    UNDEFINED,
    UNIFORM,
    parse_ecospold1_zip,
)
from connectors.errors import ImportFailed
from connectors.fedefl import (
    DEFAULT_MAPPING_PATH,
    BiosphereTarget,
    FlowKey,
    flow_key,
    load_biosphere_mapping,
)
from connectors.import_report import (
    DataIssue,
    ImportReport,
    count_flows,
    enforce_unlinked_limit,
)

__all__ = [
    "DEFAULT_UNIT_CONVERSIONS_PATH",
    "DEFAULT_ZIP_PATH",
    "conversion_factor",
    "flag_data_issues",
    "import_uslci",
    "is_biomass_combustion",
    "link_technosphere",
    "load_unit_conversions",
    "scale_exchange",
    "split_multi_output",
]

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_ZIP_PATH = DATA_DIR / "uslci" / "uslci_fy21q3_ecospold1.zip"
DEFAULT_UNIT_CONVERSIONS_PATH = DATA_DIR / "unit_conversions.csv"

CUTOFF_CATEGORY = "CUTOFF Flows"
LAND_CATEGORY = "Ecosystem Services"
ALLOCATION_FACTOR = re.compile(r"Mass \(([0-9.]+) kg/kg output\) used for allocation")

# Datasets whose own direct CO2 / CH4 / CO come from burning wood or other biomass
# (by name; see docs/data/uslci.md). Their plain FEDEFL "Carbon dioxide", "Methane",
# "Carbon monoxide" go to the non-fossil biosphere3 flows; everywhere else to fossil.
BIOMASS_COMBUSTION = (
    re.compile(r"^(Wood|Hog fuel)\b.*combust", re.IGNORECASE),
    re.compile(r"^Combustion, (dry|wet) wood residue", re.IGNORECASE),
    re.compile(r"^Electricity, biomass, at power plant$"),
)
FOSSIL_TO_NON_FOSSIL = {
    "Carbon dioxide, fossil": "Carbon dioxide, non-fossil",
    "Methane, fossil": "Methane, non-fossil",
    "Carbon monoxide, fossil": "Carbon monoxide, non-fossil",
}


def is_biomass_combustion(dataset_name: str) -> bool:
    """Whether a US LCI dataset's direct carbon emissions are biogenic (wood/biomass burnt)."""
    return any(pattern.search(dataset_name) for pattern in BIOMASS_COMBUSTION)


def load_unit_conversions(
    path: str | Path = DEFAULT_UNIT_CONVERSIONS_PATH,
) -> dict[tuple[str, str, str], float]:
    """Read unit conversions: ``(from_unit, to_unit, flow) -> factor`` (to = from x factor).

    ``flow`` is empty for conversions that hold for any flow (exact definitions);
    a flow name marks a flow-specific (density) conversion, each with its basis.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        return {
            (row["from_unit"], row["to_unit"], row.get("flow") or ""): float(row["factor"])
            for row in csv.DictReader(handle)
        }


def conversion_factor(
    conversions: dict[tuple[str, str, str], float], from_unit: str, to_unit: str, flow: str
) -> float | None:
    """The factor from ``from_unit`` to ``to_unit`` for ``flow`` (flow-specific first), or None."""
    if from_unit == to_unit:
        return 1.0
    factor = conversions.get((from_unit, to_unit, flow))
    return factor if factor is not None else conversions.get((from_unit, to_unit, ""))


def scale_exchange(exchange: dict[str, Any], factor: float) -> None:
    """Multiply an exchange's amount by ``factor``, keeping its uncertainty consistent."""
    if factor == 1.0:
        return
    amount = exchange["amount"] * factor
    kind = exchange.get("uncertainty type", UNDEFINED)
    exchange["amount"] = amount
    if kind == LOGNORMAL and factor > 0:
        exchange["loc"] = math.log(abs(amount)) if amount else exchange.get("loc", 0.0)
    elif kind == NORMAL and factor > 0:
        exchange["loc"] = exchange.get("loc", amount / factor) * factor
        exchange["scale"] = exchange["scale"] * factor
    elif kind in (TRIANGULAR, UNIFORM) and factor > 0:
        exchange["minimum"] = exchange["minimum"] * factor
        exchange["maximum"] = exchange["maximum"] * factor
        if "loc" in exchange:
            exchange["loc"] = exchange["loc"] * factor
    else:
        for field in ("scale", "shape", "minimum", "maximum", "negative"):
            exchange.pop(field, None)
        exchange["uncertainty type"] = UNDEFINED
        exchange["loc"] = amount


def _code(dataset: dict[str, Any]) -> str:
    text = "|".join(
        str(dataset.get(field, ""))
        for field in ("name", "reference product", "location", "unit", "comment")
    )
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def split_multi_output(
    datasets: list[dict[str, Any]], report: ImportReport
) -> list[dict[str, Any]]:
    """One activity per product where every product states a mass allocation factor.

    US LCI states factors only in exchange comments ("Mass (0.4213 kg/kg output)
    used for allocation", the refinery). Each split activity keeps its own
    product amount and gets every other exchange multiplied by its factor.
    Datasets without stated factors keep their reference product only; their
    by-products (output group 2) leave the matrix and are listed on the activity
    (``tanji_unallocated_byproducts``) and in the report: their burdens stay on
    the reference product, as the dataset publishes them.
    """
    activities: list[dict[str, Any]] = []
    for dataset in datasets:
        products = [e for e in dataset["exchanges"] if e.get("ecospold_group") == ("output", 0)]
        byproducts = [e for e in dataset["exchanges"] if e.get("ecospold_group") == ("output", 2)]
        others = [e for e in dataset["exchanges"] if e.get("type") != "production"]
        if not byproducts:
            activities.append(dataset)
            continue
        factors = [ALLOCATION_FACTOR.search(e.get("comment", "")) for e in products + byproducts]
        if len(products) == 1 and all(factors):
            values = [float(m[1]) for m in factors if m]
            total = sum(values)
            for product, factor in zip(products + byproducts, values, strict=True):
                split = {
                    **dataset,
                    "name": product["name"],
                    "reference product": product["name"],
                    "unit": product["unit"],
                    "exchanges": [{**product, "ecospold_group": ("output", 0)}]
                    + [_scaled_copy(e, factor) for e in others],
                    "tanji_allocation": {
                        "method": "mass, stated in the dataset",
                        "factor": factor,
                        "source_dataset": dataset["name"],
                    },
                }
                activities.append(split)
            report.multi_output.append(
                {
                    "dataset": dataset["name"],
                    "action": "split by stated mass allocation factors",
                    "products": [p["name"] for p in products + byproducts],
                    "factors": values,
                    "factor_sum": round(total, 6),
                }
            )
            continue
        kept = {
            **dataset,
            "exchanges": [
                e for e in dataset["exchanges"] if e.get("ecospold_group") != ("output", 2)
            ],
        }
        kept["tanji_unallocated_byproducts"] = [
            {"name": e["name"], "amount": e["amount"], "unit": e["unit"]} for e in byproducts
        ]
        activities.append(kept)
        report.multi_output.append(
            {
                "dataset": dataset["name"],
                "location": dataset.get("location"),
                "action": "not split: no stated allocation factors; all burdens on the "
                "reference product, by-products dropped from the matrix",
                "products": [p["name"] for p in products],
                "byproducts": sorted({e["name"] for e in byproducts}),
            }
        )
    return activities


def _scaled_copy(exchange: dict[str, Any], factor: float) -> dict[str, Any]:
    copy = dict(exchange)
    scale_exchange(copy, factor)
    return copy


def _record(exchange: dict[str, Any], kind: str, reason: str) -> dict[str, Any]:
    categories = exchange.get("categories") or ()
    return {
        "name": exchange["name"],
        "category": "/".join(categories),
        "unit": exchange.get("unit", ""),
        "kind": kind,
        "reason": reason,
    }


def _on_activity(exchange: dict[str, Any], reason: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": exchange["name"],
        "amount": exchange["amount"],
        "unit": exchange.get("unit", ""),
        "reason": reason,
        **extra,
    }


class _Classified:
    """Per-class records collected while linking."""

    def __init__(self) -> None:
        self.records: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.by_kind: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, link_class: str, exchange: dict[str, Any], kind: str, reason: str) -> None:
        self.records[link_class].append(_record(exchange, kind, reason))
        self.by_kind[kind][link_class] += 1


def link_technosphere(
    activities: list[dict[str, Any]],
    *,
    database_name: str,
    conversions: dict[tuple[str, str, str], float],
    classified: _Classified | None = None,
) -> _Classified:
    """Link technosphere inputs by reference-product name, then location, then unit.

    - "CUTOFF Flows" and names no activity produces: cut off;
    - several providers: the one in the consumer's location (the exchange's
      ``location``, else the activity's), if exactly one; otherwise ambiguous;
    - unit differs: converted with an exact factor, else left unlinked;
    - an input of the activity's own product at least as large as its output
      (a singular matrix): cut off.
    Dropped exchanges are stored on the activity (``tanji_cutoff``,
    ``tanji_ambiguous``, ``tanji_unlinked``) so results can show what rests on
    truncated supply chains.
    """
    classified = classified or _Classified()
    providers: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for activity in activities:
        providers[activity["reference product"]].append(activity)
    byproduct_of = {
        b["name"]: activity["name"]
        for activity in activities
        for b in activity.get("tanji_unallocated_byproducts", [])
    }
    for activity in activities:
        kept: list[dict[str, Any]] = []
        production = next(
            (e for e in activity["exchanges"] if e.get("ecospold_group") == ("output", 0)), None
        )
        for exchange in activity["exchanges"]:
            if exchange.get("type") != "technosphere" or exchange.get("input"):
                kept.append(exchange)
                continue
            categories = exchange.get("categories") or ()
            name = exchange["name"]
            if CUTOFF_CATEGORY in categories:
                _drop(activity, classified, "cut_off", exchange, "US LCI CUTOFF Flows")
                continue
            candidates = providers.get(name, [])
            if not candidates:
                reason = (
                    f"unallocated by-product of {byproduct_of[name]!r}"
                    if name in byproduct_of
                    else "provider not in this release"
                )
                _drop(activity, classified, "cut_off", exchange, reason)
                continue
            provider = candidates[0]
            if len(candidates) > 1:
                location = exchange.get("location") or activity.get("location")
                here = [c for c in candidates if c.get("location") == location]
                if len(here) != 1:
                    _drop(
                        activity,
                        classified,
                        "ambiguous",
                        exchange,
                        f"{len(candidates)} providers, {len(here)} in location {location}",
                        candidates=len(candidates),
                        location=location,
                    )
                    continue
                provider = here[0]
            factor = 1.0
            if provider["unit"] != exchange["unit"]:
                converted = conversion_factor(
                    conversions, exchange["unit"], provider["unit"], provider["reference product"]
                )
                if converted is None:
                    _drop(
                        activity,
                        classified,
                        "unlinked",
                        exchange,
                        f"unit {exchange['unit']} vs provider unit {provider['unit']}: "
                        "no exact conversion",
                    )
                    continue
                factor = converted
            if provider is activity and production is not None:
                amount = exchange["amount"] * factor
                if amount >= production["amount"] * (1 - 1e-9):
                    _drop(
                        activity,
                        classified,
                        "cut_off",
                        exchange,
                        "self-input not smaller than the output (singular matrix)",
                    )
                    continue
            if factor != 1.0:
                exchange["original unit"] = exchange["unit"]
                exchange["original amount"] = exchange["amount"]
                scale_exchange(exchange, factor)
                exchange["unit"] = provider["unit"]
                exchange["tanji_unit_conversion"] = factor
            exchange["input"] = (database_name, provider["code"])
            classified.add("linked", exchange, "technosphere", "")
            kept.append(exchange)
        activity["exchanges"] = kept
    return classified


_ACTIVITY_FIELD = {
    "cut_off": "tanji_cutoff",
    "ambiguous": "tanji_ambiguous",
    "unlinked": "tanji_unlinked",
    "no_counterpart": "tanji_no_counterpart",
}


def _drop(
    activity: dict[str, Any],
    classified: _Classified,
    link_class: str,
    exchange: dict[str, Any],
    reason: str,
    *,
    kind: str = "technosphere",
    **extra: Any,
) -> None:
    classified.add(link_class, exchange, kind, reason)
    activity.setdefault(_ACTIVITY_FIELD[link_class], []).append(
        _on_activity(exchange, reason, **extra)
    )


def _prepare_biosphere(
    activities: list[dict[str, Any]],
    mapping: dict[FlowKey, BiosphereTarget],
    documented: dict[FlowKey, str],
    non_fossil: dict[tuple[str, tuple[str, ...]], tuple[str, str]],
    classified: _Classified,
) -> None:
    """Rewrite mapped elementary exchanges to their target flow; drop the rest."""
    for activity in activities:
        biomass = is_biomass_combustion(activity["name"])
        kept: list[dict[str, Any]] = []
        for exchange in activity["exchanges"]:
            land = exchange.get("type") == "technosphere" and LAND_CATEGORY in (
                exchange.get("categories") or ()
            )
            if exchange.get("type") != "biosphere" and not land:
                kept.append(exchange)
                continue
            key = flow_key(exchange)
            if land:
                key = FlowKey(key.name, key.category, key.subcategory, "input", key.unit)
            kind = "land" if land else "biosphere"
            target = mapping.get(key)
            if target is None:
                link_class = "no_counterpart" if key in documented else "unlinked"
                reason = documented.get(key, "flow not in the mapping table")
                _drop(
                    activity,
                    classified,
                    link_class,
                    exchange,
                    reason,
                    kind=kind,
                    categories=tuple(exchange.get("categories") or ()),
                )
                continue
            fedefl = {
                "name": exchange["name"],
                "categories": tuple(exchange.get("categories") or ()),
                "unit": exchange["unit"],
            }
            database, name, categories = target.database, target.name, target.categories
            code = target.code
            if biomass and name in FOSSIL_TO_NON_FOSSIL:
                swapped = non_fossil.get((FOSSIL_TO_NON_FOSSIL[name], categories))
                if swapped:
                    database, code = swapped
                    name = FOSSIL_TO_NON_FOSSIL[name]
            scale_exchange(exchange, target.conversion_factor)
            exchange.update(
                {
                    "type": "biosphere",
                    "name": name,
                    "categories": categories,
                    "unit": target.unit,
                    "fedefl": fedefl,
                    "tanji_target": (database, code),
                }
            )
            exchange.pop("location", None)
            classified.add("linked", exchange, kind, target.source)
            kept.append(exchange)
        activity["exchanges"] = kept


def _documented_gaps(path: Path) -> dict[FlowKey, str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {
            FlowKey(
                row["fedefl_name"],
                row["fedefl_category"],
                row["fedefl_subcategory"],
                row["direction"],
                row["fedefl_unit"],
            ): row["source"]
            for row in csv.DictReader(handle)
            if not row["target_code"]
        }


def flag_data_issues(datasets: Iterable[dict[str, Any]], report: ImportReport) -> None:
    """Flag known US LCI data errors in the parsed datasets; the data stay as published.

    Detected from the data, not from a list of values: rail transport above
    20 t*km per kg of product, i.e. 20,000 km (corn stover: 200), dioxin emissions above 1 g per
    reference unit (PVC resin), and emission flows recorded as inputs (PLA's
    CO2 uptake, a few zinc datasets).
    """
    for dataset in datasets:
        name = dataset["name"]
        product = next(
            (e for e in dataset["exchanges"] if e.get("ecospold_group") == ("output", 0)), None
        )
        output = abs(product["amount"]) if product and product["amount"] else 1.0
        per = f"per {output:g} {dataset.get('unit', '')}"
        for exchange in dataset["exchanges"]:
            lowered = exchange["name"].lower()
            amount = exchange["amount"]
            if (
                exchange.get("type") == "technosphere"
                and ("train" in lowered or "rail" in lowered)
                and exchange.get("unit") == "t*km"
                and dataset.get("unit") == "kg"
                and amount / output > 20.0
            ):
                report.data_issues.append(
                    DataIssue(
                        dataset=name,
                        issue="rail transport far too high (known US LCI error, ~1000x)",
                        detail=f"{exchange['name']}: {amount:g} t*km {per}",
                    )
                )
            if (
                exchange.get("type") == "biosphere"
                and "dioxin" in lowered
                and exchange.get("unit") == "kg"
                and abs(amount) / output > 1e-3
            ):
                report.data_issues.append(
                    DataIssue(
                        dataset=name,
                        issue="implausible dioxin emission (known US LCI error)",
                        detail=f"{exchange['name']}: {amount:.3g} kg {per}",
                    )
                )
            categories = exchange.get("categories") or ()
            if exchange.get("ecospold_group") == ("input", 4) and categories[:1] == ("emission",):
                issue = (
                    "CO2 uptake recorded as an input of an emission flow; linked as "
                    "'Carbon dioxide, in air' (uptake), not as a negative fossil emission"
                    if exchange["name"] == "Carbon dioxide"
                    else "emission flow recorded as an input; linked as a negative emission"
                )
                report.data_issues.append(
                    DataIssue(
                        dataset=name,
                        issue=issue,
                        detail=f"{exchange['name']} ({'/'.join(categories)}): "
                        f"{amount:.4g} {exchange.get('unit', '')} {per}",
                    )
                )


def _finish_report(report: ImportReport, classified: _Classified) -> None:
    report.counts = {c: len(classified.records.get(c, [])) for c in report.counts}
    report.counts_by_kind = {k: dict(v) for k, v in classified.by_kind.items()}
    report.unlinked_flows = count_flows(classified.records.get("unlinked", []))
    report.no_counterpart_flows = count_flows(classified.records.get("no_counterpart", []))
    report.cut_off_flows = count_flows(classified.records.get("cut_off", []))
    report.ambiguous_flows = count_flows(classified.records.get("ambiguous", []))


def _exchange_kinds(datasets: list[dict[str, Any]]) -> dict[str, int]:
    kinds: dict[str, int] = defaultdict(int)
    for dataset in datasets:
        for exchange in dataset["exchanges"]:
            group = exchange.get("ecospold_group")
            if group == ("output", 0):
                kinds["reference product"] += 1
            elif group == ("output", 2):
                kinds["by-product"] += 1
            elif group == ("output", 3):
                kinds["waste to treatment"] += 1
            elif exchange["type"] == "technosphere" and LAND_CATEGORY in (
                exchange.get("categories") or ()
            ):
                kinds["land transformation (elementary)"] += 1
            elif exchange["type"] == "technosphere":
                kinds["technosphere input"] += 1
            elif group == ("input", 4):
                kinds["elementary input (from nature)"] += 1
            else:
                kinds["elementary output (to nature)"] += 1
    return dict(kinds)


def import_uslci(
    *,
    database_name: str = "uslci",
    zip_path: str | Path = DEFAULT_ZIP_PATH,
    max_unlinked_share: float = 0.05,
    biosphere_name: str = "biosphere3",
    mapping_path: str | Path = DEFAULT_MAPPING_PATH,
    unit_conversions_path: str | Path = DEFAULT_UNIT_CONVERSIONS_PATH,
) -> ImportReport:
    """Import US LCI into ``database_name`` in the current project and return the report.

    Installs biosphere3 and ``tanji_biosphere_ext`` if missing. Raises
    ``ImportFailed`` (nothing written) if the unlinked share exceeds
    ``max_unlinked_share``; ``ParseError`` if the file cannot be read.
    An existing database of that name is replaced.
    """
    import bw2data as bd
    from bw2io.importers.base_lci import LCIImporter
    from bw2io.strategies import link_iterable_by_fields, normalize_units

    started = time.perf_counter()
    datasets = parse_ecospold1_zip(zip_path, database_name=database_name)
    report = ImportReport(source=Path(zip_path).name, database=database_name)
    report.datasets = len(datasets)
    report.exchanges_by_kind = _exchange_kinds(datasets)
    flag_data_issues(datasets, report)
    activities = split_multi_output(datasets, report)
    codes: set[str] = set()
    for activity in activities:
        code = _code(activity)
        if code in codes:
            code = f"{code}-{activity.get('code')}"
        codes.add(code)
        activity["code"] = code
        activity["database"] = database_name

    install_biosphere(biosphere_name=biosphere_name)
    mapping = load_biosphere_mapping(mapping_path)
    documented = _documented_gaps(Path(mapping_path))
    non_fossil = {
        (node["name"], tuple(node["categories"])): (node["database"], node["code"])
        for node in bd.Database(biosphere_name)
        if node["name"] in FOSSIL_TO_NON_FOSSIL.values()
    }
    classified = _Classified()
    _prepare_biosphere(activities, mapping, documented, non_fossil, classified)
    link_technosphere(
        activities,
        database_name=database_name,
        conversions=load_unit_conversions(unit_conversions_path),
        classified=classified,
    )
    report.unit_conversions = sum(
        1 for a in activities for e in a["exchanges"] if "tanji_unit_conversion" in e
    )
    _finish_report(report, classified)
    report.activities = len(activities)
    enforce_unlinked_limit(report, max_unlinked_share, started)

    for activity in activities:
        for exchange in activity["exchanges"]:
            if exchange.get("ecospold_group") == ("output", 0):
                exchange["input"] = (database_name, activity["code"])
        activity["type"] = "process"
    importer = LCIImporter(database_name)
    importer.data = activities
    importer.apply_strategy(normalize_units, verbose=False)
    for other in (biosphere_name, EXTENSION_DATABASE):
        targets = {
            e["tanji_target"]
            for a in activities
            for e in a["exchanges"]
            if e.get("tanji_target", ("", ""))[0] == other
        }
        if targets:
            importer.apply_strategy(
                functools.partial(
                    link_iterable_by_fields,
                    other=(
                        node
                        for node in bd.Database(other)
                        if (node["database"], node["code"]) in targets
                    ),
                    fields=("name", "categories", "unit"),
                    edge_kinds=["biosphere"],
                ),
                verbose=False,
            )
    missing = [
        (a["name"], e["name"])
        for a in activities
        for e in a["exchanges"]
        if not e.get("input") or ("tanji_target" in e and tuple(e["input"]) != e["tanji_target"])
    ]
    if missing:
        raise ImportFailed(
            f"{len(missing)} exchanges failed to link against the biosphere: {missing[:5]}",
            report=report,
        )
    for activity in activities:
        for exchange in activity["exchanges"]:
            exchange.pop("tanji_target", None)
    existed = database_name in bd.databases
    try:
        importer.write_database()
    except Exception:
        if not existed and database_name in bd.databases:
            del bd.databases[database_name]
        raise
    report.written = True
    report.duration_s = round(time.perf_counter() - started, 2)
    logger.info(
        "US LCI imported",
        extra={
            "database": database_name,
            "activities": report.activities,
            "duration_s": report.duration_s,
        },
    )
    return report
