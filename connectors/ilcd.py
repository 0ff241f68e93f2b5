"""Read ILCD 1.1 XML archives (processes, flows, flow properties, unit groups).

A defensive reader for zipped ILCD data packages such as the TianGong LCA
database. It streams member by member from the zip (nothing is extracted),
parses with lxml without resolving entities and without network access, and
returns plain dataclasses; it knows nothing of Brightway.

- ``UnitGroup``: its units (name -> factor to the group's reference unit) and
  the reference unit;
- ``FlowProperty``: name and unit group;
- ``Flow``: type (``Elementary flow``, ``Product flow``, ``Waste flow``), names
  in English and Chinese, categories, CAS number, reference flow property, and
  (once resolved through flow property -> unit group) its reference unit, both
  as written in ILCD (``ilcd_unit``) and as Brightway names it (``unit``);
- ``Process``: names (``name``, ``name_zh``), location, classification, the
  internal ids of its reference flows and its ``Exchange`` list.

ILCD states every exchange amount in the reference unit of the flow's
reference flow property; `resolve_units` records that unit on each flow and,
where a unit group's declared reference unit is not its unit of factor 1 (a
data error), converts to the unit of factor 1 and records the factor. Problems
(unreadable files, exchanges without amounts, flows without unit) never raise:
they become ``Issue`` entries on the returned `IlcdArchive`. Only an archive
that cannot be opened, or holds no process, raises ``ParseError``.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lxml import etree

from connectors.errors import ParseError

__all__ = [
    "BW_UNIT_BY_ILCD",
    "Exchange",
    "Flow",
    "FlowProperty",
    "IlcdArchive",
    "Issue",
    "Process",
    "UnitGroup",
    "brightway_unit",
    "parse_flow",
    "parse_flow_property",
    "parse_process",
    "parse_unit_group",
    "read_ilcd_zip",
    "resolve_units",
    "uncertainty_fields",
]

# stats_arrays ids (literal, so the reader needs no stats_arrays import)
UNDEFINED, NO_UNCERTAINTY, LOGNORMAL, NORMAL, UNIFORM, TRIANGULAR = 0, 1, 2, 3, 4, 5

# ILCD unit names -> Brightway unit names. bw2io's normalisation covers most
# (kg, MJ, kWh, m3, t*km, Item(s), ...); these are the ILCD spellings it lacks.
BW_UNIT_BY_ILCD: dict[str, str] = {
    "kg": "kilogram",
    "g": "gram",
    "t": "ton",
    "MJ": "megajoule",
    "kWh": "kilowatt hour",
    "m3": "cubic meter",
    "Nm3": "normal cubic meter",
    "m2": "square meter",
    "sqm": "square meter",
    "m2*a": "square meter-year",
    "sqm*a": "square meter-year",
    "m3*a": "cubic meter-year",
    "m": "meter",
    "m*a": "meter-year",
    "km": "kilometer",
    "t*km": "ton kilometer",
    "tkm": "ton kilometer",
    "p*km": "person kilometer",
    "pkm": "person kilometer",
    "v*km": "vehicle kilometer",
    "Items*km": "unit kilometer",
    "Item(s)": "unit",
    "Items*a": "unit-year",
    "kg*a": "kilogram-year",
    "kBq": "kilo Becquerel",
    "Bq": "Becquerel",
    "a": "year",
    "d": "day",
    "h": "hour",
    "W": "watt",
    "mol": "mol",
    "EUR": "EUR",
    "m3*km": "cubic meter kilometer",
}

_LANGUAGE_ATTRIBUTE = "{http://www.w3.org/XML/1998/namespace}lang"
_NAME_PARTS = ("baseName", "treatmentStandardsRoutes", "mixAndLocationTypes",
               "functionalUnitFlowProperties")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def brightway_unit(ilcd_unit: str) -> str:
    """The Brightway name of an ILCD unit (``kg`` -> ``kilogram``); unknown names unchanged."""
    name = ilcd_unit.strip()
    return BW_UNIT_BY_ILCD.get(name, name)


@dataclass(frozen=True)
class Issue:
    """A problem found while reading: which file, what, details."""

    path: str
    issue: str
    detail: str = ""


@dataclass(frozen=True)
class UnitGroup:
    """An ILCD unit group: ``factors`` maps unit name -> amount of the reference unit."""

    uuid: str
    name: str
    reference_unit: str
    factors: dict[str, float]


@dataclass(frozen=True)
class FlowProperty:
    """An ILCD flow property (mass, net calorific value, ...) and its unit group."""

    uuid: str
    name: str
    unit_group_uuid: str | None


@dataclass
class Flow:
    """An ILCD flow. ``unit``/``ilcd_unit``/``unit_factor`` are set by `resolve_units`."""

    uuid: str
    type: str
    name: str
    name_zh: str | None = None
    categories: tuple[str, ...] = ()
    cas: str | None = None
    reference_property_uuid: str | None = None
    reference_property_factor: float = 1.0
    ilcd_unit: str | None = None
    unit: str | None = None
    unit_factor: float = 1.0
    """Amounts as written x ``unit_factor`` = amounts in ``unit``."""

    @property
    def is_elementary(self) -> bool:
        """Whether this is an elementary flow (from or to nature)."""
        return self.type == "Elementary flow"


@dataclass
class Exchange:
    """One exchange of a process, amount in the flow's reference unit as published."""

    internal_id: str
    flow_uuid: str
    flow_name: str
    direction: str  # "Input" or "Output"
    amount: float
    mean_amount: float | None = None
    uncertainty: dict[str, float] = field(default_factory=dict)
    comment: str = ""
    is_reference: bool = False


@dataclass
class Process:
    """An ILCD process dataset."""

    uuid: str
    name: str
    name_zh: str | None
    location: str | None
    classification: tuple[str, ...]
    reference_ids: tuple[str, ...]
    exchanges: list[Exchange]
    type_of_dataset: str | None = None
    reference_year: str | None = None
    comment: str = ""
    path: str = ""

    @property
    def reference_exchanges(self) -> list[Exchange]:
        """The exchanges that are the process's quantitative reference, in file order."""
        return [e for e in self.exchanges if e.is_reference]


@dataclass
class IlcdArchive:
    """Everything read from one archive, keyed by UUID, with the problems found."""

    processes: list[Process] = field(default_factory=list)
    flows: dict[str, Flow] = field(default_factory=dict)
    flow_properties: dict[str, FlowProperty] = field(default_factory=dict)
    unit_groups: dict[str, UnitGroup] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True,
        remove_comments=True, remove_pis=True,
    )


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(element: etree._Element | None, name: str) -> Iterator[etree._Element]:
    if element is None:
        return iter(())
    return element.iterchildren("{*}" + name)


def _child(element: etree._Element | None, *path: str) -> etree._Element | None:
    if element is None:
        return None
    return element.find("/".join("{*}" + name for name in path))


def _descendant(element: etree._Element, name: str) -> etree._Element | None:
    return element.find(".//{*}" + name)


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    text = element.text.strip()
    return text or None


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _by_language(elements: Iterator[etree._Element]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for element in elements:
        text = _text(element)
        if text is None:
            continue
        language = (element.get(_LANGUAGE_ATTRIBUTE) or "en").lower()
        texts.setdefault(language, text)
    return texts


def _names(name_element: etree._Element | None) -> tuple[str | None, str | None]:
    """English (else first) and Chinese names from an ILCD ``name`` element's parts."""
    if name_element is None:
        return None, None
    parts = {part: _by_language(_children(name_element, part)) for part in _NAME_PARTS}
    languages = {lang for texts in parts.values() for lang in texts}

    def joined(language: str) -> str | None:
        texts = [parts[p][language] for p in _NAME_PARTS if language in parts[p]]
        return "; ".join(texts) if texts else None

    english = joined("en")
    if english is None and languages:
        english = joined(sorted(languages)[0])
    chinese = next((joined(lang) for lang in sorted(languages) if lang.startswith("zh")), None)
    return english, chinese


def _plain_name(element: etree._Element | None) -> str | None:
    """English (else first) text of a set of ``common:name`` siblings."""
    if element is None:
        return None
    texts = _by_language(e for e in element if _local(e) == "name")
    return texts.get("en") or next(iter(texts.values()), None)


def _classes(element: etree._Element | None, tag: str) -> tuple[str, ...]:
    if element is None:
        return ()
    found = [
        (int(c.get("level") or 0), _text(c) or "") for c in element.iter() if _local(c) == tag
    ]
    return tuple(text for _, text in sorted(found, key=lambda item: item[0]) if text)


def uncertainty_fields(
    distribution: str | None,
    amount: float,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    relative_sd95: float | None = None,
) -> dict[str, float]:
    """stats_arrays fields for an ILCD exchange's uncertainty.

    ILCD's ``relativeStandardDeviation95In`` is, for log-normal, the square of
    the geometric standard deviation (so sigma = ln(value) / 2); for normal, the
    95 % half-width in percent of the mean (so sd = value / 100 x |mean| / 2).
    Uniform and triangular need both bounds around the amount. Anything
    incomplete (TianGong's log-normal rows carry no spread) is undefined.
    """
    kind = (distribution or "").strip().lower().replace("_", "-")
    undefined = {"uncertainty type": UNDEFINED, "loc": amount}
    if kind in ("log-normal", "lognormal") and relative_sd95 and relative_sd95 > 1 and amount:
        return {
            "uncertainty type": LOGNORMAL,
            "loc": math.log(abs(amount)),
            "scale": math.log(relative_sd95) / 2,
            **({"negative": True} if amount < 0 else {}),
        }
    if kind == "normal" and relative_sd95 and relative_sd95 > 0 and amount:
        return {
            "uncertainty type": NORMAL,
            "loc": amount,
            "scale": relative_sd95 / 100 * abs(amount) / 2,
        }
    if (kind in ("uniform", "triangular") and minimum is not None and maximum is not None
            and minimum < maximum and minimum <= amount <= maximum):
        return {
            "uncertainty type": UNIFORM if kind == "uniform" else TRIANGULAR,
            "loc": amount,
            "minimum": minimum,
            "maximum": maximum,
        }
    return undefined


def parse_unit_group(root: etree._Element, path: str = "") -> tuple[UnitGroup | None, list[Issue]]:
    """A unit group from its XML root (``None`` with an issue if unusable)."""
    info = _child(root, "unitGroupInformation", "dataSetInformation")
    uuid = _text(_child(info, "UUID"))
    reference_id = _text(_child(root, "unitGroupInformation", "quantitativeReference",
                                "referenceToReferenceUnit"))
    factors: dict[str, float] = {}
    reference_unit = None
    for unit in _children(_child(root, "units"), "unit"):
        name = _text(_child(unit, "name"))
        factor = _float(_text(_child(unit, "meanValue")))
        if name is None or factor is None:
            continue
        factors[name] = factor
        if unit.get("dataSetInternalID") == reference_id:
            reference_unit = name
    if uuid is None or reference_unit is None:
        return None, [Issue(path, "unit group without UUID or reference unit")]
    return UnitGroup(uuid=uuid, name=_plain_name(info) or "", reference_unit=reference_unit,
                     factors=factors), []


def parse_flow_property(
    root: etree._Element, path: str = ""
) -> tuple[FlowProperty | None, list[Issue]]:
    """A flow property from its XML root."""
    info = _child(root, "flowPropertiesInformation", "dataSetInformation")
    uuid = _text(_child(info, "UUID"))
    group = _child(root, "flowPropertiesInformation", "quantitativeReference",
                   "referenceToReferenceUnitGroup")
    if uuid is None:
        return None, [Issue(path, "flow property without UUID")]
    return FlowProperty(
        uuid=uuid,
        name=_plain_name(info) or "",
        unit_group_uuid=group.get("refObjectId") if group is not None else None,
    ), []


def parse_flow(root: etree._Element, path: str = "") -> tuple[Flow | None, list[Issue]]:
    """A flow from its XML root; unit fields stay empty until `resolve_units`."""
    info = _child(root, "flowInformation", "dataSetInformation")
    uuid = _text(_child(info, "UUID"))
    if uuid is None:
        return None, [Issue(path, "flow without UUID")]
    name, name_zh = _names(_child(info, "name"))
    classification = _child(info, "classificationInformation")
    categories = _classes(classification, "category") or _classes(classification, "class")
    reference_id = _text(_child(root, "flowInformation", "quantitativeReference",
                                "referenceToReferenceFlowProperty"))
    property_uuid, property_factor = None, 1.0
    for prop in _children(_child(root, "flowProperties"), "flowProperty"):
        if prop.get("dataSetInternalID") == reference_id:
            ref = _child(prop, "referenceToFlowPropertyDataSet")
            property_uuid = ref.get("refObjectId") if ref is not None else None
            property_factor = _float(_text(_child(prop, "meanValue"))) or 1.0
    issues = []
    if property_uuid is None:
        issues.append(Issue(path, "flow without reference flow property", uuid))
    cas = _text(_child(info, "CASNumber"))
    return Flow(
        uuid=uuid,
        type=_text(_descendant(root, "typeOfDataSet")) or "",
        name=name or uuid,
        name_zh=name_zh,
        categories=categories,
        cas=cas,
        reference_property_uuid=property_uuid,
        reference_property_factor=property_factor,
    ), issues


def _exchange(
    element: etree._Element, reference_ids: tuple[str, ...], where: str
) -> tuple[Exchange | None, tuple[str, str] | None]:
    """One exchange; each child is looked at once (this is the hot loop)."""
    fields: dict[str, etree._Element] = {}
    comments: list[etree._Element] = []
    for child in element:
        name = _local(child)
        if name == "generalComment":
            comments.append(child)
        else:
            fields.setdefault(name, child)
    internal_id = element.get("dataSetInternalID") or ""
    flow_ref = fields.get("referenceToFlowDataSet")
    flow_uuid = (flow_ref.get("refObjectId") or "").strip() if flow_ref is not None else ""
    flow_name = ""
    if flow_ref is not None:
        flow_name = _by_language(_children(flow_ref, "shortDescription")).get("en", "")
    mean = _float(_text(fields.get("meanAmount")))
    resulting = _float(_text(fields.get("resultingAmount")))
    amount = resulting if resulting is not None else mean
    direction = _text(fields.get("exchangeDirection")) or ""
    if not flow_uuid or amount is None or direction not in ("Input", "Output"):
        return None, ("exchange skipped: no flow, amount or direction",
                      f"{where} exchange {internal_id} ({flow_name or flow_uuid})")
    issue = None
    if not _UUID.match(flow_uuid):
        issue = ("flow reference is not a UUID", f"{where} exchange {internal_id}: {flow_uuid!r}")
    return Exchange(
        internal_id=internal_id,
        flow_uuid=flow_uuid,
        flow_name=flow_name or flow_uuid,
        direction=direction,
        amount=amount,
        mean_amount=mean,
        uncertainty=uncertainty_fields(
            _text(fields.get("uncertaintyDistributionType")),
            amount,
            minimum=_float(_text(fields.get("minimumAmount"))),
            maximum=_float(_text(fields.get("maximumAmount"))),
            relative_sd95=_float(_text(fields.get("relativeStandardDeviation95In"))),
        ),
        comment=_by_language(iter(comments)).get("en", ""),
        is_reference=internal_id in reference_ids,
    ), issue


def parse_process(root: etree._Element, path: str = "") -> tuple[Process | None, list[Issue]]:
    """A process from its XML root; exchanges without a usable amount are skipped (issue)."""
    info = _child(root, "processInformation", "dataSetInformation")
    uuid = _text(_child(info, "UUID"))
    if uuid is None:
        return None, [Issue(path, "process without UUID")]
    issues: list[Issue] = []
    name, name_zh = _names(_child(info, "name"))
    reference_ids = tuple(
        text
        for element in _children(
            _child(root, "processInformation", "quantitativeReference"),
            "referenceToReferenceFlow",
        )
        if (text := _text(element)) is not None
    )
    location = _child(root, "processInformation", "geography",
                      "locationOfOperationSupplyOrProduction")
    exchanges: list[Exchange] = []
    for element in _children(_child(root, "exchanges"), "exchange"):
        exchange, issue = _exchange(element, reference_ids, f"process {uuid}")
        if issue is not None:
            issues.append(Issue(path, *issue))
        if exchange is not None:
            exchanges.append(exchange)
    found = {e.internal_id for e in exchanges}
    for missing in sorted(set(reference_ids) - found):
        issues.append(Issue(path, "reference flow not among the exchanges",
                            f"process {uuid} exchange {missing}"))
    return Process(
        uuid=uuid,
        name=name or uuid,
        name_zh=name_zh,
        location=location.get("location") if location is not None else None,
        classification=_classes(_child(info, "classificationInformation"), "class"),
        reference_ids=reference_ids,
        exchanges=exchanges,
        type_of_dataset=_text(_descendant(root, "typeOfDataSet")),
        reference_year=_text(_child(root, "processInformation", "time", "referenceYear")),
        comment=_by_language(_children(info, "generalComment")).get("en", ""),
        path=path,
    ), issues


_PARSERS = {
    "unitgroups": parse_unit_group,
    "flowproperties": parse_flow_property,
    "flows": parse_flow,
    "processes": parse_process,
}


def _folder(member: str) -> str | None:
    parts = PurePosixPath(member).parts
    if len(parts) < 2 or not member.lower().endswith(".xml"):
        return None
    folder = parts[-2].lower()
    return folder if folder in _PARSERS else None


def resolve_units(archive: IlcdArchive) -> None:
    """Set each flow's reference unit through flow property -> unit group (issues if not)."""
    for flow in archive.flows.values():
        prop = archive.flow_properties.get(flow.reference_property_uuid or "")
        group = archive.unit_groups.get(prop.unit_group_uuid or "") if prop else None
        if group is None:
            archive.issues.append(Issue(
                f"flows/{flow.uuid}.xml", "flow unit unknown: flow property or unit group missing",
                f"{flow.name} (property {flow.reference_property_uuid})",
            ))
            continue
        reference = group.reference_unit
        factor = group.factors.get(reference, 1.0)
        if factor != 1.0:
            # The declared reference unit is not the group's unit of factor 1: amounts
            # are in the declared unit, which is `factor` units of factor 1.
            unity = next((u for u, f in group.factors.items() if f == 1.0), None)
            archive.issues.append(Issue(
                f"unitgroups/{group.uuid}.xml", "reference unit has a factor other than 1",
                f"{group.name}: {reference} = {factor} (flow {flow.name})",
            ))
            if unity is not None:
                flow.ilcd_unit, flow.unit = reference, brightway_unit(unity)
                flow.unit_factor = factor
                continue
            factor = 1.0
        flow.ilcd_unit = reference
        flow.unit = brightway_unit(reference)
        flow.unit_factor = 1.0


def read_ilcd_zip(path: str | Path) -> IlcdArchive:
    """Read every unit group, flow property, flow and process of a zipped ILCD package.

    Members are found by folder name (``.../processes/*.xml`` and so on) at any
    depth; other folders (sources, contacts, LCIA methods) are ignored.
    """
    archive = IlcdArchive()
    parser = _parser()
    try:
        handle = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise ParseError(f"cannot open ILCD archive {path}: {error}") from error
    with handle:
        order = list(_PARSERS)
        members = sorted(
            (order.index(folder), info.filename, folder, info)
            for info in handle.infolist()
            if (folder := _folder(info.filename))
        )
        for _, _, folder, info in members:
            try:
                with handle.open(info) as stream:
                    root = etree.parse(stream, parser).getroot()
            except (etree.XMLSyntaxError, OSError, zipfile.BadZipFile, ValueError) as error:
                archive.issues.append(Issue(info.filename, "unreadable XML", str(error)[:200]))
                continue
            item, issues = _PARSERS[folder](root, info.filename)
            archive.issues.extend(issues)
            if item is None:
                continue
            if isinstance(item, Process):
                archive.processes.append(item)
            elif isinstance(item, Flow):
                archive.flows[item.uuid] = item
            elif isinstance(item, FlowProperty):
                archive.flow_properties[item.uuid] = item
            else:
                archive.unit_groups[item.uuid] = item
    if not archive.processes:
        raise ParseError(f"no ILCD process dataset in {path}")
    resolve_units(archive)
    return archive
