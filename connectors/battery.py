"""EU Battery Regulation (EU) 2023/1542, Article 7 and Annex II: carbon-footprint declaration
data of a battery from a footprint result, named as the Battery Pass data model names it.

Functional unit (Annex II; draft delegated act on the carbon-footprint method for EV
batteries, consultation of 30 April 2024): one kWh of the total energy the battery provides
over its service life,

    E_total [kWh] = energy capacity [kWh] x full equivalent cycles per year x service life
                    [years] x depth factor (1 unless the applicable rules set another)

    batteryCarbonFootprint [kg CO2e/kWh] = sum of the declared life-cycle stages [kg CO2e]
                                           / E_total

Stages (Annex II): raw material acquisition and pre-processing, main product
production, distribution, end of life and recycling. The use stage is excluded.

    Tanji stage       Battery Pass lifecycleStage (data model 1.2.0)
    raw_materials  -> RawMaterialExtraction
    production     -> MainProduction
    distribution   -> Distribution
    end_of_life    -> Recycling
    use            -> excluded (reported under ``tanji.excluded``)
    (no stage)     -> counted in the total, reported under ``tanji.unassigned`` with a warning

Field names: Battery Pass Data Model v1.2.0, aspect
``urn:samm:io.BatteryPass.CarbonFootprint:1.2.0#CarbonFootprintForBatteries``
(github.com/batterypass/BatteryPassDataModel,
``BatteryPass/io.BatteryPass.CarbonFootprint/1.2.0/CarbonFootprintForBatteries.ttl``).

Pure: no I/O, no service imports.

ConnectorError
  + BatteryError   the declaration cannot be derived (no footprint, bad functional unit)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from connectors.errors import ConnectorError

__all__ = [
    "DATA_MODEL",
    "FEQC_PER_YEAR_BY_VEHICLE_CATEGORY",
    "STAGE_MAP",
    "BatteryError",
    "declaration",
    "total_energy_kwh",
]

GHG_INDICATOR = "gwp100_kg_co2e"
DATA_MODEL = {
    "name": "Battery Pass Data Model",
    "version": "1.2.0",
    "aspect": "urn:samm:io.BatteryPass.CarbonFootprint:1.2.0#CarbonFootprintForBatteries",
    "source": "https://github.com/batterypass/BatteryPassDataModel/blob/main/BatteryPass/"
              "io.BatteryPass.CarbonFootprint/1.2.0/CarbonFootprintForBatteries.ttl",
}
STAGE_MAP = {
    "raw_materials": "RawMaterialExtraction",
    "production": "MainProduction",
    "distribution": "Distribution",
    "end_of_life": "Recycling",
}
"""Tanji stage -> Battery Pass ``lifecycleStage`` (the data model's enumeration, in order)."""
EXCLUDED_STAGES = ("use",)
FEQC_PER_YEAR_BY_VEHICLE_CATEGORY = {"M1": 60, "N1": 60, "L": 20, "M2": 250, "M3": 250,
                                     "N2": 250, "N3": 250}
"""Typical full equivalent charge-discharge cycles per year by vehicle category, as the draft
delegated act on EV battery carbon footprints (April 2024) tabulates them."""


class BatteryError(ConnectorError):
    """The declaration cannot be derived (the message says why)."""


def _positive(name: str, value: float | None) -> float:
    if value is None or not math.isfinite(float(value)) or float(value) <= 0:
        raise BatteryError(f"{name} must be a positive number")
    return float(value)


def total_energy_kwh(*, rated_capacity_kwh: float, cycles_per_year: float,
                     service_life_years: float, depth_factor: float = 1.0) -> float:
    """Total energy delivered over the service life: capacity x cycles x years x depth."""
    return (_positive("rated_capacity_kwh", rated_capacity_kwh)
            * _positive("cycles_per_year", cycles_per_year)
            * _positive("service_life_years", service_life_years)
            * _positive("depth_factor", depth_factor))


def declaration(*, result: Mapping[str, Any], product: Mapping[str, Any],
                rated_capacity_kwh: float, cycles_per_year: float | None,
                service_life_years: float, depth_factor: float = 1.0,
                vehicle_category: str | None = None, performance_class: str | None = None,
                study_url: str | None = None) -> dict[str, Any]:
    """The carbon-footprint declaration data of one battery (one unit of the product)."""
    by_stage = result.get("by_stage")
    if not by_stage:
        raise BatteryError("the footprint has no results by life-cycle stage (status "
                           f"{result.get('status')!r}); compute the footprint first")
    if cycles_per_year is None:
        if vehicle_category is None or vehicle_category.upper() not in (
                FEQC_PER_YEAR_BY_VEHICLE_CATEGORY):
            raise BatteryError("give cycles_per_year, or a vehicle_category among "
                               f"{sorted(FEQC_PER_YEAR_BY_VEHICLE_CATEGORY)}")
        cycles_per_year = FEQC_PER_YEAR_BY_VEHICLE_CATEGORY[vehicle_category.upper()]
        cycles_source = f"default for vehicle category {vehicle_category.upper()}"
    else:
        cycles_source = "given"
    energy = total_energy_kwh(rated_capacity_kwh=rated_capacity_kwh,
                              cycles_per_year=cycles_per_year,
                              service_life_years=service_life_years, depth_factor=depth_factor)

    def stage_kg(stage: str) -> float:
        value = (by_stage.get(stage) or {}).get(GHG_INDICATOR)
        return float(value) if value is not None else 0.0

    per_stage_kg = {stage: stage_kg(stage) for stage in STAGE_MAP}
    known = {*STAGE_MAP, *EXCLUDED_STAGES}
    unassigned = {stage: stage_kg(stage) for stage in by_stage if stage not in known}
    declared_kg = sum(per_stage_kg.values()) + sum(unassigned.values())
    warnings = []
    if any(unassigned.values()):
        warnings.append("emissions of BOM lines without a life-cycle stage "
                        f"({sum(unassigned.values()):.6g} kg CO2e) are in the total but in no "
                        "stage: give those lines a stage")
    if result.get("status") != "complete":
        warnings.append(f"the footprint is {result.get('status')!r}: unlinked lines or missing "
                        "declared values are not in the figures")
    if performance_class is None:
        warnings.append("carbonFootprintPerformanceClass is empty: the performance classes of "
                        "Article 7(2) are set by a delegated act not yet adopted")
    return {
        "carbonFootprint": {
            "batteryCarbonFootprint": declared_kg / energy,
            "carbonFootprintPerLifecycleStage": [
                {"lifecycleStage": name, "carbonFootprint": per_stage_kg[stage] / energy}
                for stage, name in STAGE_MAP.items()],
            "carbonFootprintPerformanceClass": performance_class,
            "carbonFootprintStudy": study_url,
            "absoluteCarbonFootprint": declared_kg,
        },
        "dataModel": DATA_MODEL,
        "units": {"batteryCarbonFootprint": "kg CO2e/kWh",
                  "carbonFootprint": "kg CO2e/kWh", "absoluteCarbonFootprint": "kg CO2e"},
        "functionalUnit": {
            "definition": "1 kWh of the total energy provided by the battery over its service "
                          "life (Regulation (EU) 2023/1542, Annex II)",
            "ratedCapacityKwh": float(rated_capacity_kwh),
            "cyclesPerYear": float(cycles_per_year), "cyclesPerYearSource": cycles_source,
            "serviceLifeYears": float(service_life_years), "depthFactor": float(depth_factor),
            "totalEnergyKwh": energy,
            "formula": "ratedCapacityKwh x cyclesPerYear x serviceLifeYears x depthFactor",
        },
        "tanji": {
            "product": {k: product.get(k) for k in ("part_number", "name", "unit")},
            "indicator": GHG_INDICATOR,
            "stageMapping": {**STAGE_MAP, **dict.fromkeys(EXCLUDED_STAGES, "excluded")},
            "perStageKgCo2e": per_stage_kg,
            "excluded": {stage: stage_kg(stage) for stage in EXCLUDED_STAGES},
            "unassigned": unassigned,
            "ghg": result.get("ghg"),
            "resultStatus": result.get("status"),
            "snapshotHash": result.get("snapshot_hash"),
            "warnings": warnings,
        },
    }
