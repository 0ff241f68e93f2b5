"""Parse EcoSpold 1 XML into bw2io's list-of-dataset-dicts layout.

bw2io's stock ``Ecospold1DataExtractor`` goes through pyecospold, whose schema
validation rejects real-world files (e.g. US LCI: a ``firstAuthor`` longer than
40 characters, empty dates). This module reads the XML with lxml directly and
returns the same shape of data, so bw2io's strategies and linking apply as is:

- one dict per ``<dataset>``: ``name``, ``location``, ``unit``,
  ``reference product``, ``categories``, ``comment``, ``code``, ``type``,
  ``exchanges``, ``references``;
- exchanges with ``type`` ``production`` (output groups 0 and 2),
  ``technosphere`` (input groups 1, 2, 3, 5; output group 3, waste to
  treatment, see below), ``substitution`` (output group 1) or ``biosphere``
  (input and output group 4), ``amount`` and stats_arrays uncertainty fields.

Departures from bw2io, both deliberate: output group 3 ("waste to treatment")
becomes a ``technosphere`` exchange (a treatment service the activity needs;
bw2io makes it a second production exchange), and each exchange keeps its
EcoSpold group in ``ecospold_group`` (e.g. ``("output", 2)``) so later steps can
tell a reference product from a by-product.

The parser never resolves entities or touches the network. Missing or empty
fields give ``None``/defaults instead of errors; an exchange without a numeric
amount is skipped and listed in the dataset's ``parse_warnings``.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from connectors.errors import ParseError

__all__ = ["parse_ecospold1", "parse_ecospold1_zip", "uncertainty_fields"]

NS = "{http://www.EcoInvent.org/EcoSpold01}"

# stats_arrays ids (kept literal so the parser needs no stats_arrays import)
UNDEFINED, NO_UNCERTAINTY, LOGNORMAL, NORMAL, UNIFORM, TRIANGULAR = 0, 1, 2, 3, 4, 5

_KIND_BY_GROUP: dict[tuple[str, int], str] = {
    ("output", 0): "production",
    ("output", 1): "substitution",
    ("output", 2): "production",
    ("output", 3): "technosphere",
    ("output", 4): "biosphere",
    ("input", 1): "technosphere",
    ("input", 2): "technosphere",
    ("input", 3): "technosphere",
    ("input", 4): "biosphere",
    ("input", 5): "technosphere",
}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
        remove_blank_text=True,
    )


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _text(element: etree._Element | None, attribute: str) -> str | None:
    if element is None:
        return None
    value = element.get(attribute)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _child(element: etree._Element | None, tag: str) -> etree._Element | None:
    if element is None:
        return None
    return element.find(NS + tag)


def _child_text(element: etree._Element | None, tag: str) -> str | None:
    child = _child(element, tag)
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def uncertainty_fields(
    *,
    mean: float,
    uncertainty_type: int | None,
    sd95: float | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    most_likely: float | None = None,
) -> dict[str, Any]:
    """Translate EcoSpold 1 uncertainty attributes into stats_arrays fields.

    Mirrors bw2io's ``Ecospold1DataExtractor.process_uncertainty_fields``:
    EcoSpold 1 type 1 is lognormal with ``standardDeviation95`` the squared
    geometric standard deviation (so ``scale = ln(sqrt(sd95))``), type 2 normal
    (``scale = sd95 / 2``), type 3 triangular (amount = most likely value),
    type 4 uniform. Degenerate inputs (sd95 of 0 or 1, zero mean, missing
    bounds) fall back to undefined uncertainty with ``loc = amount``.
    """
    undefined = {"uncertainty type": UNDEFINED, "amount": mean, "loc": mean}
    if uncertainty_type == 1:
        if sd95 is None or sd95 <= 1 or mean == 0:
            return undefined
        return {
            "uncertainty type": LOGNORMAL,
            "amount": mean,
            "loc": math.log(abs(mean)),
            "scale": math.log(math.sqrt(sd95)),
            "negative": mean < 0,
        }
    if uncertainty_type == 2:
        if sd95 is None or sd95 <= 0:
            return undefined
        return {"uncertainty type": NORMAL, "amount": mean, "loc": mean, "scale": sd95 / 2}
    if uncertainty_type == 3:
        if minimum is None or maximum is None or not minimum <= maximum:
            return undefined
        mode = most_likely if most_likely is not None else mean
        if not minimum <= mode <= maximum or minimum == maximum:
            return undefined
        return {
            "uncertainty type": TRIANGULAR,
            "amount": mode,
            "loc": mode,
            "minimum": minimum,
            "maximum": maximum,
        }
    if uncertainty_type == 4:
        if minimum is None or maximum is None or not minimum < maximum:
            return undefined
        return {"uncertainty type": UNIFORM, "amount": mean, "minimum": minimum, "maximum": maximum}
    return undefined


def _group(exchange: etree._Element) -> tuple[str, int] | None:
    for direction in ("output", "input"):
        value = _child_text(exchange, direction + "Group")
        if value is not None:
            try:
                return direction, int(value)
            except ValueError:
                return None
    return None


def _exchange(element: etree._Element) -> dict[str, Any] | str:
    """One exchange dict, or a warning string if it cannot be read."""
    name = _text(element, "name")
    group = _group(element)
    mean = _float(element.get("meanValue"))
    if name is None:
        return f"exchange {element.get('number')}: no name"
    if group is None or group not in _KIND_BY_GROUP:
        return f"exchange {name!r}: unknown group"
    if mean is None:
        return f"exchange {name!r}: no numeric meanValue"
    uncertainty_type = _float(element.get("uncertaintyType"))
    data: dict[str, Any] = {
        "name": name,
        "categories": tuple(
            c for c in (_text(element, "category"), _text(element, "subCategory")) if c
        ),
        "location": _text(element, "location"),
        "unit": _text(element, "unit") or "",
        "type": _KIND_BY_GROUP[group],
        "ecospold_group": group,
        "code": _text(element, "number"),
    }
    for attribute, key in (
        ("generalComment", "comment"),
        ("CASNumber", "CAS number"),
        ("formula", "chemical formula"),
    ):
        value = _text(element, attribute)
        if value is not None:
            data[key] = value
    data.update(
        uncertainty_fields(
            mean=mean,
            uncertainty_type=int(uncertainty_type) if uncertainty_type is not None else None,
            sd95=_float(element.get("standardDeviation95")),
            minimum=_float(element.get("minValue")),
            maximum=_float(element.get("maxValue")),
            most_likely=_float(element.get("mostLikelyValue")),
        )
    )
    return data


def _comment(process: etree._Element | None, reference: etree._Element | None) -> str:
    parts = [
        _text(reference, "generalComment"),
        _text(reference, "includedProcesses"),
    ]
    for tag, label in (("geography", "Location"), ("technology", "Technology")):
        value = _text(_child(process, tag), "text")
        if value:
            parts.append(f"{label}: {value}")
    period = _child(process, "timePeriod")
    start, end = _child_text(period, "startDate"), _child_text(period, "endDate")
    if start or end:
        parts.append(f"Time period: {start or '?'} - {end or '?'}")
    return "\n".join(p for p in parts if p)


def _dataset(element: etree._Element, database_name: str) -> dict[str, Any]:
    meta = _child(element, "metaInformation")
    process = _child(meta, "processInformation")
    reference = _child(process, "referenceFunction")
    modelling = _child(meta, "modellingAndValidation")
    exchanges: list[dict[str, Any]] = []
    warnings: list[str] = []
    flow_data = _child(element, "flowData")
    if flow_data is not None:
        for exchange_element in flow_data.iterfind(NS + "exchange"):
            result = _exchange(exchange_element)
            if isinstance(result, str):
                warnings.append(result)
            else:
                exchanges.append(result)
        if flow_data.find(NS + "allocation") is not None:
            warnings.append("allocation elements present but not read")
    name = _text(reference, "name") or _text(reference, "localName")
    products = [e for e in exchanges if e["ecospold_group"] == ("output", 0)]
    if name is None and products:
        name = products[0]["name"]
    unit = _text(reference, "unit") or (products[0]["unit"] if products else "")
    data: dict[str, Any] = {
        "name": name or f"unnamed dataset {element.get('number')}",
        "reference product": products[0]["name"] if products else name,
        "location": _text(_child(process, "geography"), "location") or "GLO",
        "unit": unit,
        "categories": tuple(
            c for c in (_text(reference, "category"), _text(reference, "subCategory")) if c
        ),
        "comment": _comment(process, reference),
        "code": element.get("number"),
        "database": database_name,
        "type": "process",
        "exchanges": exchanges,
        "references": [
            {
                "identifier": source.get("number"),
                "authors": [a for a in (_text(source, "firstAuthor"),) if a],
                "year": _text(source, "year"),
                "title": _text(source, "title"),
            }
            for source in (modelling.iterfind(NS + "source") if modelling is not None else [])
        ],
    }
    if warnings:
        data["parse_warnings"] = warnings
    return data


def _iter_datasets(root: etree._Element) -> Iterator[etree._Element]:
    if root.tag == NS + "dataset":
        yield root
        return
    yield from root.iterfind(NS + "dataset")


def parse_ecospold1(source: bytes | str | Path, *, database_name: str) -> list[dict[str, Any]]:
    """Parse one EcoSpold 1 XML document (bytes or a file path) into dataset dicts.

    Raises ``ParseError`` if the document is not well-formed XML or holds no
    EcoSpold 1 dataset.
    """
    label = str(source) if isinstance(source, str | Path) else "<bytes>"
    try:
        if isinstance(source, bytes):
            root = etree.fromstring(source, _parser())
        else:
            root = etree.parse(str(source), _parser()).getroot()
    except (etree.XMLSyntaxError, OSError) as error:
        raise ParseError(f"{label}: {error}") from error
    datasets = [_dataset(d, database_name) for d in _iter_datasets(root)]
    if not datasets:
        raise ParseError(f"{label}: no EcoSpold 1 <dataset> found")
    return datasets


def parse_ecospold1_zip(zip_path: str | Path, *, database_name: str) -> list[dict[str, Any]]:
    """Parse every EcoSpold 1 XML file inside a zip archive (``categories.xml`` skipped)."""
    datasets: list[dict[str, Any]] = []
    try:
        with zipfile.ZipFile(zip_path) as archive:
            names = sorted(
                n
                for n in archive.namelist()
                if n.lower().endswith(".xml") and Path(n).name.lower() != "categories.xml"
            )
            for name in names:
                content = archive.read(name)
                if b"EcoSpold01" not in content[:4096]:
                    continue
                for dataset in parse_ecospold1(content, database_name=database_name):
                    dataset["filename"] = Path(name).name
                    datasets.append(dataset)
    except (zipfile.BadZipFile, OSError) as error:
        raise ParseError(f"{zip_path}: {error}") from error
    if not datasets:
        raise ParseError(f"{zip_path}: no EcoSpold 1 datasets in archive")
    return datasets
