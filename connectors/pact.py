"""PACT Pathfinder v2 (Tech Specs 2.3): ProductFootprints out of Tanji results, and back in.

Pure: no I/O, no service. Three jobs:

- :func:`build_product_footprint` turns a stored footprint result (``service/footprints/
  serialize.py``), the product and the publisher's declarations into a ProductFootprint
  (specVersion 2.3.0; decimals as JSON strings). Numbers come only from the result; what the
  result cannot supply is declared by the publisher (:class:`Declarations`) or left out where
  the spec allows it, and the ``comment`` says so (docs/pact.md lists each choice).
- :func:`validate_product_footprint` checks a document against the spec's rules (required
  properties, decimals, enums, URNs, ranges, the geography rule); tests also hold every
  built document against the spec's own JSON schema.
- :func:`parse_product_footprint` reads a partner's footprint into Tanji's declared-footprint
  form (values per declared unit by indicator id, as ``service/primary`` stores them).
- :func:`parse_filter` reads the ``$filter`` subset the spec lists into a small tree.

SchemaError (a ConnectorError) carries the list of problems.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from connectors.errors import ConnectorError

__all__ = [
    "SPEC_VERSION",
    "Company",
    "Comparison",
    "Declarations",
    "Filter",
    "MembershipTest",
    "Product",
    "SchemaError",
    "build_product_footprint",
    "decimal_string",
    "deprecate",
    "iso_time",
    "parse_filter",
    "parse_product_footprint",
    "validate_product_footprint",
]

SPEC_VERSION = "2.3.0"

GHG_TOTAL = "gwp100_kg_co2e"
GHG_FOSSIL = "gwp100_fossil_kg_co2e"
GHG_BIOGENIC = "gwp100_biogenic_kg_co2e"
GHG_LUC = "gwp100_luc_kg_co2e"
GHG_INCLUDING_BIOGENIC_CO2 = "gwp100_incl_biogenic_co2_kg_co2e"
"""Not computed today; used for pCfIncludingBiogenic when a result carries it."""

CO2_PER_C = 44.0095 / 12.0107
"""kg CO2 per kg C (molar masses), to express biogenic carbon content as a withdrawal."""

DECLARED_UNITS = {
    # our unit (as products and pint name it) -> PACT declaredUnit
    "kg": "kilogram", "kilogram": "kilogram",
    "l": "liter", "liter": "liter", "litre": "liter",
    "m3": "cubic meter", "m**3": "cubic meter", "cubic_meter": "cubic meter",
    "kwh": "kilowatt hour", "kilowatt_hour": "kilowatt hour",
    "mj": "megajoule", "megajoule": "megajoule",
    "t*km": "ton kilometer", "tkm": "ton kilometer", "ton_kilometer": "ton kilometer",
    "m2": "square meter", "m**2": "square meter", "square_meter": "square meter",
}
PACT_UNIT_TO_OURS = {"kilogram": "kg", "liter": "l", "cubic meter": "m**3",
                     "kilowatt hour": "kWh", "megajoule": "MJ", "ton kilometer": "t*km",
                     "square meter": "m**2"}
MASS_NOT_RELEVANT = {"kilowatt hour", "megajoule", "ton kilometer"}

REGIONS = (
    "Africa", "Americas", "Asia", "Europe", "Oceania", "Australia and New Zealand",
    "Central Asia", "Eastern Asia", "Eastern Europe", "Latin America and the Caribbean",
    "Melanesia", "Micronesia", "Northern Africa", "Northern America", "Northern Europe",
    "Polynesia", "South-eastern Asia", "Southern Asia", "Southern Europe",
    "Sub-Saharan Africa", "Western Asia", "Western Europe",
)
CROSS_SECTORAL_USED = ("GHG Protocol Product standard", "ISO Standard 14067",
                       "ISO Standard 14044")
CROSS_SECTORAL = ("ISO14067", "ISO14083", "ISO14040-44", "GHGP-Product", "PEF", "PACT-1.0",
                  "PACT-2.0", "PACT-3.0")
DEFAULT_CPC = "n/a"
"""productCategoryCpc when the publisher names none (see docs/pact.md: no CPC is guessed)."""

AIR_TRANSPORT = re.compile(r"\b(air ?freight|aircraft|airplane|by air|air cargo|"
                           r"transport, (freight, )?air)\b", re.IGNORECASE)

_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
_URN = re.compile(r"^[uU][rR][nN]:")
_SPEC_VERSION = re.compile(r"^\d+\.\d+\.\d+(-\d{8})?$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_SUBDIVISION = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")


class SchemaError(ConnectorError):
    """A PACT document (or filter) does not follow the spec; ``issues`` lists each problem."""

    def __init__(self, message: str, issues: Sequence[str] = ()) -> None:
        super().__init__(message if not issues else f"{message}: {'; '.join(issues)}")
        self.message = message
        self.issues = list(issues)


@dataclass(frozen=True)
class Product:
    """The product as Tanji knows it."""

    product_id: UUID
    part_number: str
    name: str
    unit: str
    description: str | None = None


@dataclass(frozen=True)
class Company:
    """The data owner: a Tanji tenant."""

    tenant_id: UUID
    name: str


@dataclass(frozen=True)
class Declarations:
    """What the publisher states that a calculation cannot know. Every field is optional.

    Masses and carbon contents are per *product unit* (the unit the result is per).
    """

    reference_period_start: datetime | None = None
    reference_period_end: datetime | None = None
    product_mass_kg: float | None = None
    product_category_cpc: str | None = None
    product_description: str | None = None
    geography_country: str | None = None
    geography_subdivision: str | None = None
    geography_region: str | None = None
    fossil_carbon_content_kg: float | None = None
    biogenic_carbon_content_kg: float | None = None
    packaging_emissions_included: bool = False
    exempted_emissions_percent: float | None = None
    exempted_emissions_description: str | None = None
    cross_sectoral_standards: tuple[str, ...] = ("ISO14040-44",)
    cross_sectoral_standards_used: tuple[str, ...] = ("ISO Standard 14044",)
    dqi: Mapping[str, float] | None = None
    comment: str | None = None
    extra_product_ids: tuple[str, ...] = ()


def decimal_string(value: float) -> str:
    """A PACT decimal: plain digits, no exponent, no ``-0``."""
    if value is None or not math.isfinite(value):
        raise SchemaError("a PACT decimal must be a finite number", [repr(value)])
    text = format(Decimal(repr(float(value))).normalize(), "f")
    return "0" if text in ("-0", "0") or Decimal(text) == 0 else text


def _clean(value: float | None, total: float) -> float | None:
    """Round float noise near zero (relative to the total) to exactly zero."""
    if value is None:
        return None
    return 0.0 if abs(value) <= 1e-12 * max(1.0, abs(total)) else value


def _ghg(result: Mapping[str, Any], key: str, indicator: str) -> float | None:
    ghg = result.get("ghg") or {}
    value = ghg.get(key)
    if value is None:
        value = (result.get("totals") or {}).get(indicator)
    return value


def _declared_unit(product: Product, declarations: Declarations) -> tuple[str, float, str | None]:
    """(declaredUnit, declared units per product unit, productMassPerDeclaredUnit)."""
    unit = DECLARED_UNITS.get(product.unit.strip().lower())
    if unit is not None:
        mass = "1" if unit == "kilogram" else "0" if unit in MASS_NOT_RELEVANT else None
        return unit, 1.0, mass
    if declarations.product_mass_kg is None or declarations.product_mass_kg <= 0:
        raise SchemaError(
            f"the product is counted in {product.unit!r}, which PACT v2 has no declared unit "
            "for: give product_mass_kg (the mass of one unit) to declare it per kilogram")
    return "kilogram", float(declarations.product_mass_kg), "1"


def _air_transport_kg_co2e(result: Mapping[str, Any]) -> float:
    """GWP100 of BOM lines linked to air-transport datasets (the product's own air legs)."""
    total = 0.0
    for line in result.get("lines") or []:
        link = line.get("link") or {}
        values = line.get("values") or {}
        if AIR_TRANSPORT.search(link.get("name") or "") and values.get(GHG_TOTAL):
            total += values[GHG_TOTAL]
    return total


def iso_time(moment: datetime) -> str:
    """UTC, fixed millisecond precision, ``Z``: string order equals time order."""
    if moment.tzinfo is None:
        raise SchemaError("PACT times must carry a time zone", [str(moment)])
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _reference_period(result_created: datetime,
                      declarations: Declarations) -> tuple[datetime, datetime, bool]:
    start, end = declarations.reference_period_start, declarations.reference_period_end
    if start is None and end is None:
        year = result_created.astimezone(UTC).year
        return (datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC), True)
    if start is None or end is None:
        raise SchemaError("give both reference_period_start and reference_period_end, or neither")
    if end <= start:
        raise SchemaError("reference_period_end must be after reference_period_start")
    return start, end, False


def build_product_footprint(
    result: Mapping[str, Any],
    *,
    pf_id: UUID,
    created: datetime,
    result_created: datetime,
    product: Product,
    company: Company,
    secondary_sources: Sequence[Mapping[str, str]],
    declarations: Declarations = Declarations(),
    preceding_pf_ids: Sequence[UUID] = (),
    version: int = 1,
) -> dict[str, Any]:
    """A ProductFootprint (PACT 2.3) for one stored footprint result.

    ``result`` is the stored result JSON (per one product unit). Raises :class:`SchemaError`
    when the result cannot make a valid footprint (no totals, negative GHG parts, a product
    unit PACT cannot declare without a mass).
    """
    if result.get("status") not in ("complete", "partial") or not result.get("totals"):
        raise SchemaError("the result has no totals to publish (no snapshot was available)")
    total = _ghg(result, "total", GHG_TOTAL)
    fossil = _ghg(result, "fossil", GHG_FOSSIL)
    biogenic = _ghg(result, "biogenic", GHG_BIOGENIC)
    luc = _ghg(result, "luc", GHG_LUC)
    if total is None or fossil is None:
        raise SchemaError("the result lacks the GWP100 total or its fossil part")
    unit, per_product_unit, mass_per_unit = _declared_unit(product, declarations)

    def per_unit(value: float | None) -> float | None:
        return None if value is None else _clean(value, total) / per_product_unit

    notes: list[str] = []
    issues: list[str] = []
    values = {"pCfExcludingBiogenic": per_unit(total), "fossilGhgEmissions": per_unit(fossil),
              "dLucGhgEmissions": per_unit(luc), "otherBiogenicGhgEmissions": per_unit(biogenic),
              "aircraftGhgEmissions": per_unit(_air_transport_kg_co2e(result))}
    for name, value in values.items():
        if value is not None and value < 0:
            issues.append(f"{name} would be negative ({value}); PACT requires >= 0")
    if issues:
        raise SchemaError("the result cannot be expressed as a PACT footprint", issues)

    unlinked = result.get("unlinked") or []
    missing = result.get("missing_declared") or {}
    if (unlinked or missing) and declarations.exempted_emissions_percent is None:
        raise SchemaError(
            "the result is partial (unlinked lines or declared footprints missing values): "
            "link every line, or declare exempted_emissions_percent and its description")
    start, end, period_defaulted = _reference_period(result_created, declarations)

    pcf: dict[str, Any] = {
        "declaredUnit": unit,
        "unitaryProductAmount": decimal_string(per_product_unit),
    }
    if mass_per_unit is not None:
        pcf["productMassPerDeclaredUnit"] = mass_per_unit
    pcf["pCfExcludingBiogenic"] = decimal_string(values["pCfExcludingBiogenic"])
    including = (result.get("totals") or {}).get(GHG_INCLUDING_BIOGENIC_CO2)
    if including is not None:
        pcf["pCfIncludingBiogenic"] = decimal_string(per_unit(including))
    else:
        notes.append("pCfIncludingBiogenic is not reported: the IPCC 2021 GWP100 method used "
                     "characterises biogenic CO2 uptake and release with 0, so the calculation "
                     "holds no biogenic CO2 balance")
    pcf["fossilGhgEmissions"] = decimal_string(values["fossilGhgEmissions"])

    fossil_c = declarations.fossil_carbon_content_kg
    biogenic_c = declarations.biogenic_carbon_content_kg
    pcf["fossilCarbonContent"] = decimal_string((fossil_c or 0.0) / per_product_unit)
    pcf["biogenicCarbonContent"] = decimal_string((biogenic_c or 0.0) / per_product_unit)
    if fossil_c is None or biogenic_c is None:
        notes.append("carbon contents not declared by the publisher are given as 0: a "
                     "footprint calculation does not yield the carbon held in the product")
    if values["dLucGhgEmissions"] is not None:
        pcf["dLucGhgEmissions"] = decimal_string(values["dLucGhgEmissions"])
    if values["otherBiogenicGhgEmissions"] is not None:
        pcf["otherBiogenicGhgEmissions"] = decimal_string(values["otherBiogenicGhgEmissions"])
    notes.append("dLucGhgEmissions is the IPCC 2021 'climate change: land use' part of the "
                 "background data (statistical LUC); landManagementGhgEmissions and "
                 "iLucGhgEmissions are not reported separately (land-management emissions are "
                 "inside the fossil and biogenic parts; iLUC is not modelled)")
    if biogenic_c is not None:
        pcf["biogenicCarbonWithdrawal"] = decimal_string(
            -biogenic_c * CO2_PER_C / per_product_unit)
    pcf["aircraftGhgEmissions"] = decimal_string(values["aircraftGhgEmissions"])
    pcf["characterizationFactors"] = "AR6"
    pcf["ipccCharacterizationFactorsSources"] = ["AR6"]
    pcf["crossSectoralStandardsUsed"] = list(declarations.cross_sectoral_standards_used)
    pcf["crossSectoralStandards"] = list(declarations.cross_sectoral_standards)
    stages = sorted((result.get("by_stage") or {}).keys())
    pcf["boundaryProcessesDescription"] = (
        "Cradle-to-gate: the bill of materials exploded to background datasets and supplier "
        "data, per one product unit"
        + (f"; life-cycle stages: {', '.join(stages)}" if stages else "") + ".")
    pcf["referencePeriodStart"] = iso_time(start)
    pcf["referencePeriodEnd"] = iso_time(end)
    if period_defaulted:
        notes.append("reference period: the calendar year of the calculation (not declared)")
    geography = _geography(declarations)
    pcf.update(geography)
    if not geography:
        notes.append("no geography declared: the footprint is given as global")
    if secondary_sources:
        pcf["secondaryEmissionFactorSources"] = [dict(s) for s in secondary_sources]
    if declarations.exempted_emissions_percent is not None:
        pcf["exemptedEmissionsPercent"] = float(declarations.exempted_emissions_percent)
        pcf["exemptedEmissionsDescription"] = declarations.exempted_emissions_description or ""
    else:
        pcf["exemptedEmissionsPercent"] = 0
        pcf["exemptedEmissionsDescription"] = ""
    cutoff = (result.get("cutoff_share") or {}).get(GHG_TOTAL)
    if cutoff:
        notes.append(f"{100 * cutoff:.2f}% of the total comes from background datasets whose "
                     "own inputs were cut off at import (recorded in the import report)")
    pcf["packagingEmissionsIncluded"] = bool(declarations.packaging_emissions_included)
    pcf["allocationRulesDescription"] = ("Allocation as in the background datasets; the "
                                         "foreground (bill of materials) is not allocated.")
    share = (result.get("primary_data_share") or {}).get(GHG_TOTAL)
    pcf["primaryDataShare"] = round(min(max(100 * (share or 0.0), 0.0), 100.0), 6)
    if share is None:
        notes.append("primaryDataShare is 0: the result has no primary-data share for GWP100")
    if declarations.dqi is not None:
        pcf["dqi"] = dict(declarations.dqi)
    else:
        pcf["dqi"] = {"coveragePercent": 0, "technologicalDQR": 3, "temporalDQR": 3,
                      "geographicalDQR": 3, "completenessDQR": 3, "reliabilityDQR": 3}
        notes.append("no data-quality assessment was made: dqi coveragePercent is 0 and every "
                     "DQR is 3, the lowest rating")

    product_ids = [f"urn:pact:tanji:product:{_urn_part(product.part_number)}",
                   *declarations.extra_product_ids]
    comment = " ".join(filter(None, [
        declarations.comment,
        f"Calculated by Tanji on background snapshot {result.get('snapshot_hash')}.",
        "; ".join(notes) + "." if notes else None]))
    document: dict[str, Any] = {
        "id": str(pf_id),
        "specVersion": SPEC_VERSION,
    }
    if preceding_pf_ids:
        document["precedingPfIds"] = [str(i) for i in preceding_pf_ids]
    document.update({
        "version": version,
        "created": iso_time(created),
        "status": "Active",
        "companyName": company.name,
        "companyIds": [f"urn:tanji:company:{company.tenant_id}"],
        "productDescription": declarations.product_description or product.description
        or product.name,
        "productIds": list(dict.fromkeys(product_ids)),
        "productCategoryCpc": declarations.product_category_cpc or DEFAULT_CPC,
        "productNameCompany": product.name,
        "comment": comment,
        "pcf": pcf,
    })
    validate_product_footprint(document)
    return document


def deprecate(document: Mapping[str, Any], *, updated: datetime,
              superseded_by: UUID) -> dict[str, Any]:
    """The next version of ``document``: status Deprecated, ``updated`` set."""
    successor = dict(document)
    successor["version"] = int(document["version"]) + 1
    successor["status"] = "Deprecated"
    successor["statusComment"] = f"Superseded by ProductFootprint {superseded_by}."
    successor["updated"] = iso_time(updated)
    validate_product_footprint(successor)
    return successor


def _urn_part(text: str) -> str:
    """RFC 8141 NSS characters kept, others percent-encoded."""
    return re.sub(r"[^A-Za-z0-9()+,\-.:=@;$_!*'/]",
                  lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), text)


def _geography(declarations: Declarations) -> dict[str, str]:
    given = {k: v for k, v in (("geographyCountry", declarations.geography_country),
                               ("geographyCountrySubdivision", declarations.geography_subdivision),
                               ("geographyRegionOrSubregion", declarations.geography_region))
             if v}
    if len(given) > 1:
        raise SchemaError("declare one geography: a country, a subdivision or a region")
    return given


# --------------------------------------------------------------------------- validation


_PCF_REQUIRED = ("declaredUnit", "unitaryProductAmount", "referencePeriodStart",
                 "referencePeriodEnd", "pCfExcludingBiogenic", "fossilGhgEmissions",
                 "fossilCarbonContent", "biogenicCarbonContent", "characterizationFactors",
                 "ipccCharacterizationFactorsSources", "crossSectoralStandardsUsed",
                 "boundaryProcessesDescription", "exemptedEmissionsPercent",
                 "exemptedEmissionsDescription", "packagingEmissionsIncluded")
_PF_REQUIRED = ("id", "specVersion", "version", "created", "status", "comment", "companyName",
                "companyIds", "productDescription", "productIds", "productCategoryCpc",
                "productNameCompany", "pcf")
_NON_NEGATIVE = ("pCfExcludingBiogenic", "fossilGhgEmissions", "fossilCarbonContent",
                 "biogenicCarbonContent", "dLucGhgEmissions", "otherBiogenicGhgEmissions",
                 "iLucGhgEmissions", "aircraftGhgEmissions", "packagingGhgEmissions")
_DECIMALS = (*_NON_NEGATIVE, "unitaryProductAmount", "productMassPerDeclaredUnit",
             "pCfIncludingBiogenic", "landManagementGhgEmissions", "biogenicCarbonWithdrawal")
_DQRS = ("technologicalDQR", "temporalDQR", "geographicalDQR", "completenessDQR",
         "reliabilityDQR")


def _is_datetime(text: Any) -> bool:
    if not isinstance(text, str) or "T" not in text:
        return False
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return moment.tzinfo is not None


def _is_uuid(text: Any) -> bool:
    try:
        UUID(str(text))
    except ValueError:
        return False
    return isinstance(text, str)


def _urns(value: Any, name: str, issues: list[str]) -> None:
    if not isinstance(value, list) or not value:
        issues.append(f"{name} must be a non-empty list")
    elif len(set(value)) != len(value):
        issues.append(f"{name} has duplicates")
    elif not all(isinstance(v, str) and _URN.match(v) for v in value):
        issues.append(f"{name} must hold URNs")


def validate_product_footprint(document: Mapping[str, Any]) -> None:
    """Raise :class:`SchemaError` listing every rule of PACT 2.3 the document breaks."""
    issues: list[str] = []
    if not isinstance(document, Mapping):
        raise SchemaError("a ProductFootprint must be a JSON object")
    issues += [f"{k} is required" for k in _PF_REQUIRED if k not in document]
    if "id" in document and not _is_uuid(document["id"]):
        issues.append("id must be a UUID")
    if "specVersion" in document and not _SPEC_VERSION.match(str(document["specVersion"])):
        issues.append("specVersion must be major.minor.patch")
    if "version" in document and (not isinstance(document["version"], int)
                                  or isinstance(document["version"], bool)
                                  or document["version"] < 0):
        issues.append("version must be an integer >= 0")
    for key in ("created", "updated", "validityPeriodStart", "validityPeriodEnd"):
        if key in document and not _is_datetime(document[key]):
            issues.append(f"{key} must be a date-time with a time zone")
    if document.get("status") not in (None, "Active", "Deprecated"):
        issues.append("status must be Active or Deprecated")
    if "precedingPfIds" in document:
        ids = document["precedingPfIds"]
        if (not isinstance(ids, list) or not ids or len(set(ids)) != len(ids)
                or not all(_is_uuid(i) for i in ids)):
            issues.append("precedingPfIds must be a non-empty list of distinct UUIDs")
    for key in ("companyName", "productNameCompany", "productCategoryCpc"):
        if key in document and (not isinstance(document[key], str) or not document[key]):
            issues.append(f"{key} must be a non-empty string")
    for key in ("comment", "productDescription"):
        if key in document and not isinstance(document[key], str):
            issues.append(f"{key} must be a string")
    for key in ("companyIds", "productIds"):
        if key in document:
            _urns(document[key], key, issues)
    pcf = document.get("pcf")
    if "pcf" in document and not isinstance(pcf, Mapping):
        issues.append("pcf must be an object")
    elif isinstance(pcf, Mapping):
        _validate_pcf(pcf, issues)
    if issues:
        raise SchemaError("not a valid PACT 2.3 ProductFootprint", issues)


def _validate_pcf(pcf: Mapping[str, Any], issues: list[str]) -> None:
    issues += [f"pcf.{k} is required" for k in _PCF_REQUIRED if k not in pcf]
    if "declaredUnit" in pcf and pcf["declaredUnit"] not in set(DECLARED_UNITS.values()):
        issues.append("pcf.declaredUnit is not a PACT declared unit")
    for key in _DECIMALS:
        if key in pcf and (not isinstance(pcf[key], str) or not _DECIMAL.match(pcf[key])):
            issues.append(f"pcf.{key} must be a decimal string")
    for key in _NON_NEGATIVE:
        if isinstance(pcf.get(key), str) and pcf[key].startswith("-"):
            issues.append(f"pcf.{key} must be >= 0")
    if isinstance(pcf.get("unitaryProductAmount"), str) and _DECIMAL.match(
            pcf["unitaryProductAmount"]) and Decimal(pcf["unitaryProductAmount"]) <= 0:
        issues.append("pcf.unitaryProductAmount must be > 0")
    withdrawal = pcf.get("biogenicCarbonWithdrawal")
    if isinstance(withdrawal, str) and _DECIMAL.match(withdrawal) and Decimal(withdrawal) > 0:
        issues.append("pcf.biogenicCarbonWithdrawal must be <= 0")
    if pcf.get("characterizationFactors") not in (None, "AR5", "AR6"):
        issues.append("pcf.characterizationFactors must be AR5 or AR6")
    sources = pcf.get("ipccCharacterizationFactorsSources")
    if sources is not None and (not isinstance(sources, list) or not sources or not all(
            isinstance(s, str) and re.match(r"^AR\d+$", s) for s in sources)):
        issues.append("pcf.ipccCharacterizationFactorsSources must be a non-empty list of AR<n>")
    for key, allowed in (("crossSectoralStandardsUsed", CROSS_SECTORAL_USED),
                         ("crossSectoralStandards", CROSS_SECTORAL)):
        if key in pcf and (not isinstance(pcf[key], list) or not pcf[key]
                           or len(set(pcf[key])) != len(pcf[key])
                           or not set(pcf[key]) <= set(allowed)):
            issues.append(f"pcf.{key} must be a non-empty list of {list(allowed)}")
    for key in ("referencePeriodStart", "referencePeriodEnd"):
        if key in pcf and not _is_datetime(pcf[key]):
            issues.append(f"pcf.{key} must be a date-time with a time zone")
    geography = [k for k in ("geographyCountry", "geographyCountrySubdivision",
                             "geographyRegionOrSubregion") if k in pcf]
    if len(geography) > 1:
        issues.append("pcf may define only one of the geography properties")
    if "geographyCountry" in pcf and not _COUNTRY.match(str(pcf["geographyCountry"])):
        issues.append("pcf.geographyCountry must be ISO 3166-1 alpha-2")
    if "geographyCountrySubdivision" in pcf and not _SUBDIVISION.match(
            str(pcf["geographyCountrySubdivision"])):
        issues.append("pcf.geographyCountrySubdivision must be ISO 3166-2")
    if "geographyRegionOrSubregion" in pcf and pcf["geographyRegionOrSubregion"] not in REGIONS:
        issues.append("pcf.geographyRegionOrSubregion is not a PACT region")
    percent = pcf.get("exemptedEmissionsPercent")
    if "exemptedEmissionsPercent" in pcf and (
            isinstance(percent, bool) or not isinstance(percent, int | float)
            or not 0 <= percent <= 100):
        issues.append("pcf.exemptedEmissionsPercent must be a number in [0, 100]")
    for key in ("exemptedEmissionsDescription", "boundaryProcessesDescription"):
        if key in pcf and not isinstance(pcf[key], str):
            issues.append(f"pcf.{key} must be a string")
    if "packagingEmissionsIncluded" in pcf and not isinstance(pcf["packagingEmissionsIncluded"],
                                                              bool):
        issues.append("pcf.packagingEmissionsIncluded must be a boolean")
    if pcf.get("packagingEmissionsIncluded") is False and "packagingGhgEmissions" in pcf:
        issues.append("pcf.packagingGhgEmissions must be absent when packaging is excluded")
    share = pcf.get("primaryDataShare")
    if "primaryDataShare" in pcf and (isinstance(share, bool) or not isinstance(
            share, int | float) or not 0 <= share <= 100):
        issues.append("pcf.primaryDataShare must be a number in [0, 100]")
    dqi = pcf.get("dqi")
    if dqi is not None:
        _validate_dqi(dqi, issues)
    efs = pcf.get("secondaryEmissionFactorSources")
    if efs is not None and (not isinstance(efs, list) or not efs or not all(
            isinstance(e, Mapping) and isinstance(e.get("name"), str) and e["name"]
            and isinstance(e.get("version"), str) and e["version"] for e in efs)):
        issues.append("pcf.secondaryEmissionFactorSources must list {name, version}")


def _validate_dqi(dqi: Any, issues: list[str]) -> None:
    if not isinstance(dqi, Mapping):
        issues.append("pcf.dqi must be an object")
        return
    coverage = dqi.get("coveragePercent")
    if isinstance(coverage, bool) or not isinstance(coverage, int | float) or not (
            0 <= coverage <= 100):
        issues.append("pcf.dqi.coveragePercent must be a number in [0, 100]")
    for key in _DQRS:
        value = dqi.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 3:
            issues.append(f"pcf.dqi.{key} must be a number in [1, 3]")


# ------------------------------------------------------------------------------ parsing


def _decimal(pcf: Mapping[str, Any], key: str, issues: list[str]) -> float | None:
    value = pcf.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        issues.append(f"pcf.{key} is not a decimal")
        return None
    try:
        number = float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        issues.append(f"pcf.{key} is not a decimal")
        return None
    if not math.isfinite(number):
        issues.append(f"pcf.{key} is not finite")
        return None
    return number


def _date(text: Any) -> str | None:
    """The calendar date (ISO) of a PACT date-time, as declared records keep periods."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return None


def parse_product_footprint(document: Mapping[str, Any]) -> dict[str, Any]:
    """A partner's ProductFootprint as Tanji's declared footprint (per declared unit).

    Lenient where partners commonly differ (decimals sent as JSON numbers), strict where a
    value would be misread (unknown declared unit, missing pCfExcludingBiogenic, bad id).
    Returns ``{pf_id, version, status, company_name, company_ids, product_ids, declared}``;
    ``declared`` has the shape of a ``service/primary`` declared record: ``kind``, ``name``,
    ``declared_unit``, ``location``, ``reference_period_start/end``, ``values`` (indicator id
    -> kg CO2e per declared unit), ``standard``, ``verification``, plus ``pact`` (the PACT
    numbers kept as given).
    """
    issues: list[str] = []
    if not isinstance(document, Mapping):
        raise SchemaError("a ProductFootprint must be a JSON object")
    pf_id = document.get("id")
    if not _is_uuid(pf_id):
        issues.append("id must be a UUID")
    pcf = document.get("pcf")
    if not isinstance(pcf, Mapping):
        raise SchemaError("not a PACT ProductFootprint", [*issues, "pcf is required"])
    unit = PACT_UNIT_TO_OURS.get(pcf.get("declaredUnit"))
    if unit is None:
        issues.append(f"pcf.declaredUnit {pcf.get('declaredUnit')!r} is not a PACT unit")
    numbers = {key: _decimal(pcf, key, issues) for key in (
        "unitaryProductAmount", "pCfExcludingBiogenic", "pCfIncludingBiogenic",
        "fossilGhgEmissions", "fossilCarbonContent", "biogenicCarbonContent",
        "dLucGhgEmissions", "landManagementGhgEmissions", "otherBiogenicGhgEmissions",
        "iLucGhgEmissions", "biogenicCarbonWithdrawal", "aircraftGhgEmissions",
        "packagingGhgEmissions", "productMassPerDeclaredUnit")}
    if numbers["pCfExcludingBiogenic"] is None:
        issues.append("pcf.pCfExcludingBiogenic is required")
    product_ids = document.get("productIds")
    _urns(product_ids, "productIds", issues)
    company_ids = document.get("companyIds")
    _urns(company_ids, "companyIds", issues)
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        issues.append("version must be an integer")
    if issues:
        raise SchemaError("cannot read the partner's ProductFootprint", issues)

    values = {GHG_TOTAL: numbers["pCfExcludingBiogenic"]}
    parts = {GHG_FOSSIL: numbers["fossilGhgEmissions"], GHG_LUC: numbers["dLucGhgEmissions"],
             GHG_BIOGENIC: numbers["otherBiogenicGhgEmissions"]}
    # Our parts add up to the total; take them only when the partner's do too.
    if all(v is not None for v in parts.values()) and math.isclose(
            sum(parts.values()), values[GHG_TOTAL], rel_tol=1e-6, abs_tol=1e-9):
        values.update(parts)
    geography = (pcf.get("geographyCountrySubdivision") or pcf.get("geographyCountry")
                 or pcf.get("geographyRegionOrSubregion"))
    standards = pcf.get("crossSectoralStandards") or pcf.get("crossSectoralStandardsUsed") or []
    assurance = pcf.get("assurance") if isinstance(pcf.get("assurance"), Mapping) else None
    return {
        "pf_id": UUID(str(pf_id)),
        "version": version,
        "status": document.get("status") or "Active",
        "company_name": str(document.get("companyName") or ""),
        "company_ids": list(company_ids),
        "product_ids": list(product_ids),
        "declared": {
            "kind": "declared",
            "name": str(document.get("productNameCompany") or product_ids[0])[:300],
            "declared_unit": unit,
            "location": geography,
            "reference_period_start": _date(pcf.get("referencePeriodStart")),
            "reference_period_end": _date(pcf.get("referencePeriodEnd")),
            "values": values,
            "standard": ", ".join(map(str, standards))[:200] or None,
            "verification": (str(assurance.get("providerName"))[:200]
                             if assurance and assurance.get("assurance") else None),
            "pact": {k: v for k, v in numbers.items() if v is not None}
            | {"primaryDataShare": pcf.get("primaryDataShare"),
               "specVersion": document.get("specVersion")},
        },
    }


# ------------------------------------------------------------------------------ $filter


FILTER_PROPERTIES = {
    "created": "datetime", "updated": "datetime",
    "pcf/referencePeriodStart": "datetime", "pcf/referencePeriodEnd": "datetime",
    "productCategoryCpc": "string", "pcf/geographyCountry": "string",
    "pcf/declaredUnit": "string", "status": "string", "specVersion": "string",
}
FILTER_COLLECTIONS = ("productIds", "companyIds")
FILTER_OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge")


@dataclass(frozen=True)
class Comparison:
    """``property op literal``; datetimes parsed."""

    property: str
    operator: str
    value: str | datetime


@dataclass(frozen=True)
class MembershipTest:
    """``productIds/any(p:(p eq 'urn:...'))``: the collection holds ``value``."""

    collection: str
    value: str


@dataclass(frozen=True)
class Filter:
    """A conjunction of comparisons and membership tests."""

    terms: tuple[Comparison | MembershipTest, ...] = field(default_factory=tuple)


_TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<punct>[():])"
                    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*(?:/any)?))")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise SchemaError("$filter cannot be read", [f"unexpected text at {pos}: "
                                                         f"{text[pos:pos + 20]!r}"])
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str | None = None, value: str | None = None) -> str:
        token = self.peek()
        if token is None or (kind and token[0] != kind) or (value and token[1] != value):
            want = value or kind or "more"
            got = token[1] if token else "the end"
            raise SchemaError("$filter cannot be read", [f"expected {want}, found {got!r}"])
        self.pos += 1
        return token[1]

    def conjunction(self) -> list[Comparison | MembershipTest]:
        terms = self.term()
        while self.peek() == ("word", "and"):
            self.take()
            terms += self.term()
        if self.peek() is not None and self.peek() == ("word", "or"):
            raise SchemaError("$filter: 'or' is not supported (only 'and')")
        return terms

    def term(self) -> list[Comparison | MembershipTest]:
        if self.peek() == ("punct", "("):
            self.take()
            if self._is_parenthesised_property():
                prop = self.take("word")
                self.take("punct", ")")
                return [self.comparison(prop)]
            inner = self.conjunction()
            self.take("punct", ")")
            return inner
        word = self.take("word")
        if word.endswith("/any"):
            return [self.membership(word[: -len("/any")])]
        return [self.comparison(word)]

    def _is_parenthesised_property(self) -> bool:
        ahead = self.tokens[self.pos:self.pos + 3]
        return (len(ahead) == 3 and ahead[0][0] == "word" and ahead[1] == ("punct", ")")
                and ahead[2][0] == "word" and ahead[2][1] in FILTER_OPERATORS)

    def comparison(self, prop: str) -> Comparison:
        if prop not in FILTER_PROPERTIES:
            raise SchemaError(f"$filter on {prop!r} is not supported",
                              [f"supported: {sorted(FILTER_PROPERTIES)} and "
                               f"{list(FILTER_COLLECTIONS)}/any(...)"])
        operator = self.take("word")
        if operator not in FILTER_OPERATORS:
            raise SchemaError(f"$filter operator {operator!r} is not supported")
        literal = _literal(self.take("string"))
        if FILTER_PROPERTIES[prop] == "datetime":
            return Comparison(prop, operator, _filter_datetime(literal))
        return Comparison(prop, operator, literal)

    def membership(self, collection: str) -> MembershipTest:
        if collection not in FILTER_COLLECTIONS:
            raise SchemaError(f"$filter {collection}/any is not supported")
        self.take("punct", "(")
        variable = self.take("word")
        self.take("punct", ":")
        wrapped = self.peek() == ("punct", "(")
        if wrapped:
            self.take()
        self.take("word", variable)
        self.take("word", "eq")
        value = _literal(self.take("string"))
        if wrapped:
            self.take("punct", ")")
        self.take("punct", ")")
        return MembershipTest(collection, value)


def _literal(token: str) -> str:
    return token[1:-1].replace("''", "'")


def _filter_datetime(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SchemaError("$filter: not a date-time", [text]) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_filter(text: str) -> Filter:
    """Parse the OData ``$filter`` subset PACT v2 lists (``and`` of comparisons and ``any``)."""
    parser = _Parser(text)
    if parser.peek() is None:
        return Filter()
    terms = parser.conjunction()
    if parser.peek() is not None:
        raise SchemaError("$filter cannot be read", [f"unexpected {parser.peek()[1]!r}"])
    return Filter(tuple(terms))
