"""connectors.pact: built footprints hold against the spec's own JSON schema; parse; $filter."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors import pact
from tests.pact.schema import errors

VENDORED = Path(__file__).parents[2] / "pact" / "spec"
EXAMPLES = VENDORED / "examples"


def result(**changes) -> dict:
    """A stored footprint result as service/footprints/serialize.py writes it (per piece)."""
    body = {
        "status": "complete", "snapshot_hash": "ab" * 32,
        "totals": {"gwp100_kg_co2e": 12.5, "gwp100_fossil_kg_co2e": 12.0,
                   "gwp100_biogenic_kg_co2e": 0.3, "gwp100_luc_kg_co2e": 0.2, "so2_kg": 0.01},
        "ghg": {"total": 12.5, "fossil": 12.0, "biogenic": 0.3, "luc": 0.2},
        "by_stage": {"raw_materials": {"gwp100_kg_co2e": 10.0},
                     "distribution": {"gwp100_kg_co2e": 2.5}},
        "primary_data_share": {"gwp100_kg_co2e": 0.25},
        "cutoff_share": {"gwp100_kg_co2e": 0.1},
        "lines": [
            {"line_id": "steel", "link": {"name": "steel, hot rolled"},
             "values": {"gwp100_kg_co2e": 10.0}},
            {"line_id": "fly", "link": {"name": "transport, freight, aircraft, long haul"},
             "values": {"gwp100_kg_co2e": 2.0}},
            {"line_id": "truck", "link": {"name": "transport, combination truck"},
             "values": {"gwp100_kg_co2e": 0.5}},
        ],
        "unlinked": [], "missing_declared": {},
    }
    body.update(changes)
    return body


PRODUCT = pact.Product(product_id=uuid.uuid4(), part_number="BIKE 1/A", name="City bike",
                       unit="piece")
COMPANY = pact.Company(tenant_id=uuid.uuid4(), name="Acme Bikes")
CREATED = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def build(res: dict | None = None, **declared) -> dict:
    declared.setdefault("product_mass_kg", 2.5)
    return pact.build_product_footprint(
        res or result(), pf_id=uuid.uuid4(), created=CREATED, result_created=CREATED,
        product=PRODUCT, company=COMPANY,
        secondary_sources=[{"name": "US LCI", "version": "uslci_fy21_q3"}],
        declarations=pact.Declarations(**declared))


def test_built_footprint_is_valid_against_the_spec_schema() -> None:
    document = build()
    assert errors("ProductFootprint", document) == []
    pcf = document["pcf"]
    assert document["specVersion"] == "2.3.0"
    assert document["productIds"] == ["urn:pact:tanji:product:BIKE%201/A"]
    assert document["companyIds"] == [f"urn:tanji:company:{COMPANY.tenant_id}"]
    assert document["created"] == "2026-03-01T12:00:00.123Z"
    # a piece of 2.5 kg: values per kilogram, 2.5 kg in one product
    assert pcf["declaredUnit"] == "kilogram"
    assert pcf["unitaryProductAmount"] == "2.5"
    assert pcf["pCfExcludingBiogenic"] == "5"
    assert pcf["fossilGhgEmissions"] == "4.8"
    assert pcf["dLucGhgEmissions"] == "0.08"
    assert pcf["otherBiogenicGhgEmissions"] == "0.12"
    assert pcf["aircraftGhgEmissions"] == "0.8"
    assert pcf["primaryDataShare"] == 25.0
    assert pcf["characterizationFactors"] == "AR6"
    assert pcf["ipccCharacterizationFactorsSources"] == ["AR6"]
    assert pcf["secondaryEmissionFactorSources"] == [{"name": "US LCI",
                                                      "version": "uslci_fy21_q3"}]
    assert pcf["referencePeriodStart"] == "2026-01-01T00:00:00.000Z"
    assert pcf["referencePeriodEnd"] == "2027-01-01T00:00:00.000Z"
    assert "pCfIncludingBiogenic" not in pcf  # never invented
    assert pcf["dqi"]["coveragePercent"] == 0
    assert "not reported" in document["comment"]


def test_every_option_still_valid() -> None:
    document = build(
        result(totals={**result()["totals"], "gwp100_incl_biogenic_co2_kg_co2e": 11.0}),
        reference_period_start=datetime(2025, 1, 1, tzinfo=UTC),
        reference_period_end=datetime(2026, 1, 1, tzinfo=UTC),
        product_category_cpc="49921", geography_subdivision="CN-SD",
        fossil_carbon_content_kg=0.5, biogenic_carbon_content_kg=0.25,
        dqi={"coveragePercent": 80, "technologicalDQR": 1.5, "temporalDQR": 2,
             "geographicalDQR": 2, "completenessDQR": 1.2, "reliabilityDQR": 1.8},
        extra_product_ids=("urn:gtin:4712345060507",), comment="Bike frame only.")
    assert errors("ProductFootprint", document) == []
    pcf = document["pcf"]
    assert pcf["pCfIncludingBiogenic"] == "4.4"
    assert pcf["biogenicCarbonContent"] == "0.1"
    assert float(pcf["biogenicCarbonWithdrawal"]) == pytest.approx(-0.1 * 44.0095 / 12.0107)
    assert pcf["geographyCountrySubdivision"] == "CN-SD"
    assert document["productCategoryCpc"] == "49921"


def test_mass_units_need_no_mass_and_energy_has_mass_zero() -> None:
    kg = pact.Product(product_id=uuid.uuid4(), part_number="X", name="Steel", unit="kg")
    document = pact.build_product_footprint(
        result(), pf_id=uuid.uuid4(), created=CREATED, result_created=CREATED, product=kg,
        company=COMPANY, secondary_sources=[])
    assert document["pcf"]["declaredUnit"] == "kilogram"
    assert document["pcf"]["pCfExcludingBiogenic"] == "12.5"
    assert "secondaryEmissionFactorSources" not in document["pcf"]
    assert errors("ProductFootprint", document) == []
    kwh = pact.Product(product_id=uuid.uuid4(), part_number="E", name="Power", unit="kWh")
    document = pact.build_product_footprint(
        result(), pf_id=uuid.uuid4(), created=CREATED, result_created=CREATED, product=kwh,
        company=COMPANY, secondary_sources=[])
    assert document["pcf"]["productMassPerDeclaredUnit"] == "0"


def test_refusals_say_why() -> None:
    with pytest.raises(pact.SchemaError, match="product_mass_kg"):
        build(product_mass_kg=None)
    with pytest.raises(pact.SchemaError, match="partial"):
        build(result(status="partial", unlinked=[{"line_id": "m", "reason": "not linked"}]))
    with pytest.raises(pact.SchemaError, match="no totals"):
        build(result(status="no-snapshot", totals=None))
    with pytest.raises(pact.SchemaError, match="negative"):
        build(result(ghg={"total": 1.0, "fossil": 1.2, "biogenic": 0.0, "luc": -0.2}))
    partial = build(result(status="partial", unlinked=[{"line_id": "m", "reason": "x"}]),
                    exempted_emissions_percent=1.5,
                    exempted_emissions_description="one fastener, below 1 % by mass")
    assert partial["pcf"]["exemptedEmissionsPercent"] == 1.5
    assert errors("ProductFootprint", partial) == []


def test_deprecated_version_is_valid() -> None:
    document = build()
    successor = pact.deprecate(document, updated=CREATED, superseded_by=uuid.uuid4())
    assert successor["version"] == 2
    assert successor["status"] == "Deprecated"
    assert successor["id"] == document["id"]
    assert errors("ProductFootprint", successor) == []


def test_validator_agrees_with_the_schema_on_broken_documents() -> None:
    document = build()
    broken = json.loads(json.dumps(document))
    broken["pcf"]["pCfExcludingBiogenic"] = 1.5
    broken["productIds"] = ["gtin:123"]
    broken["pcf"]["geographyCountry"] = "DE"
    broken["pcf"]["geographyRegionOrSubregion"] = "Europe"
    with pytest.raises(pact.SchemaError) as caught:
        pact.validate_product_footprint(broken)
    assert len(caught.value.issues) == 3
    assert errors("ProductFootprint", broken)


def test_decimal_strings() -> None:
    assert pact.decimal_string(1.2e-05) == "0.000012"
    assert pact.decimal_string(-0.0) == "0"
    assert pact.decimal_string(1e21) == "1000000000000000000000"
    with pytest.raises(pact.SchemaError):
        pact.decimal_string(float("nan"))


def test_parse_spec_example_into_declared_form() -> None:
    document = json.loads((EXAMPLES / "get-footprint-response.json").read_text())["data"]
    assert errors("ProductFootprint", document) == []
    parsed = pact.parse_product_footprint(document)
    declared = parsed["declared"]
    assert parsed["pf_id"] == uuid.UUID(document["id"])
    assert declared["kind"] == "declared"
    assert declared["declared_unit"] == "l"
    assert declared["values"]["gwp100_kg_co2e"] == float(document["pcf"]["pCfExcludingBiogenic"])
    assert declared["reference_period_start"] == document["pcf"]["referencePeriodStart"][:10]
    assert declared["pact"]["fossilGhgEmissions"] == float(document["pcf"]["fossilGhgEmissions"])


def test_parse_our_own_document_round_trips() -> None:
    document = build()
    declared = pact.parse_product_footprint(document)["declared"]
    assert declared["declared_unit"] == "kg"
    assert declared["values"] == pytest.approx({"gwp100_kg_co2e": 5.0,
                                                "gwp100_fossil_kg_co2e": 4.8,
                                                "gwp100_luc_kg_co2e": 0.08,
                                                "gwp100_biogenic_kg_co2e": 0.12})


def test_parse_refuses_what_would_be_misread() -> None:
    document = build()
    document["pcf"]["declaredUnit"] = "piece"
    del document["pcf"]["pCfExcludingBiogenic"]
    with pytest.raises(pact.SchemaError) as caught:
        pact.parse_product_footprint(document)
    assert len(caught.value.issues) == 2


def test_vendored_spec_is_a_verbatim_copy() -> None:
    shared = Path("/work/shared/specs/pact")
    if not shared.exists():
        pytest.skip("shared specs not mounted")
    assert (VENDORED / "openapi.yaml").read_bytes() == (
        shared / "v2" / "openapi.yaml").read_bytes()
    assert (VENDORED / "LICENSE.md").read_bytes() == (shared / "LICENSE.md").read_bytes()
    for example in (shared / "v2" / "examples").glob("*.json"):
        assert (EXAMPLES / example.name).read_bytes() == example.read_bytes()


@pytest.mark.parametrize("name", ["get-footprint-response.json",
                                  "list-footprints-response.json"])
def test_spec_examples_pass_our_validator_and_parser(name: str) -> None:
    body = json.loads((EXAMPLES / name).read_text())
    for document in body["data"] if isinstance(body["data"], list) else [body["data"]]:
        pact.validate_product_footprint(document)
        assert pact.parse_product_footprint(document)["declared"]["values"]


def test_spec_invalid_example_is_refused_by_both() -> None:
    body = json.loads((EXAMPLES / "invalid-response-all-properties.json").read_text())
    document = body.get("data", body)
    assert errors("ProductFootprint", document)
    with pytest.raises(pact.SchemaError):
        pact.validate_product_footprint(document)


@pytest.mark.parametrize("text", [
    "created ge '2023-01-01T00:00:00.000Z'",
    "updated lt '2023-06-30T00:00:00.000Z'",
    "(pcf/declaredUnit) eq 'liter'",
    "productCategoryCpc eq '3342'",
    "pcf/geographyCountry eq 'DE'",
    "pcf/referencePeriodStart ge '2023-01-01T00:00:00.000Z' and "
    "pcf/referencePeriodStart lt '2023-06-30T00:00:00.000Z'",
    "productIds/any(productId:(productId eq 'urn:gtin:4712345060507'))",
    "companyIds/any(companyId:(companyId eq 'urn:epc:id:sgln:4063973.00000.8'))",
])
def test_filters_the_spec_lists_parse(text: str) -> None:
    assert pact.parse_filter(text).terms


@pytest.mark.parametrize("text", [
    "created ge '2023-01-01' or updated lt '2023-01-01'",
    "pcf/pCfExcludingBiogenic gt '1'",
    "created ge 2023",
    "contains(companyName, 'x')",
    "created ge 'not a date'",
    "productIds/any(p:(p eq 'urn:x')",
])
def test_unsupported_filters_are_refused(text: str) -> None:
    with pytest.raises(pact.SchemaError):
        pact.parse_filter(text)


def test_filter_tree() -> None:
    tree = pact.parse_filter("created ge '2026-01-01T00:00:00Z' and "
                             "productIds/any(p:(p eq 'urn:pact:tanji:product:it''s'))")
    assert tree.terms == (
        pact.Comparison("created", "ge", datetime(2026, 1, 1, tzinfo=UTC)),
        pact.MembershipTest("productIds", "urn:pact:tanji:product:it's"))
